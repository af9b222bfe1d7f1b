"""Staff admin: areas, access packages, role→package rules, resources and their policies.

The forms use the same checks as `import_catalog`. Note: the built-in catalog (registry/data) is
loaded again after every `migrate`, which resets edits to built-in rows; lasting changes belong in a
catalog file imported with `import_catalog` after each deploy.
"""

from django import forms
from django.contrib import admin

from registry.admin.audit import StaffAudited
from registry.importers import action_problem, orgno_problem, package_code_problem, resource_id_problem
from registry.models import AccessPackage, Area, PolicyRule, Resource, RolePackage


def _checked(value: str, problem_of) -> str:
    value = (value or "").strip()
    problem = problem_of(value)
    if problem:
        raise forms.ValidationError(problem)
    return value


@admin.register(Area)
class AreaAdmin(StaffAudited, admin.ModelAdmin):
    list_display = ("code", "name_nb", "group")
    list_filter = ("group",)
    search_fields = ("code", "name_nb", "name_en")


class AccessPackageForm(forms.ModelForm):
    class Meta:
        model = AccessPackage
        fields = (
            "code",
            "urn",
            "name_nb",
            "name_nn",
            "name_en",
            "description_nb",
            "description_nn",
            "description_en",
            "area",
            "delegable",
            "assignable",
            "entity_type",
        )

    def clean_code(self) -> str:
        return _checked(self.cleaned_data.get("code"), package_code_problem)

    def clean_urn(self) -> str:
        urn = (self.cleaned_data.get("urn") or "").strip()
        if not urn.startswith(AccessPackage.URN_PREFIX):
            raise forms.ValidationError(f"must start with {AccessPackage.URN_PREFIX}")
        return urn


@admin.register(AccessPackage)
class AccessPackageAdmin(StaffAudited, admin.ModelAdmin):
    form = AccessPackageForm
    list_display = ("code", "name_nb", "area", "delegable", "assignable", "entity_type")
    list_filter = ("delegable", "assignable", "entity_type", "area")
    search_fields = ("code", "urn", "name_nb", "name_en")
    autocomplete_fields = ("area",)
    list_select_related = ("area",)

    def get_readonly_fields(self, request, obj=None):
        # The code is the primary key that delegations and policies point to.
        return ("code",) if obj is not None else ()


@admin.register(RolePackage)
class RolePackageAdmin(StaffAudited, admin.ModelAdmin):
    list_display = ("role", "package", "has_access", "can_delegate", "entity_variants")
    list_filter = ("has_access", "can_delegate", "role__legacy_code")
    search_fields = ("role__code", "role__legacy_code", "package__code")
    autocomplete_fields = ("role", "package")
    list_select_related = ("role", "package")


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ("id", "title_nb", "title_nn", "title_en", "owner_orgno", "owner_name", "delegable")

    def clean_id(self) -> str:
        return _checked(self.cleaned_data.get("id"), resource_id_problem)

    def clean_owner_orgno(self) -> str:
        return _checked(self.cleaned_data.get("owner_orgno"), orgno_problem)


class PolicyRuleForm(forms.ModelForm):
    class Meta:
        model = PolicyRule
        fields = ("package", "action")

    def clean_action(self) -> str:
        return _checked(self.cleaned_data.get("action"), action_problem)


class PolicyRuleInline(admin.TabularInline):
    model = PolicyRule
    form = PolicyRuleForm
    extra = 1
    autocomplete_fields = ("package",)
    verbose_name_plural = "policy: which access package grants which action"


@admin.register(Resource)
class ResourceAdmin(StaffAudited, admin.ModelAdmin):
    form = ResourceForm
    list_display = ("id", "title_nb", "owner_orgno", "owner_name", "delegable")
    list_filter = ("delegable", "owner_name")
    search_fields = ("id", "title_nb", "title_en", "owner_orgno", "owner_name")
    inlines = (PolicyRuleInline,)

    def get_readonly_fields(self, request, obj=None):
        return ("id",) if obj is not None else ()
