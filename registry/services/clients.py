"""Client delegation: which of a facilitator's clients an agent system user may act for.

A facilitator (accounting, audit or business-manager firm) owns an agent system user that requires
some access packages (its SystemUserPackage rows). A client administrator of the facilitator adds
clients to it: organisations for which the facilitator holds *every* required package itself, through
an ER role (REGN, REVI, FFØR… via the role→package rules) or a package delegation from the client.
The PDP reads these rows live, so adding or removing a client takes effect on the next decision.

The lists a person pages through (who may be added, who is missing and why) are read off the firm's
list of clients (`registry.listings`, a copy of `registry.access.holdings_for_clients` kept by the
writers) a page at a time, so a firm with thousands of clients costs the same as one with three. Adding
a client checks the rule itself (`assess`), never the copy.
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from lib.errors import ServiceError
from lib.identifiers import is_valid_orgno
from registry import access, audit, events, listings
from registry.models import (
    ClientDelegation,
    ClientListing,
    Organisation,
    Person,
    SystemUser,
    SystemUserPackage,
    SystemUserType,
)
from registry.models.parties import matching_q

# One add may name at most this many clients: a page of the portal's list, with room to spare.
MAX_CLIENTS_PER_ADD = 500


@dataclass(frozen=True)
class Candidate:
    """An organisation the facilitator holds at least one package for, measured against the requirement."""

    org_id: uuid.UUID
    orgno: str
    name: str
    role_code: str  # the role(s) that give the required packages, e.g. "REGN" ("" = by delegation only)
    packages: tuple[str, ...]  # the required packages the facilitator holds for it
    missing: tuple[str, ...]  # the required packages it does not (empty: eligible)

    @property
    def eligible(self) -> bool:
        return not self.missing


ADDED, ALREADY, REFUSED = "added", "already", "refused"


@dataclass(frozen=True)
class Outcome:
    """What adding one client came to, when many are added at once (`add_each`)."""

    orgno: str
    name: str  # "" when it is no client of the firm
    result: str  # ADDED, ALREADY or REFUSED
    code: str = ""  # why refused: AUTH-00079 (no client of the firm), AUTH-00080 (lacks required packages)
    missing: tuple[str, ...] = ()  # AUTH-00080: the required packages it lacks


def assess(facilitator: Organisation, required: list[str], *, orgs: QuerySet | None = None) -> list[Candidate]:
    """Every live organisation the facilitator holds any package for (with access), by name, measured
    against the required packages: the rule itself, which adding a client checks (the pages read the
    firm's list, `registry.listings`). `orgs` narrows the organisations looked at (the org numbers
    being added). Three queries whatever the number of clients (registry.access decides)."""
    candidates = []
    for holding in access.holdings_for_clients(facilitator, among=orgs).values():
        giving = {role for code in required for role in holding.roles.get(code, ())}
        candidates.append(
            Candidate(
                org_id=holding.org_id,
                orgno=holding.orgno,
                name=holding.name,
                role_code=",".join(sorted(giving))[:20],
                packages=tuple(p for p in required if p in holding.packages),
                missing=tuple(p for p in required if p not in holding.packages),
            )
        )
    # The firm itself (when it may be its own client) first, then the clients by name.
    return sorted(candidates, key=lambda c: (c.org_id != facilitator.pk, c.name.casefold(), c.orgno))


def required_packages(system_user: SystemUser) -> list[str]:
    return list(
        SystemUserPackage.objects.filter(system_user=system_user)
        .order_by("package_id")
        .values_list("package_id", flat=True)
    )


def _listed(system_user: SystemUser) -> QuerySet[ClientListing]:
    """The firm's listed clients (itself first, then by name: the order its index walks) that are live
    and not on this system user yet."""
    added = ClientDelegation.objects.filter(system_user=system_user).values("client_id")
    rows = ClientListing.objects.filter(holder_id=system_user.owner_id, client__is_deleted=False)
    return rows.exclude(client_id__in=added).order_by("rank", "name", "orgno")


def eligible(system_user: SystemUser, *, query: str = "", required=None) -> QuerySet[ClientListing]:
    """The organisations that may be added to the agent system user now, as rows of the firm's list of
    clients (`registry.listings`): the facilitator holds every required package for them, they are live
    and not added already. `query` matches name or org number (`choosing` adds the role filter). The
    firm itself first, then by name: a page is read off the list's index, so a firm with 5,000 clients
    costs what one with 50 does."""
    required = required_packages(system_user) if required is None else required
    if not required:
        return ClientListing.objects.none()
    return _listed(system_user).filter(listings.holds_every(required), matching_q(query))


def choosing(system_user: SystemUser, *, query: str, role: str | None, required: list[str]) -> Q:
    """A search and a role filter on `eligible`'s rows (Q() for neither). `role` (an ER code,
    OWN_ORGANISATION, or "" for clients that delegated the packages themselves) narrows them as
    `Candidate.role_code` does; None leaves the role open."""
    where = matching_q(query)
    if role is not None:
        where &= listings.through(required, role)
    return where


def candidates(rows, required: list[str]) -> list[Candidate]:
    """The rows (a page of `eligible` or `not_qualifying`) as Candidates in the same order, with the
    roles that make them clients and what they lack, read off the rows: no query."""
    if not required:
        return []
    found = []
    for row in rows:
        held = listings.held(row)
        giving = {role for code in required for role in held.get(code, ())}
        found.append(
            Candidate(
                org_id=row.client_id,
                orgno=row.orgno,
                name=row.name,
                role_code=",".join(sorted(giving)),
                packages=tuple(p for p in required if p in held),
                missing=tuple(p for p in required if p not in held),
            )
        )
    return found


def eligible_clients(system_user: SystemUser, *, query: str = "") -> list[Candidate]:
    """Every client that may be added now (`eligible`), as Candidates: for a short list; pages and APIs
    cut `eligible` first."""
    required = required_packages(system_user)
    return candidates(eligible(system_user, query=query, required=required), required)


def not_qualifying(system_user: SystemUser, *, required=None) -> QuerySet[ClientListing]:
    """The firm's clients (organisations it holds any package for) that may not be added, as rows of its
    list (firm first, then by name): why a client is missing from `eligible`. Already added ones are
    left out. `candidates` on a page of them says what each lacks."""
    required = required_packages(system_user) if required is None else required
    if not required:
        return ClientListing.objects.none()
    return _listed(system_user).exclude(listings.holds_every(required))


def _agent_system_user(system_user_id, by: Person | None, party: Organisation | None) -> SystemUser:
    """The live agent system user, locked for this transaction, if `by` may administer its clients.

    The row lock serialises adds and removes on one system user (PostgreSQL; a no-op on SQLite, where
    the unique constraint and the database's single writer do the same). Someone else's or a deleted
    system user answers "not found", so its existence does not leak.
    """
    try:
        pk = uuid.UUID(str(system_user_id))
    except ValueError:
        raise access.system_user_not_found() from None
    system_users = SystemUser.objects.select_for_update(of=("self",)).select_related("owner", "system")
    system_users = system_users.filter(is_deleted=False, **({"owner": party} if party is not None else {}))
    system_user = access.access_system_user(system_users, pk, by, may=access.CLIENTS)
    if system_user.user_type != SystemUserType.AGENT:
        raise ServiceError(
            "STD-00000", "Clients can be added only to an agent system access (one for clients), not a standard one"
        )
    return system_user


def _via(via: dict | None) -> dict:
    # How the change came, when not through the portal: e.g. the end-user API and the person token used.
    return {"via": via} if via else {}


def _wanted_orgnos(orgnos: list[str]) -> list[str]:
    if not isinstance(orgnos, (list, tuple)) or not orgnos:
        raise ServiceError("STD-00000", "Name at least one client (organisation number)")
    if len(orgnos) > MAX_CLIENTS_PER_ADD:
        raise ServiceError("STD-00000", f"At most {MAX_CLIENTS_PER_ADD} clients can be added at a time")
    return list(dict.fromkeys(str(o).strip() for o in orgnos))


def _checked(system_user: SystemUser, orgnos: list[str]) -> list[Candidate]:
    """The candidates for these org numbers, or the refusal: AUTH-00079 names the ones that are no
    client of the facilitator at all, AUTH-00080 the ones that lack some required package."""
    required = required_packages(system_user)
    valid = [o for o in orgnos if is_valid_orgno(o)]
    by_orgno = {
        c.orgno: c for c in assess(system_user.owner, required, orgs=Organisation.objects.filter(orgno__in=valid))
    }
    not_clients = [o[:20] for o in orgnos if o not in by_orgno]
    if not_clients:
        raise ServiceError(
            "AUTH-00079",
            "Not a client of the facilitator: " + ", ".join(not_clients),
            items=not_clients,
        )
    lacking = [by_orgno[o] for o in orgnos if by_orgno[o].missing]
    if lacking or not required:
        items = [{"orgno": c.orgno, "name": c.name, "missing": list(c.missing)} for c in lacking]
        described = "; ".join(f"{c.orgno} lacks {', '.join(c.missing)}" for c in lacking) or "nothing is required"
        raise ServiceError("AUTH-00080", f"The client has not given all required packages: {described}", items=items)
    return [by_orgno[o] for o in orgnos]


def _insert_one(row: ClientDelegation) -> bool:
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def _insert(system_user: SystemUser, wanted: list[Candidate], *, by, actor, ip, via) -> list[ClientDelegation]:
    """Delegations for the candidates not added already, with one audit event each; returns those made."""
    added = set(
        ClientDelegation.objects.filter(system_user=system_user, client_id__in=[c.org_id for c in wanted]).values_list(
            "client_id", flat=True
        )
    )
    rows = [
        ClientDelegation(
            system_user=system_user,
            client_id=c.org_id,
            role_code=c.role_code,
            packages=list(c.packages),
            created_by=by,
        )
        for c in wanted
        if c.org_id not in added
    ]
    try:
        with transaction.atomic():
            ClientDelegation.objects.bulk_create(rows)
    except IntegrityError:
        # Someone added some of them between our read and our insert (where the row lock is a no-op):
        # keep exactly the ones this call made, so each client gets one audit event in all.
        rows = [row for row in rows if _insert_one(row)]
    wanted_by_id = {c.org_id: c for c in wanted}
    audit_data = []
    for row in rows:
        client = wanted_by_id[row.client_id]
        data = {"client": client.orgno, "client_name": client.name, "role": row.role_code, "packages": row.packages}
        audit_data.append(data | _via(via))
    audit.on_system_user_each("systemuser.client_added", system_user, by=by, actor=actor, data=audit_data, ip=ip)
    if rows:
        clients = [wanted_by_id[row.client_id].orgno for row in rows]
        events.on_system_user(events.SYSTEMUSER_CLIENTS_ADDED, system_user, clients=clients)
    return rows


@transaction.atomic
def add_clients(
    *,
    system_user_id,
    orgnos: list[str],
    by: Person | None,
    party: Organisation | None = None,
    actor: str = "",
    ip: str | None = None,
    via: dict | None = None,
) -> list[ClientDelegation]:
    """Let the agent system user act for these clients; returns the delegations made now.

    All or nothing: one refused org number refuses the lot. Clients already added are left as they
    are (adding twice is no error and records nothing). Each new client gets its own audit event.
    """
    system_user = _agent_system_user(system_user_id, by, party)
    wanted = _checked(system_user, _wanted_orgnos(orgnos))
    return _insert(system_user, wanted, by=by, actor=actor, ip=ip, via=via)


@transaction.atomic
def add_each(
    *,
    system_user_id,
    orgnos: list[str] | None,
    by: Person | None,
    party: Organisation | None = None,
    actor: str = "",
    ip: str | None = None,
    via: dict | None = None,
) -> list[Outcome]:
    """Add many clients, each on its own: every client that qualifies is added, every other one is
    refused with its reason, and one refusal does not stop the rest (all or nothing per client, not
    per batch). `orgnos` None: "add all" — every organisation the firm holds any package for, read
    under the lock: those that qualify are added, the others come back refused with what they lack.

    Idempotent: a client already there is ALREADY and records nothing, so running it twice (or twice at
    once: the system user's row is locked) adds each client once. A fixed number of queries however
    many clients (the audit events in one insert).
    """
    system_user = _agent_system_user(system_user_id, by, party)
    required = required_packages(system_user)
    if orgnos is None:
        candidates = assess(system_user.owner, required) if required else []
        wanted = [c.orgno for c in candidates]
    else:
        wanted = _wanted_orgnos(orgnos)
        valid = [o for o in wanted if is_valid_orgno(o)]
        candidates = assess(system_user.owner, required, orgs=Organisation.objects.filter(orgno__in=valid))
    by_orgno = {c.orgno: c for c in candidates}
    outcomes: dict[str, Outcome] = {}
    for orgno in wanted:
        candidate = by_orgno.get(orgno)
        if candidate is None:
            outcomes[orgno] = Outcome(orgno[:20], "", REFUSED, "AUTH-00079")
        elif candidate.missing or not required:
            outcomes[orgno] = Outcome(orgno, candidate.name, REFUSED, "AUTH-00080", candidate.missing)
    addable = [by_orgno[o] for o in wanted if o not in outcomes]
    made = {row.client_id for row in _insert(system_user, addable, by=by, actor=actor, ip=ip, via=via)}
    for c in addable:
        outcomes[c.orgno] = Outcome(c.orgno, c.name, ADDED if c.org_id in made else ALREADY)
    return [outcomes[o] for o in wanted]


@transaction.atomic
def remove_client(
    *,
    system_user_id,
    orgno: str,
    by: Person | None,
    party: Organisation | None = None,
    actor: str = "",
    ip: str | None = None,
    via: dict | None = None,
) -> bool:
    """Stop the agent system user acting for this client, at once. False: it was not a client of it.

    Deleting the row is the compare-and-set: of two concurrent removes one deletes it and records the
    event; the other finds nothing.
    """
    system_user = _agent_system_user(system_user_id, by, party)
    row = (
        ClientDelegation.objects.select_related("client")
        .filter(system_user=system_user, client__orgno=str(orgno)[:20])
        .first()
    )
    if row is None:
        return False
    deleted, _ = ClientDelegation.objects.filter(pk=row.pk).delete()
    if not deleted:
        return False
    data = {"client": row.client.orgno, "client_name": row.client.name} | _via(via)
    audit.on_system_user("systemuser.client_removed", system_user, by=by, actor=actor, data=data, ip=ip)
    events.on_system_user(events.SYSTEMUSER_CLIENTS_REMOVED, system_user, clients=[row.client.orgno])
    return True
