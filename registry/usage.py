"""Usage of system users, recorded by the token endpoint and read by the portal and the vendor API.

Recording is one upsert per token request (a counter per system user and hour, or per refusal reason),
never a read or a scan, so it costs the hot path one round trip whatever the history. Reading is a few
index look-ups: the counters of the last 30 days (at most 720 rows) and the last refusals.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from lib.compiled import CompiledUpsert
from registry.models import RefusalReason, SystemClient, SystemUser, SystemUserUsage, TokenRefusal

DAY = timedelta(hours=24)
MONTH = timedelta(days=30)
LAST_REFUSALS = 5

_count_token = CompiledUpsert(
    SystemUserUsage,
    "system_user",
    "hour",
    "issued",
    "last_at",
    "last_client_id",
    "kid",
    key=("system_user", "hour", "kid"),
    add=("issued",),
)
_count_refusal = CompiledUpsert(
    TokenRefusal,
    "client_id",
    "party_orgno",
    "reason",
    "detail",
    "description",
    "system_user_id",
    "count",
    "first_at",
    "last_at",
    key=("client_id", "party_orgno", "reason", "detail"),
    add=("count",),
    keep=("first_at",),
)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def token_record(
    *, system_user_id: uuid.UUID | str, client_id: str, kid: str = "", at: datetime | None = None
) -> tuple[CompiledUpsert, dict]:
    """The upsert that counts a token issued for the system user in its hour (per key) and remembers it as
    the last use, and its values: for a caller that runs it inside its own statement (the token endpoint
    spends the grant's jti and records the token in one, maskinporten/grants.py)."""
    at = at or timezone.now()
    values = {"system_user": system_user_id, "hour": _hour(at), "issued": 1, "last_at": at}
    return _count_token, values | {"last_client_id": client_id[:200], "kid": kid[:200]}


def record_token(*, system_user_id: uuid.UUID | str, client_id: str, kid: str = "", at: datetime | None = None) -> None:
    """A token was issued for the system user: count it (token_record)."""
    upsert, values = token_record(system_user_id=system_user_id, client_id=client_id, kid=kid, at=at)
    upsert.run(**values)


def record_refusal(
    *,
    client_id: str,
    reason: str,
    party_orgno: str = "",
    detail: str = "",
    description: str = "",
    system_user_id: uuid.UUID | str | None = None,
    at: datetime | None = None,
) -> None:
    """A known client was refused a token: count it under its reason (and detail, e.g. the externalRef)."""
    at = at or timezone.now()
    _count_refusal.run(
        client_id=client_id[:200],
        party_orgno=party_orgno,
        reason=reason,
        detail=detail[:200],
        description=description[:1000],
        system_user_id=system_user_id or None,
        count=1,
        first_at=at,
        last_at=at,
    )


@dataclass
class Usage:
    """What the business sees of a system user's use: the last token, counts, the last refusals."""

    last_at: datetime | None = None
    last_client_id: str = ""
    day: int = 0
    month: int = 0
    refusals: list[TokenRefusal] = field(default_factory=list)


def usage_of(system_user: SystemUser, *, now: datetime | None = None) -> Usage:
    """Three queries whatever the traffic: the last use, the counts (24 hours and 30 days, by the hour),
    and the last refusals of the system's clients asking for the owner."""
    now = now or timezone.now()
    counters = SystemUserUsage.objects.filter(system_user=system_user)
    last = counters.order_by("-hour", "-last_at").values_list("last_at", "last_client_id").first()
    sums = counters.filter(hour__gt=now - MONTH).aggregate(
        month=Sum("issued"), day=Sum("issued", filter=Q(hour__gt=now - DAY))
    )
    return Usage(
        last_at=last[0] if last else None,
        last_client_id=last[1] if last else "",
        day=sums["day"] or 0,
        month=sums["month"] or 0,
        refusals=list(refusals_for(system_user, now=now)[:LAST_REFUSALS]),
    )


def refusals_for(system_user: SystemUser, *, now: datetime | None = None):
    """Refusals in the last 30 days of a client of the system user's system asking for its owner, newest
    first: a wrong externalRef names no system user, but the business needs to see it on this one."""
    since = (now or timezone.now()) - MONTH
    clients = SystemClient.objects.filter(system_id=system_user.system_id).values("client_id")
    return TokenRefusal.objects.filter(party_orgno=system_user.owner.orgno, client_id__in=clients, last_at__gt=since)


__all__ = ["RefusalReason", "Usage", "record_refusal", "record_token", "token_record", "usage_of"]
