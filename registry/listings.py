"""A firm's clients as a list read in name order a page at a time (`registry.models.ClientListing`).

Who is whose client, and what a firm holds for it, is decided in one place:
`registry.access.holdings_for_clients`. This module copies that answer, for the pair of organisations
that changed, into rows a page walks through an index — so a page of a firm's 5,000 clients costs what a
page of 50 does — and reads the copy back (`holds_every`, `through`, `held`). The copy decides nothing
on its own: adding a client checks the rule itself again (`registry.services.clients`).

Every writer reaches it: the model signals connected here (services, staff admin, tests); the register
importer for its bulk inserts (`refresh_pairs`); the catalog when the role rules change
(`refresh_all`, after migrate). An organisation's own row (its own packages) is written when it gets an
agent system user; from then on it changes with the organisation's form like any other.
"""

from collections.abc import Iterable
from itertools import batched

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save

from registry import access
from registry.models import (
    ClientListing,
    Organisation,
    PackageDelegation,
    RoleAssignment,
    RolePackage,
    SystemUser,
    SystemUserType,
)

CHUNK = 500  # organisations per refresh query (SQLite's limit on parameters, PostgreSQL's plan size)


def held_tokens(holding: access.ClientHoldings) -> str:
    """`,pkg,` for each package held and `,pkg:ROLE,` for each role that gives it (SELF: its own)."""
    roles = sorted(f"{code}:{role}" for code, given in holding.roles.items() for role in given)
    return "," + ",".join(sorted(holding.packages) + roles) + ","


def held(row: ClientListing) -> dict[str, set[str]]:
    """What a row says is held: package -> the roles that give it (empty: delegated by the client)."""
    packages: dict[str, set[str]] = {}
    for token in row.held.strip(",").split(","):
        code, _, role = token.partition(":")
        roles = packages.setdefault(code, set())
        if role:
            roles.add(role)
    return packages


def holds_every(packages: list[str]) -> Q:
    """The rows whose holder holds every one of `packages` (`access.clients_holding`'s rule, as copied)."""
    every = Q()
    for code in dict.fromkeys(packages):
        every &= Q(held__contains=f",{code},")
    return every


def through(packages: list[str], role: str) -> Q:
    """The rows whose holder holds some of `packages` through `role` (an ER code, or OWN_ORGANISATION),
    or — `role` "" — none of them through any role (the client delegated them): `access.clients_through`
    as copied."""
    if role:
        some = Q(pk__in=[])
        for code in dict.fromkeys(packages):
            some |= Q(held__contains=f",{code}:{role},")
        return some
    none = Q()
    for code in dict.fromkeys(packages):
        none &= ~Q(held__contains=f",{code}:")
    return none


def refresh(holder: Organisation, client_ids: Iterable | None = None) -> None:
    """Write `holder`'s rows for these organisations (None: all of its clients) from the rule; a row
    for an organisation it no longer holds anything for goes."""
    if client_ids is None:
        _write(holder, None)
        return
    for chunk in batched(dict.fromkeys(client_ids), CHUNK):
        _write(holder, list(chunk))


def _write(holder: Organisation, ids: list | None) -> None:
    # The holder's own row goes with every change of its list: it is a client of itself when it holds
    # packages of its own (its form), and so its list always has it.
    ids = None if ids is None else [*ids, *([] if holder.pk in ids else [holder.pk])]
    among = None if ids is None else Organisation.objects.filter(pk__in=ids)
    with transaction.atomic():
        # One writer of a firm's list at a time. Every write has the firm's own row, so two at once (two
        # agent system accesses approved together, a role from the register during a delegation) would
        # both insert it; and the later one must read the links the first committed, or the list keeps
        # the older answer.
        Organisation.objects.take_turns(holder)
        holdings = access.holdings_for_clients(holder, among=among)
        written = ClientListing.objects.filter(holder=holder)
        (written if ids is None else written.filter(client_id__in=ids)).delete()
        rows = [
            ClientListing(
                holder=holder,
                client_id=h.org_id,
                rank=0 if h.org_id == holder.pk else 1,
                name=h.name,
                orgno=h.orgno,
                held=held_tokens(h),
            )
            for h in holdings.values()
        ]
        ClientListing.objects.bulk_create(rows, batch_size=1000)


def refresh_pairs(pairs: Iterable[tuple]) -> None:
    """(holder id, client id) pairs whose roles or delegations were written in bulk (the importer)."""
    by_holder: dict = {}
    for holder_id, client_id in pairs:
        if holder_id is not None:
            by_holder.setdefault(holder_id, []).append(client_id)
    for holder in Organisation.objects.filter(pk__in=list(by_holder)):
        refresh(holder, by_holder[holder.pk])


def refresh_client(org: Organisation) -> None:
    """Every row that names `org` — its name, number, form or deletion changed — written again."""
    for holder in Organisation.objects.filter(pk__in=_holders(org)):
        refresh(holder, [org.pk])


def refresh_all() -> None:
    """Every firm's list again (the role rules changed)."""
    for holder in Organisation.objects.filter(pk__in=_holders()).iterator():
        refresh(holder)


def _holders(client: Organisation | None = None) -> set:
    """The firms that have a list, a role or a delegation (of `client`, if one is named): whose lists a
    change may write."""
    listed = ClientListing.objects.all()
    roles = RoleAssignment.objects.filter(holder_org__isnull=False)
    delegations = PackageDelegation.objects.filter(to_org__isnull=False)
    if client is not None:
        listed, roles, delegations = (
            listed.filter(client=client),
            roles.filter(of=client),
            delegations.filter(from_org=client),
        )
    return {
        *listed.order_by().values_list("holder_id", flat=True).distinct(),
        *roles.order_by().values_list("holder_org_id", flat=True).distinct(),
        *delegations.order_by().values_list("to_org_id", flat=True).distinct(),
    }


# The (holder, client) pair a role or a delegation names: an edit in place (staff admin) moves it.
PAIR = {RoleAssignment: ("holder_org_id", "of_id"), PackageDelegation: ("to_org_id", "from_org_id")}


def _pair_before(sender, instance, **kwargs) -> None:
    if instance.pk is not None:
        instance._pair_before = sender.objects.filter(pk=instance.pk).values_list(*PAIR[sender]).first()


def _link_changed(sender, instance, **kwargs) -> None:
    """A role or delegation given, taken back or edited: the pair it names now, and the one it named.
    (When an organisation is deleted, its links go before it and its rows with it: a holder already
    gone is not found by refresh_pairs, so nothing is written for it.)"""
    now = tuple(getattr(instance, field) for field in PAIR[sender])
    refresh_pairs({now, getattr(instance, "_pair_before", None) or now})


# What a row copies of an organisation, or the rule reads of it (holdings_for_clients).
LISTED_FIELDS = frozenset({"name", "orgno", "form", "is_deleted"})


def _organisation_saved(sender, instance: Organisation, created: bool, update_fields=None, **kwargs) -> None:
    # A save that names its fields (the register importer's) and none of these changes no list.
    if not created and (update_fields is None or LISTED_FIELDS & update_fields):
        refresh_client(instance)


def _rules_changed(sender, **kwargs) -> None:
    refresh_all()


def _system_user_saved(sender, instance: SystemUser, created: bool, **kwargs) -> None:
    # A firm's own row (it may be its own client) from its first agent system user on.
    if created and instance.user_type == SystemUserType.AGENT:
        refresh(instance.owner, [instance.owner_id])


def rules() -> set[tuple]:
    """The role rules the lists are written from (to tell whether loading the catalog changed them)."""
    return {
        (r, p, a, repr(v))
        for r, p, a, v in RolePackage.objects.values_list("role_id", "package_id", "has_access", "entity_variants")
    }


def after_catalog(before: set[tuple]) -> None:
    """After migrate has loaded the catalog: every list again if the role rules changed, or if none was
    written yet while there are links to write them from (the first migrate that has the table)."""
    unwritten = not ClientListing.objects.exists() and (
        RoleAssignment.objects.filter(holder_org__isnull=False).exists()
        or PackageDelegation.objects.filter(to_org__isnull=False).exists()
    )
    if unwritten or rules() != before:
        refresh_all()


def connect() -> None:  # pragma: no mutate block
    # Runs once when Django starts, before mutmut forks its mutants: each wire is pinned by
    # tests/registry/test_listings.py (each one removed fails it: checked by hand, docs/testing.md).
    for signal, when in ((post_save, "saved"), (post_delete, "deleted")):
        for model in PAIR:
            signal.connect(_link_changed, sender=model, dispatch_uid=f"listings.{model.__name__}.{when}")
        signal.connect(_rules_changed, sender=RolePackage, dispatch_uid=f"listings.rules.{when}")
    for model in PAIR:
        pre_save.connect(_pair_before, sender=model, dispatch_uid=f"listings.{model.__name__}.before")
    post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="listings.organisation")
    post_save.connect(_system_user_saved, sender=SystemUser, dispatch_uid="listings.system_user")
