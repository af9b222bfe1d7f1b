"""Staff admin: organisations, persons, roles, role assignments and package delegations.

The forms check numbers with the same functions as `import_register`, so the admin cannot store what
the importer would refuse.
"""

from django import forms
from django.contrib import admin

from registry.admin.audit import StaffAudited
from registry.importers import emails_problem, orgno_problem, pid_problem
from registry.models import Organisation, PackageDelegation, Person, Role, RoleAssignment


def _checked(value: str, problem_of) -> str:
    value = (value or "").strip()
    problem = problem_of(value)
    if problem:
        raise forms.ValidationError(problem)
    return value


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ("orgno", "name", "form", "parent", "email", "is_deleted")

    def clean_orgno(self) -> str:
        return _checked(self.cleaned_data.get("orgno"), orgno_problem)

    def clean_email(self) -> str:
        return _checked(self.cleaned_data.get("email"), emails_problem)

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        node = parent
        while node is not None and self.instance.pk is not None:
            if node.pk == self.instance.pk:
                raise forms.ValidationError("an organisation cannot be its own parent (directly or further up)")
            node = node.parent
        return parent


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ("pid", "name", "email", "user")

    def clean_pid(self) -> str:
        return _checked(self.cleaned_data.get("pid"), pid_problem)


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ("role", "of", "holder_person", "holder_org")

    def clean(self):
        data = super().clean()
        if bool(data.get("holder_person")) == bool(data.get("holder_org")):
            raise forms.ValidationError("choose exactly one holder: a person or an organisation")
        return data


class PackageDelegationForm(forms.ModelForm):
    class Meta:
        model = PackageDelegation
        fields = ("package", "from_org", "to_person", "to_org")

    def clean(self):
        data = super().clean()
        if bool(data.get("to_person")) == bool(data.get("to_org")):
            raise forms.ValidationError("choose exactly one recipient: a person or an organisation")
        return data


class RolesGivenInline(admin.TabularInline):
    model = RoleAssignment
    form = RoleAssignmentForm
    fk_name = "of"
    extra = 0
    autocomplete_fields = ("role", "holder_person", "holder_org")
    verbose_name_plural = "roles in this organisation (ER)"


class RolesHeldInline(admin.TabularInline):
    """E.g. an accounting firm's REGN roles: its clients."""

    model = RoleAssignment
    fk_name = "holder_org"
    fields = ("role", "of")
    extra = 0
    autocomplete_fields = ("role", "of")
    verbose_name_plural = "roles this organisation holds in others (e.g. REGN, REVI: its clients)"


class DelegationsGivenInline(admin.TabularInline):
    model = PackageDelegation
    form = PackageDelegationForm
    fk_name = "from_org"
    extra = 0
    autocomplete_fields = ("package", "to_person", "to_org")
    verbose_name_plural = "access packages this organisation has delegated"


@admin.register(Organisation)
class OrganisationAdmin(StaffAudited, admin.ModelAdmin):
    form = OrganisationForm
    list_display = ("orgno", "name", "form", "parent", "email", "is_deleted")
    list_filter = ("is_deleted", "form")
    search_fields = ("orgno", "name", "email")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    inlines = (RolesGivenInline, RolesHeldInline, DelegationsGivenInline)


@admin.register(Person)
class PersonAdmin(StaffAudited, admin.ModelAdmin):
    form = PersonForm
    list_display = ("pid", "name", "email", "user")
    search_fields = ("pid", "name", "email")
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(Role)
class RoleAdmin(StaffAudited, admin.ModelAdmin):
    list_display = ("code", "legacy_code", "name_nb", "urn")
    search_fields = ("code", "legacy_code", "name_nb", "name_en", "urn")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(StaffAudited, admin.ModelAdmin):
    form = RoleAssignmentForm
    list_display = ("role", "of", "holder_person", "holder_org")
    list_filter = ("role__legacy_code",)
    search_fields = (
        "role__code",
        "role__legacy_code",
        "of__orgno",
        "of__name",
        "holder_person__pid",
        "holder_person__name",
        "holder_org__orgno",
        "holder_org__name",
    )
    autocomplete_fields = ("role", "of", "holder_person", "holder_org")
    list_select_related = ("role", "of", "holder_person", "holder_org")


@admin.register(PackageDelegation)
class PackageDelegationAdmin(StaffAudited, admin.ModelAdmin):
    form = PackageDelegationForm
    list_display = ("package", "from_org", "to_person", "to_org", "created")
    list_filter = ("package__area",)
    search_fields = (
        "package__code",
        "from_org__orgno",
        "from_org__name",
        "to_person__pid",
        "to_person__name",
        "to_org__orgno",
        "to_org__name",
    )
    autocomplete_fields = ("package", "from_org", "to_person", "to_org")
    list_select_related = ("package", "from_org", "to_person", "to_org")
