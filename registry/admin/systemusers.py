"""Staff admin: system users, read-mostly. The one change staff make here is the soft delete
(emergency revocation), through the same service the portal uses, so it is audited the same way."""

import uuid

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lib.errors import ServiceError
from registry.admin.audit import staff_actor
from registry.admin.readonly import ReadOnly
from registry.models import ClientDelegation, SystemUser, SystemUserPackage, SystemUserRight
from registry.services.lifecycle import delete_system_user


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class _ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False


class PackagesInline(_ReadOnlyInline):
    model = SystemUserPackage
    fields = readonly_fields = ("package", "created")


class RightsInline(_ReadOnlyInline):
    model = SystemUserRight
    fields = readonly_fields = ("resource", "action", "created")


class ClientsInline(_ReadOnlyInline):
    model = ClientDelegation
    fields = readonly_fields = ("client", "role_code", "packages", "created", "created_by")


@admin.register(SystemUser)
class SystemUserAdmin(admin.ModelAdmin):
    list_display = ("id", "integration_title", "owner", "system", "user_type", "external_ref", "created", "is_deleted")
    list_filter = ("is_deleted", "user_type", "created")
    search_fields = (
        "=id",
        "owner__orgno",
        "owner__name",
        "system__system_id",
        "system__vendor__orgno",
        "external_ref",
        "integration_title",
    )
    list_select_related = ("owner", "system")
    readonly_fields = [f.name for f in SystemUser._meta.fields]
    inlines = (PackagesInline, RightsInline, ClientsInline)
    actions = ("soft_delete",)

    def get_search_fields(self, request):
        # Exact id search only when every term is a UUID: the UUID lookup refuses other text.
        terms = request.GET.get("q", "").split()
        fields = list(super().get_search_fields(request))
        return fields if terms and all(_is_uuid(t) for t in terms) else [f for f in fields if f != "=id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # hard deletes would lose the history; the soft delete is the action below

    def has_soft_delete_permission(self, request) -> bool:
        return request.user.has_perm("registry.delete_systemuser")

    @admin.action(permissions=["soft_delete"], description=_("Slett valgte systemtilganger"))
    def soft_delete(self, request, queryset):
        deleted = 0
        for system_user_id in queryset.filter(is_deleted=False).values_list("pk", flat=True):
            try:
                delete_system_user(system_user_id=system_user_id, by=None, actor=staff_actor(request))
                deleted += 1
            except ServiceError:
                pass  # deleted by someone else in the meantime: nothing left to do
        if deleted:
            message = ngettext("%(n)d systemtilgang er slettet.", "%(n)d systemtilganger er slettet.", deleted)
            self.message_user(request, message % {"n": deleted}, messages.SUCCESS)
        else:
            self.message_user(request, _("Ingen av de valgte systemtilgangene var aktive."), messages.WARNING)
