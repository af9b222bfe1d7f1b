"""Audit events: who did what to which object, when, from where. Written inside the service's transaction."""

from django.db import models
from django.db.models import Q

# Events that belong in a system user's history: not the token traffic that versions before usage
# counting (registry.usage) wrote as audit events. A partial index with the same condition keeps a page
# of history one index range, however many of those are left.
HISTORY = Q(object_type="systemuser") & ~Q(action__startswith="token.")


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=100, db_index=True, help_text="e.g. systemuser.created, token.refused")
    actor = models.CharField(max_length=200, help_text="person:<pid>, vendor:<orgno>, client:<id>, staff:<user>")
    actor_person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=200, blank=True)
    party_orgno = models.CharField(max_length=9, blank=True, db_index=True)
    outcome = models.CharField(max_length=20, default="ok")
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["object_id", "-at", "-id"], condition=HISTORY, name="auditevent_history"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"
