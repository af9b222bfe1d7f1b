"""Vendor requests (standard, agent) and change requests."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RequestStatus(models.TextChoices):
    NEW = "New", "New"
    ACCEPTED = "Accepted", "Accepted"
    REJECTED = "Rejected", "Rejected"
    DENIED = "Denied", "Denied"
    TIMEDOUT = "Timedout", "Timedout"
    NO_CHANGE_NEEDED = "NoChangeNeeded", "NoChangeNeeded"


class RequestKind(models.TextChoices):
    STANDARD = "standard", "standard"
    AGENT = "agent", "agent"


class RequestQuerySet(models.QuerySet):
    def live(self):
        return self.filter(is_deleted=False)

    def pending(self):
        """Live, New and not timed out: what can still be decided."""
        return self.live().filter(status=RequestStatus.NEW, created__gt=Decidable.timeout_cutoff())

    def for_party(self, org):
        return self.filter(party=org)

    def of_vendor(self, vendor):
        """Requests for the vendor's systems: all that a vendor may see through the API."""
        return self.filter(system__vendor=vendor)

    def of_kind(self, kind):
        return self.filter(kind=kind)

    def for_triple(self, *, party, system, external_ref):
        return self.filter(party=party, system=system, external_ref=external_ref)

    def for_overview(self, org):
        """Pending requests to the organisation (escalated ones included), with system and vendor."""
        return self.pending().for_party(org).select_related("system__vendor").order_by("-created")


class ChangeRequestQuerySet(models.QuerySet):
    def live(self):
        return self.filter(is_deleted=False)

    def of_vendor(self, vendor):
        """Change requests for system users of the vendor's systems: what a vendor may see through the API."""
        return self.filter(system_user__system__vendor=vendor)

    def pending(self):
        """Live, New and not timed out: what can still be decided."""
        return self.live().filter(status=RequestStatus.NEW, created__gt=Decidable.timeout_cutoff())

    def for_overview(self, org):
        """Pending change requests for the organisation's live system users, with system and vendor."""
        return (
            self.pending()
            .filter(system_user__owner=org, system_user__is_deleted=False)
            .select_related("system_user__system__vendor")
            .order_by("-created")
        )


class Decidable(models.Model):
    """What requests and change requests share: New until decided once, or until they time out."""

    redirect_url = models.CharField(max_length=2000, blank=True)
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW)
    escalated = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_deleted = models.BooleanField(default=False)
    # When the organisation was mailed about it: its own "new request" mail, or a digest of the ones the
    # mail interval held back (approvals.flooding, approvals.notifications); None while it waits for that digest.
    announced = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @staticmethod
    def lifetime() -> timedelta:
        """How long a request or change request stays open: REQUEST_TIMEOUT_DAYS."""
        return timedelta(days=settings.REQUEST_TIMEOUT_DAYS)

    @classmethod
    def timeout_cutoff(cls, at: datetime | None = None) -> datetime:
        """The time-out rule, the one place it is written: one created at or before the returned moment
        has timed out at `at` (default now). Querysets take `created__gt=cutoff` for the open ones
        (`pending()`) and `created__lte=cutoff` for those to mark Timedout."""
        return (at or timezone.now()) - cls.lifetime()

    @property
    def expires_at(self) -> datetime:
        """The moment this one times out (the e-mails name it): `timeout_cutoff(expires_at) == created`."""
        return self.created + self.lifetime()

    @property
    def timed_out(self) -> bool:
        if self.status == RequestStatus.TIMEDOUT:
            return True
        return self.status == RequestStatus.NEW and self.created <= self.timeout_cutoff()

    @property
    def is_open(self) -> bool:
        return self.status == RequestStatus.NEW and not self.timed_out


class Request(Decidable):
    """A vendor's request that a business create a system user (CONTRACT §2.2)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=RequestKind.choices, default=RequestKind.STANDARD)
    system = models.ForeignKey("registry.RegisteredSystem", on_delete=models.PROTECT, related_name="requests")
    party = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="requests")
    external_ref = models.CharField(max_length=200)
    integration_title = models.CharField(max_length=200, blank=True)
    # [{"resource": "<id>", "action": "<action or empty>"}]
    rights = models.JSONField(default=list, blank=True)
    # ["<package code>", ...]
    access_packages = models.JSONField(default=list, blank=True)
    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["party", "status"]), models.Index(fields=["system", "created"])]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "party", "system", "external_ref"],
                condition=Q(status="New", is_deleted=False),
                name="request_one_open_per_triple",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} request {self.id} ({self.status})"

    event_noun = "request"  # its vendor events: no.systembruker.request.<status>

    def event_data(self) -> dict:
        """The ids the vendor API uses for it, for its vendor events (registry.events)."""
        data = {
            "id": str(self.pk),
            "kind": self.kind,
            "systemId": self.system.system_id,
            "partyOrgNo": self.party.orgno,
            "externalRef": self.external_ref,
            "status": self.status,
        }
        if self.status == RequestStatus.ACCEPTED:
            data["systemUserId"] = str(self.pk)  # the system user gets the request's id
        return data


class ChangeRequest(Decidable):
    """A vendor's request to change the rights of an existing system user (CONTRACT §2.3)."""

    id = models.UUIDField(primary_key=True, editable=False)
    system_user = models.ForeignKey("registry.SystemUser", on_delete=models.PROTECT, related_name="change_requests")
    required_rights = models.JSONField(default=list, blank=True)
    unwanted_rights = models.JSONField(default=list, blank=True)
    required_access_packages = models.JSONField(default=list, blank=True)
    unwanted_access_packages = models.JSONField(default=list, blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["created"])]  # a vendor's day allowance (approvals.flooding)

    @property
    def party(self):
        """The organisation that decides: the system user's owner."""
        return self.system_user.owner

    @property
    def system(self):
        return self.system_user.system

    event_noun = "changerequest"  # its vendor events: no.systembruker.changerequest.<status>

    def event_data(self) -> dict:
        """The ids the vendor API uses for it, for its vendor events (registry.events)."""
        return {
            "id": str(self.pk),
            "systemUserId": str(self.system_user_id),
            "systemId": self.system.system_id,
            "partyOrgNo": self.party.orgno,
            "externalRef": self.system_user.external_ref,
            "status": self.status,
        }
