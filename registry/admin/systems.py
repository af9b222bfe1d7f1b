"""Staff admin for the system register (manual registration, capability 3).

The form is checked by the same validator as the vendor API (registry.services.systems.validate_system)
and saved through the same service functions, so a system registered by staff meets the same rules and
gets the same change-log rows. Deleting is the service's soft delete (it frees the client ids).
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from lib.errors import ServiceError
from lib.vendor_text import NAME_MAX_LENGTH
from registry.models import AccessPackage, RegisteredSystem, SystemChangeLog
from registry.services import systems as service
from registry.wire import wire_right

# Where the validator's JSON paths show up in the form.
_FIELD_OF_PATH = {
    "systemid": "system_id",
    "vendor": "vendor_orgno",
    "rights": "rights",
    "accesspackages": "access_packages",
    "clientid": "client_ids",
    "allowedredirecturls": "allowed_redirect_urls",
}


def _field_of(error) -> str | None:
    """The form field a validator error is about: its path's first part, or `name/nb` → `name_nb`."""
    parts = error.paths[0].rsplit("/registersystemrequest/", 1)[-1].split("/") if error.paths else [""]
    if parts[0] in {"name", "description"} and len(parts) > 1:
        return f"{parts[0]}_{parts[1]}"
    return _FIELD_OF_PATH.get(parts[0])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class SystemForm(forms.ModelForm):
    vendor_orgno = forms.CharField(label=_("Leverandørens organisasjonsnummer"), max_length=9)
    name_nb = forms.CharField(label=_("Navn (bokmål)"), max_length=NAME_MAX_LENGTH)
    name_nn = forms.CharField(label=_("Navn (nynorsk)"), max_length=NAME_MAX_LENGTH, required=False)
    name_en = forms.CharField(label=_("Navn (engelsk)"), max_length=NAME_MAX_LENGTH, required=False)
    description_nb = forms.CharField(label=_("Beskrivelse (bokmål)"), widget=forms.Textarea, required=False)
    description_nn = forms.CharField(label=_("Beskrivelse (nynorsk)"), widget=forms.Textarea, required=False)
    description_en = forms.CharField(label=_("Beskrivelse (engelsk)"), widget=forms.Textarea, required=False)
    rights = forms.CharField(
        label=_("Enkeltrettigheter"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Én per linje: ressurs-id og eventuelt handling, f.eks. «ske-mva-melding read»."),
    )
    access_packages = forms.CharField(
        label=_("Tilgangspakker"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Én pakkekode per linje, f.eks. «skatt-naering»."),
    )
    client_ids = forms.CharField(
        label=_("Klient-id-er (Maskinporten)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    allowed_redirect_urls = forms.CharField(
        label=_("Tillatte omdirigeringsadresser"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Én https-adresse per linje."),
    )

    class Meta:
        model = RegisteredSystem
        fields = ["system_id", "is_visible"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        system = self.instance
        if not system._state.adding:
            self.initial.update(
                vendor_orgno=system.vendor.orgno,
                rights="\n".join(f"{r.resource_id} {r.action}".strip() for r in system.rights.all()),
                access_packages="\n".join(p.package_id for p in system.packages.all()),
                client_ids="\n".join(system.clients.values_list("client_id", flat=True)),
                allowed_redirect_urls="\n".join(system.allowed_redirect_urls),
                **{f"name_{lang}": system.name.get(lang, "") for lang in ("nb", "nn", "en")},
                **{f"description_{lang}": system.description.get(lang, "") for lang in ("nb", "nn", "en")},
            )
        if not system._state.adding:
            self.fields["system_id"].disabled = True
            self.fields["vendor_orgno"].disabled = True

    def spec(self) -> service.SystemSpec:
        data = self.cleaned_data
        rights = []
        for line in _lines(data.get("rights", "")):
            resource, _sep, action = line.partition(" ")
            rights.append(wire_right(resource, action.strip()))
        return service.SystemSpec(
            id=data.get("system_id") or "",
            vendor_orgno=data.get("vendor_orgno") or None,
            name={lang: data[f"name_{lang}"] for lang in ("nb", "nn", "en") if data.get(f"name_{lang}")},
            description={
                lang: data[f"description_{lang}"] for lang in ("nb", "nn", "en") if data.get(f"description_{lang}")
            },
            rights=rights,
            access_packages=[
                code if code.startswith(AccessPackage.URN_PREFIX) else AccessPackage.URN_PREFIX + code
                for code in _lines(data.get("access_packages", ""))
            ],
            client_ids=_lines(data.get("client_ids", "")),
            redirect_urls=_lines(data.get("allowed_redirect_urls", "")),
            is_visible=bool(data.get("is_visible")),
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        existing = None if self.instance._state.adding else self.instance
        if existing is not None and existing.is_deleted:
            raise forms.ValidationError(_("Systemet er slettet og kan ikke endres."))
        for error in service.validate_system(self.spec(), existing=existing):
            self.add_error(_field_of(error), f"{error.code}: {error.detail}")
        return cleaned

    def validate_unique(self):
        # The validator reports a taken id as AUTH.VLD-00002; Django's own message would say it twice.
        pass


class ChangeLogInline(admin.TabularInline):
    model = SystemChangeLog
    fields = ["changed_at", "changed_by", "change_type", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-changed_at", "-id"]
    verbose_name = _("endring")
    verbose_name_plural = _("endringslogg")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RegisteredSystem)
class RegisteredSystemAdmin(admin.ModelAdmin):
    form = SystemForm
    inlines = [ChangeLogInline]
    list_display = ["system_id", "vendor", "is_visible", "is_self_developed", "is_deleted", "updated"]
    list_filter = ["is_self_developed", "is_visible", "is_deleted"]
    search_fields = ["system_id", "vendor__orgno", "vendor__name"]
    list_select_related = ["vendor"]
    actions = ["soft_delete"]
    fieldsets = [
        (None, {"fields": ["system_id", "vendor_orgno", "is_visible"]}),
        (
            _("Navn og beskrivelse"),
            {"fields": ["name_nb", "name_nn", "name_en", "description_nb", "description_nn", "description_en"]},
        ),
        (_("Rettigheter"), {"fields": ["rights", "access_packages"]}),
        (_("Integrasjon"), {"fields": ["client_ids", "allowed_redirect_urls"]}),
    ]

    # A business's self-developed system is its own: staff see it and may soft-delete it, not edit it.
    self_developed_fields = ["system_id", "vendor", "name", "description", "is_self_developed", "is_deleted", "created"]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_self_developed:
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.is_self_developed:
            return [(None, {"fields": self.self_developed_fields})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_self_developed:
            return self.self_developed_fields
        return super().get_readonly_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.is_self_developed:
            return forms.modelform_factory(RegisteredSystem, fields=[])
        return super().get_form(request, obj, change, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # systems are soft-deleted with the action below, never removed

    def save_model(self, request, obj, form, change):
        actor = f"staff:{request.user.get_username()}"
        if change:
            service.update_system(system=obj, spec=form.spec(), actor=actor)
            obj.refresh_from_db()
        else:
            system = service.register_system(spec=form.spec(), actor=actor)
            obj.pk = system.pk
            obj.refresh_from_db()

    @admin.action(description=_("Slett valgte systemer (mykt, frigjør klient-id-ene)"), permissions=["change"])
    def soft_delete(self, request, queryset):
        deleted = 0
        for system in queryset.filter(is_deleted=False):
            try:
                service.delete_system(system=system, actor=f"staff:{request.user.get_username()}")
                deleted += 1
            except ServiceError:
                pass  # deleted by someone else a moment ago
        self.message_user(request, _("%(count)d systemer slettet.") % {"count": deleted}, messages.SUCCESS)
