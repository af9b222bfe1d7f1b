"""Staff admin for support: vendor requests (read-only) and the notification outbox."""

from django.contrib import admin, messages

from approvals.models import Decidable, Request
from registry import outbox
from registry.admin.readonly import ReadOnlyAdmin
from registry.models import Notification, NotificationStatus


@admin.register(Request)
class RequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "system", "party", "status", "escalated", "created", "decided_at"]
    list_filter = ["status", "kind", "escalated"]
    search_fields = ["id", "party__orgno", "party__name", "system__system_id", "external_ref"]
    list_select_related = ["system", "party"]
    date_hierarchy = "created"
    fields = [
        "kind",
        "system",
        "party",
        "external_ref",
        "integration_title",
        "rights",
        "access_packages",
        *[f.name for f in Decidable._meta.fields],
    ]

    # Decisions go through the approval pages (their services: approvals/system_user_requests.py), never the admin.


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created", "kind", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "object_id", "subject"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Send again (failed notifications)")
    def send_again(self, request, queryset):
        ids = list(queryset.filter(status=NotificationStatus.FAILED).values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids, status=NotificationStatus.FAILED).update(
            status=NotificationStatus.PENDING, attempts=0, last_error=""
        )
        for notification_id in ids:
            outbox.enqueue(notification_id)
        self.message_user(request, f"{len(ids)} notification(s) queued again.", messages.SUCCESS)
