"""Vendor events: one CloudEvents 1.0 object per thing that happened, for the vendor that owns the system.

`emit` is called by the one service function that makes each change, inside its transaction (DESIGN
§5.4, as for e-mail): the event row and one delivery per matching webhook subscription are committed
with the change or not at all, and Celery sends the deliveries after the commit (registry/webhooks.py).
The vendor reads the same events from its feed (`GET …/systemuser/vendor/events`).

| type | emitted by |
|---|---|
| `no.systembruker.request.accepted` / `.rejected` / `.timedout` | approvals.transitions (decide_once, time_out) |
| `no.systembruker.changerequest.accepted` / `.rejected` / `.timedout` | the same |
| `no.systembruker.systemuser.deleted` | registry.services.lifecycle.delete_system_user |
| `no.systembruker.systemuser.access_revoked` | registry.services.grants.change_grants (packages or rights removed) |
| `no.systembruker.systemuser.clients_added` / `.clients_removed` | registry.services.clients |
| `no.systembruker.system.changed` | registry.services.systems (by staff or an admin-scope caller) |

At least once, not exactly once: a receiver de-duplicates on the event's `id` (also the `webhook-id`).
"""

from registry.models import SystemUser, VendorEvent
from registry.models.events import (  # the types, for callers: events.REQUEST_ACCEPTED …
    CHANGEREQUEST_ACCEPTED,
    CHANGEREQUEST_REJECTED,
    CHANGEREQUEST_TIMEDOUT,
    EVENT_TYPES,
    PREFIX,
    REQUEST_ACCEPTED,
    REQUEST_REJECTED,
    REQUEST_TIMEDOUT,
    SYSTEM_CHANGED,
    SYSTEMUSER_ACCESS_REVOKED,
    SYSTEMUSER_CLIENTS_ADDED,
    SYSTEMUSER_CLIENTS_REMOVED,
    SYSTEMUSER_DELETED,
)
from registry.webhooks import fan_out

__all__ = [
    "PREFIX",
    "emit",
    "on_system_user",
    "system_user_data",
    "CHANGEREQUEST_ACCEPTED",
    "CHANGEREQUEST_REJECTED",
    "CHANGEREQUEST_TIMEDOUT",
    "EVENT_TYPES",
    "REQUEST_ACCEPTED",
    "REQUEST_REJECTED",
    "REQUEST_TIMEDOUT",
    "SYSTEM_CHANGED",
    "SYSTEMUSER_ACCESS_REVOKED",
    "SYSTEMUSER_CLIENTS_ADDED",
    "SYSTEMUSER_CLIENTS_REMOVED",
    "SYSTEMUSER_DELETED",
]


def emit(event_type: str, *, vendor_id, subject: object, data: dict) -> VendorEvent:
    """Write the event for the vendor and queue its webhook deliveries. Call inside the transaction of
    the change it reports."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type}")
    event = VendorEvent.objects.create(vendor_id=vendor_id, type=event_type, subject=str(subject)[:200], data=data)
    fan_out(event)
    return event


def system_user_data(system_user: SystemUser) -> dict:
    """The ids the vendor API uses for a system user (as in `GET …/systemuser/vendor/bysystem`)."""
    return {
        "systemUserId": str(system_user.pk),
        "systemId": system_user.system.system_id,
        "partyOrgNo": system_user.owner.orgno,
        "externalRef": system_user.external_ref,
        "userType": system_user.user_type,
    }


def on_system_user(event_type: str, system_user: SystemUser, **data) -> VendorEvent:
    """An event about a system user, for its system's vendor; subject = the system user's id."""
    return emit(
        event_type,
        vendor_id=system_user.system.vendor_id,
        subject=system_user.pk,
        data={**system_user_data(system_user), **data},
    )
