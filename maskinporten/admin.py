"""Staff admin for token clients and their keys. Adding and retiring keys goes through the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lib.errors import ServiceError
from lib.tokens.keys import jwk_thumbprint
from maskinporten.assertion import KID_PATTERN
from maskinporten.clients import add_client_key, check_scopes, parse_public_key, retire_client_key
from maskinporten.models import Client, ClientKey


def _staff(request) -> str:
    return f"staff:{request.user.get_username()}"


class ClientForm(forms.ModelForm):
    scopes_text = forms.CharField(
        label=_("Tillatte scopes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ett scope per linje, f.eks. altinn:authentication/systemregister.write"),
    )

    class Meta:
        model = Client
        fields = ["client_id", "name", "owner", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["scopes_text"].initial = "\n".join(self.instance.scopes or [])
            self.fields["client_id"].disabled = True

    def clean_scopes_text(self):
        try:
            return check_scopes(self.cleaned_data["scopes_text"].split())
        except ServiceError as exc:
            raise forms.ValidationError(exc.detail) from None

    def save(self, commit=True):
        self.instance.scopes = self.cleaned_data["scopes_text"]
        return super().save(commit)


class ClientKeyInline(admin.TabularInline):
    model = ClientKey
    fields = ["kid", "created", "retired_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are added on the client key page, where the PEM/JWK is parsed and checked


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ["client_id", "name", "owner", "is_active", "created"]
    list_filter = ["is_active"]
    search_fields = ["client_id", "name", "owner__orgno", "owner__name"]
    raw_id_fields = ["owner"]
    inlines = [ClientKeyInline]


class ClientKeyForm(forms.ModelForm):
    public_key = forms.CharField(
        label=_("Offentlig nøkkel"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_("PEM (SubjectPublicKeyInfo) eller JWK. Aldri den private nøkkelen."),
    )

    class Meta:
        model = ClientKey
        fields = ["client", "kid"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kid"].required = False
        self.fields["kid"].help_text = _("Tom: JWK-ens kid, ellers nøkkelens tommelavtrykk (RFC 7638)")

    def clean_public_key(self):
        try:
            jwk, named_kid = parse_public_key(self.cleaned_data["public_key"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.detail) from None
        self.derived_kid = named_kid or jwk_thumbprint(jwk)
        return self.cleaned_data["public_key"]

    def clean(self):
        cleaned = super().clean()
        kid = cleaned.get("kid") or getattr(self, "derived_kid", None)
        if kid and not KID_PATTERN.fullmatch(kid):
            self.add_error("kid", _("Kid kan bare inneholde bokstaver, sifre og . _ : @ + / = -"))
        elif kid and cleaned.get("client") and cleaned["client"].keys.filter(kid=kid).exists():
            self.add_error("kid", _("Klienten har allerede en nøkkel med denne kid-en"))
        return cleaned

    def validate_unique(self):
        pass  # checked in clean() against the kid the key will really get


@admin.register(ClientKey)
class ClientKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "client", "created", "retired_at"]
    list_filter = [("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["kid", "client__client_id", "client__owner__orgno"]
    raw_id_fields = ["client"]
    actions = ["retire_keys"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ClientKeyForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["client", "kid", "public_jwk", "created", "retired_at"] if obj else []

    def get_fields(self, request, obj=None):
        return ["client", "kid", "public_jwk", "created", "retired_at"] if obj else ["client", "kid", "public_key"]

    def save_model(self, request, obj, form, change):
        if change:
            return  # a registered key is never edited: add a new one and retire the old
        try:
            key = add_client_key(
                client=form.cleaned_data["client"],
                public_key=form.cleaned_data["public_key"],
                kid=form.cleaned_data.get("kid") or None,
                actor=_staff(request),
            )
        except ServiceError as exc:  # only a race with another staff member adding the same kid
            raise ValidationError(exc.detail) from None
        obj.pk, obj.kid, obj.public_jwk, obj.created = key.pk, key.kid, key.public_jwk, key.created

    @admin.action(description=_("Pensjoner valgte nøkler (grants signert med dem avvises fra nå)"))
    def retire_keys(self, request, queryset):
        retired = sum(
            retire_client_key(key_id=pk, actor=_staff(request)) for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, _("%(n)d nøkler pensjonert.") % {"n": retired}, messages.SUCCESS)
