"""Request flooding (issue 18; docs/vendor-api.md "Limits"): a new request or change request mails an
organisation, so what one vendor may make is bounded — written once for both entities, which differ only
in the `Entity` that describes them.

- `queue_on(party)`: new requests and change requests to one organisation wait on its row (PostgreSQL;
  SQLite writes one at a time anyway), so that the limits and the mail rule count each other's rows.
- `check`: so many open ones of an entity per vendor and organisation (REQUEST_MAX_OPEN_PER_PARTY,
  CHANGE_REQUEST_MAX_OPEN_PER_PARTY), so many new ones of both entities together per vendor a day
  (REQUEST_MAX_PER_DAY; deleted ones count), else 429 with the seconds until one more is allowed.
- `mailed_recently`: at most one new-one mail (its own or a digest) per entity, vendor and organisation per
  REQUEST_MAIL_INTERVAL_MINUTES; approvals.notifications sends the mails and the digest by it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from approvals.models import ChangeRequest, Decidable, Request
from lib.errors import RateLimited
from registry.models import Organisation


@dataclass(frozen=True, eq=False)
class Entity:
    """How one kind of vendor ask reaches its vendor and the organisation that decides it."""

    model: type[Decidable]
    noun: str  # plural, in the 429's detail
    max_open_setting: str
    vendor_field: str
    party_field: str
    related: str  # select_related for its e-mails
    open_filter: dict  # what else "can still be decided" needs

    @property
    def max_open(self) -> int:
        return getattr(settings, self.max_open_setting)

    def open_ones(self) -> QuerySet:
        """What can still be decided."""
        return self.model.objects.pending().filter(**self.open_filter)

    def of(self, vendor: Organisation, party: Organisation, *, only_open: bool = False) -> QuerySet:
        """The vendor's ones to the organisation: the open ones, or all (deleted and decided included)."""
        found = self.open_ones() if only_open else self.model.objects.all()
        return found.filter(**{self.vendor_field: vendor, self.party_field: party})


REQUESTS = Entity(
    model=Request,
    noun="requests",
    max_open_setting="REQUEST_MAX_OPEN_PER_PARTY",
    vendor_field="system__vendor",
    party_field="party",
    related="system__vendor",
    open_filter={},
)
CHANGE_REQUESTS = Entity(
    model=ChangeRequest,
    noun="change requests",
    max_open_setting="CHANGE_REQUEST_MAX_OPEN_PER_PARTY",
    vendor_field="system_user__system__vendor",
    party_field="system_user__owner",
    related="system_user__system__vendor",
    open_filter={"system_user__is_deleted": False},  # a deleted system access has nothing left to change
)
ENTITIES = (REQUESTS, CHANGE_REQUESTS)


def entity_of(obj: Request | ChangeRequest) -> Entity:
    return CHANGE_REQUESTS if isinstance(obj, ChangeRequest) else REQUESTS


def queue_on(party: Organisation) -> None:
    """Wait on the organisation's row until the transaction ends (call inside one, before `check`)."""
    Organisation.objects.take_turns(party)


def check(entity: Entity, vendor: Organisation, party: Organisation, *, opens: bool = True) -> None:
    """Refuse (429) one more of `entity` from the vendor to the organisation when a limit is reached;
    `opens=False` for one that will not be open (a change request with nothing to change), which only the
    day's allowance counts."""
    now = timezone.now()
    if opens:
        open_ones = entity.of(vendor, party, only_open=True).order_by("created")
        if open_ones.count() >= entity.max_open:
            raise RateLimited(
                f"The vendor has {entity.max_open} open {entity.noun} to this organisation; "
                "wait until one is decided, deleted or times out",
                retry_after=(open_ones.first().expires_at - now).total_seconds(),
            )
    since = now - timedelta(days=1)
    today = [e.model.objects.filter(**{e.vendor_field: vendor}, created__gt=since) for e in ENTITIES]
    if sum(made.count() for made in today) >= settings.REQUEST_MAX_PER_DAY:
        oldest = min(c for made in today if (c := made.order_by("created").values_list("created", flat=True).first()))
        raise RateLimited(
            f"The vendor has made {settings.REQUEST_MAX_PER_DAY} requests and change requests in the last 24 hours",
            retry_after=(oldest + timedelta(days=1) - now).total_seconds(),
        )


def mailed_recently(entity: Entity, vendor: Organisation, party: Organisation) -> bool:
    """Did the vendor's ones of this entity cause a new-one mail or digest to the organisation this interval?"""
    since = timezone.now() - timedelta(minutes=settings.REQUEST_MAIL_INTERVAL_MINUTES)
    return entity.of(vendor, party).filter(announced__gte=since).exists()
