"""Staff admin: audit events (read-only), and the audit trail of staff edits made in the admin."""

from django.contrib import admin
from django.db.models import Q

from registry import audit
from registry.admin.readonly import ReadOnlyAdmin
from registry.models import AuditEvent, Organisation, TokenRefusal


def staff_actor(request) -> str:
    return f"staff:{request.user.get_username()}"


def _party_of(obj) -> str:
    """The organisation an edited object belongs to, for the audit event's party."""
    if isinstance(obj, Organisation):
        return obj.orgno
    for name in ("of", "from_org", "owner", "vendor"):
        value = getattr(obj, name, None)
        if isinstance(value, Organisation):
            return value.orgno
    return ""


def record_staff_edit(request, obj, verb: str, data: dict | None = None) -> None:
    audit.record(
        f"admin.{obj._meta.model_name}.{verb}",
        actor=staff_actor(request),
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        party_orgno=_party_of(obj),
        data={"repr": str(obj)[:200], **(data or {})},
        ip=request.META.get("REMOTE_ADDR"),
    )


class StaffAudited:
    """Every staff edit of the registers and the catalog leaves one of our audit events.

    Django's own admin log is kept too, but our audit trail is the one support and owners read.
    """

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_staff_edit(request, obj, "changed" if change else "created", {"fields": list(form.changed_data)})

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        counts = {
            "created": len(formset.new_objects),
            "changed": len(formset.changed_objects),
            "deleted": len(formset.deleted_objects),
        }
        if any(counts.values()):
            record_staff_edit(request, form.instance, "changed", {formset.model._meta.model_name: counts})

    def delete_model(self, request, obj):
        record_staff_edit(request, obj, "deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_staff_edit(request, obj, "deleted")
        super().delete_queryset(request, queryset)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: nobody adds, changes or deletes audit events through the admin."""

    list_display = ("at", "action", "actor", "object_type", "object_id", "party_orgno", "outcome")
    list_filter = ("outcome", "object_type", "action", "at")
    search_fields = ("action", "actor", "object_id", "party_orgno", "reason")
    date_hierarchy = "at"
    list_per_page = 100
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    search_help_text = (
        "A system user id, organisation number, client id or national identity number finds its events exactly; "
        "other words search action, actor and reason. Narrow by action and time with the filters."
    )

    def get_search_results(self, request, queryset, search_term):
        """An identifier is looked up exactly (by index, however big the log): as the object, the
        organisation, or the actor (`client:<id>`, `person:<pid>`). Anything else, or an identifier with
        no events, searches the words as before."""
        term = search_term.strip()
        if term and " " not in term:
            exact = Q(object_id=term) | Q(actor__in=[term, f"client:{term}", f"person:{term}", f"vendor:{term}"])
            if len(term) <= 9:
                exact |= Q(party_orgno=term)
            hits = queryset.filter(exact)
            if hits.exists():
                return hits, False
        return super().get_search_results(request, queryset, search_term)


@admin.register(TokenRefusal)
class TokenRefusalAdmin(ReadOnlyAdmin):
    """Token requests refused for known clients, counted per reason (registry.usage). Read-only."""

    list_display = ("last_at", "client_id", "party_orgno", "reason", "detail", "count", "first_at")
    list_filter = ("reason", "last_at")
    search_fields = ("=client_id", "=party_orgno", "detail")
    date_hierarchy = "last_at"
    list_per_page = 100
    readonly_fields = [f.name for f in TokenRefusal._meta.fields]
