"""Authority, decided in one place: who may act for which organisation and delegate what.

Views, APIs and services call these functions; they never filter party data by hand.
"""

from dataclasses import dataclass, replace
from functools import cached_property

from django.db.models import Q, QuerySet

from lib.errors import ServiceError
from registry.models import (
    AccessPackage,
    Organisation,
    PackageDelegation,
    Person,
    PolicyRule,
    RegisteredSystem,
    Role,
    RoleAssignment,
    RolePackage,
    SystemUser,
)

ACCESS_MANAGER_PACKAGES = ("tilgangsstyrer", "hovedadministrator")
CLIENT_ADMIN_PACKAGE = "klientadministrator"
# The ER roles that make an organisation a client of an accounting, audit or business-manager firm.
CLIENT_ROLES = ("REGN", "REVI", "FFØR")
# How the firm itself holds a package for its own organisation, where a client's name the ER role (REGN…).
OWN_ORGANISATION = "SELF"


@dataclass(frozen=True)
class PackageGrant:
    code: str
    has_access: bool
    can_delegate: bool


@dataclass(frozen=True)
class DelegationFailure:
    """One requested package or right the person may not delegate, and why (in plain words)."""

    kind: str  # "package" or "right"
    item: str  # package code, or "<resource>:<action>"
    reason: str


def orgs_for_person(person: Person) -> QuerySet[Organisation]:
    """Organisations the person may act for: any role or package delegation there, and the subunits
    of a (live) main unit they may act for (`main_unit_ids`). Semi-joins on the UNION of the person's
    own rows, rather than a DISTINCT over a join or two IN tests OR-ed (which filter a scan of every
    organisation): the cost follows the person's organisations, not the register's (a million in
    production)."""
    direct = _direct_org_ids(person)
    mains = Organisation.objects.live().filter(direct)
    return Organisation.objects.live().filter(direct | Q(parent__in=mains)).order_by("name")


def _direct_org_ids(person: Person) -> Q:
    roles = RoleAssignment.objects.filter(holder_person=person).values("of_id")
    delegations = PackageDelegation.objects.filter(to_person=person).values("from_org_id")
    return _any_of([roles, delegations])


def main_unit_ids(org: Organisation) -> list:
    """The organisations whose roles and delegations count for `org`: itself, and its main unit when it
    is a subunit (underenhet). As in Altinn, a role or package for the main unit gives the same for its
    subunits; one level only (Enhetsregisteret's main unit → subunit), and never upwards."""
    return [org.pk] if org.parent_id is None else [org.pk, org.parent_id]


@dataclass(frozen=True)
class ActingBasis:
    """One reason a person may act for an organisation: an ER role (`role`) or a package delegated to
    them (`package`), held for the organisation itself or for its main unit (`via_main_unit`)."""

    role: Role | None = None
    package: AccessPackage | None = None
    via_main_unit: bool = False


def acting_bases(person: Person, orgs: list[Organisation]) -> dict[object, list[ActingBasis]]:
    """Per organisation in `orgs`, why the person may act for it (the act-for page says so): their ER
    roles there, then the packages delegated to them, then the same for its main unit. Two queries,
    however many organisations."""
    parent_of = {org.pk: org.parent_id for org in orgs}
    wanted = set(parent_of) | {parent for parent in parent_of.values() if parent}
    own: dict[object, list[ActingBasis]] = {}
    roles = RoleAssignment.objects.filter(holder_person=person, of_id__in=wanted, of__is_deleted=False)
    for assignment in roles.select_related("role").order_by("role__name_nb"):
        own.setdefault(assignment.of_id, []).append(ActingBasis(role=assignment.role))
    delegations = PackageDelegation.objects.filter(to_person=person, from_org_id__in=wanted, from_org__is_deleted=False)
    for delegation in delegations.select_related("package").order_by("package__name_nb"):
        own.setdefault(delegation.from_org_id, []).append(ActingBasis(package=delegation.package))
    bases = {}
    for org_id, parent in parent_of.items():
        inherited = [replace(basis, via_main_unit=True) for basis in own.get(parent, [])] if parent else []
        bases[org_id] = own.get(org_id, []) + inherited
    return bases


def may_act_for(person: Person | None, org: Organisation | None) -> bool:
    return Authority(person, org).may_act_for


def _grants(of_org: Organisation, *, person: Person | None = None, holder_org: Organisation | None = None):
    """Packages the person (or organisation) holds for `of_org`, merged over roles and delegations. A
    person's roles and delegations for a live main unit count for its subunits (`main_unit_ids`), each
    role's rules read for the form of the organisation the role is held for. Two queries."""
    if person is not None:
        holder = {"holder_person": person, "of_id__in": main_unit_ids(of_org), "of__is_deleted": False}
        recipient = {"to_person": person, "from_org_id__in": main_unit_ids(of_org), "from_org__is_deleted": False}
    else:
        holder, recipient = {"holder_org": holder_org, "of": of_org}, {"to_org": holder_org, "from_org": of_org}
    grants: dict[str, PackageGrant] = {}

    def merge(code: str, has_access: bool, can_delegate: bool) -> None:
        old = grants.get(code)
        if old is not None:
            has_access, can_delegate = has_access or old.has_access, can_delegate or old.can_delegate
        grants[code] = PackageGrant(code, has_access, can_delegate)

    held = {f"role__roleassignment__{key}": value for key, value in holder.items()}
    rules = RolePackage.objects.filter(**held).values_list(
        "package_id", "has_access", "can_delegate", "entity_variants", "role__roleassignment__of__form"
    )
    for code, has_access, can_delegate, variants, form in rules:
        if _applies(variants, form):
            merge(code, has_access, can_delegate)
    for code in PackageDelegation.objects.filter(**recipient).values_list("package_id", flat=True):
        # A package delegated to someone gives access, not the right to pass it on.
        merge(code, True, False)
    return grants


def packages_for(person: Person, org: Organisation) -> dict[str, PackageGrant]:
    """Every package the person holds for the organisation, with has-access and can-delegate."""
    return _grants(org, person=person)


def packages_of_org_for(holder: Organisation, client: Organisation) -> dict[str, PackageGrant]:
    """Packages an organisation holds for another through its roles (e.g. REGN) or delegations; for
    itself, also its own packages (`own_packages`)."""
    grants = _grants(client, holder_org=holder)
    if holder.pk == client.pk:
        for code in own_packages(client) - set(grants):
            grants[code] = PackageGrant(code, True, False)
    return grants


def own_packages(org: Organisation, packages: set[str] | None = None) -> set[str]:
    """The packages an organisation holds for itself, as its own principal: every package an ER role
    with access gives for an organisation of its form (the role rules' entity variants). So a firm may
    be a client of its own agent system user for the regnskapsfører and revisor packages, but an AS is
    never its own forretningsfører eiendom (ESEK and BRL only). One query."""
    rules = RolePackage.objects.filter(has_access=True, role__legacy_code__isnull=False).exclude(role__legacy_code="")
    if packages is not None:
        rules = rules.filter(package_id__in=packages)
    return {
        code for code, variants in rules.values_list("package_id", "entity_variants") if _applies(variants, org.form)
    }


def client_roles_giving(packages: list[str]) -> dict[str, list[str]]:
    """Per package, the client roles (REGN, REVI, FFØR) that give it with access: what a client could
    register the firm as to give it the package. One query."""
    rules = RolePackage.objects.filter(package_id__in=packages, has_access=True, role__legacy_code__in=CLIENT_ROLES)
    giving: dict[str, list[str]] = {}
    for code, role in rules.order_by("role__legacy_code").values_list("package_id", "role__legacy_code"):
        giving.setdefault(code, []).append(role)
    return giving


def _applies(variants, form: str) -> bool:
    return variants is None or form in variants


def is_access_manager(person: Person | None, org: Organisation | None) -> bool:
    return Authority(person, org).is_access_manager


def is_client_admin(person: Person | None, org: Organisation | None) -> bool:
    return Authority(person, org).is_client_admin


def delegation_check(
    person: Person, org: Organisation, *, packages: list[str], rights: list[dict]
) -> list[DelegationFailure]:
    return Authority(person, org).delegation_check(packages=packages, rights=rights)


class Authority:
    """What one person may do for one organisation, read from the register when first asked and then
    kept: a page builds one per request (portal.actor.authority) and asks it as often as it likes; the
    functions above build a fresh one per call."""

    def __init__(self, person: Person | None, org: Organisation | None):
        self.person, self.org = person, org

    @cached_property
    def may_act_for(self) -> bool:
        """Any role or package delegation for the (live) organisation or its (live) main unit."""
        person, org = self.person, self.org
        if person is None or org is None or org.is_deleted:
            return False
        ofs = main_unit_ids(org)  # a role for the main unit counts for its subunits
        if RoleAssignment.objects.filter(holder_person=person, of_id__in=ofs, of__is_deleted=False).exists():
            return True
        live = {"from_org_id__in": ofs, "from_org__is_deleted": False}
        return PackageDelegation.objects.filter(to_person=person, **live).exists()

    @cached_property
    def packages(self) -> dict[str, PackageGrant]:
        """Every package the person holds for the organisation ({} if they may not act for it)."""
        return packages_for(self.person, self.org) if self.may_act_for else {}

    @property
    def is_access_manager(self) -> bool:
        return any(code in self.packages for code in ACCESS_MANAGER_PACKAGES)

    @property
    def is_client_admin(self) -> bool:
        """Holds the package `klientadministrator` with access (DESIGN §4): may add and remove clients.

        A main administrator (hovedadministrator) may only pass the package on, not use it (role rules:
        has-access false), so they are not client administrator until someone gives it to them.
        """
        grant = self.packages.get(CLIENT_ADMIN_PACKAGE)
        return grant is not None and grant.has_access

    def delegation_check(self, *, packages: list[str], rights: list[dict]) -> list[DelegationFailure]:
        """What the person may not delegate of the given packages and rights ([] = all allowed).

        A right (resource, action) may be delegated when the person may delegate a package that the
        resource's policy grants for that action; an empty action means every action in the policy.
        """
        grants = self.packages
        delegable = {code for code, grant in grants.items() if grant.can_delegate}
        failures = []
        for code in packages:
            if code not in grants:
                failures.append(DelegationFailure("package", code, "not_held"))
            elif code not in delegable:
                failures.append(DelegationFailure("package", code, "not_delegable"))
        if rights:
            resource_ids = {r["resource"] for r in rights}
            policy: dict[tuple[str, str], set[str]] = {}
            for resource_id, action, package in PolicyRule.objects.filter(resource_id__in=resource_ids).values_list(
                "resource_id", "action", "package_id"
            ):
                policy.setdefault((resource_id, action), set()).add(package)
            for right in rights:
                actions = (
                    [right["action"]] if right.get("action") else [a for (r, a) in policy if r == right["resource"]]
                )
                item = f"{right['resource']}:{right.get('action') or '*'}"
                if not actions or not all(policy.get((right["resource"], a), set()) & delegable for a in actions):
                    held = all(policy.get((right["resource"], a), set()) & set(grants) for a in actions) and actions
                    failures.append(DelegationFailure("right", item, "not_delegable" if held else "not_held"))
        return failures


MANAGE = "manage"  # access manager (AUTH-00066 otherwise)
CLIENTS = "clients"  # client administrator (AUTH-00016 otherwise)


def require(person: Person | None, org: Organisation, may: str, *, authority: Authority | None = None) -> None:
    """Raise unless the person holds the authority `may` names for the organisation (None: operator
    staff, who may do anything); `authority`: the person's for `org`, when the caller has read it."""
    if person is None:
        return
    authority = authority or Authority(person, org)
    if may == MANAGE and not authority.is_access_manager:
        raise ServiceError("AUTH-00066", "You are not access manager for this organisation", status=403)
    if may == CLIENTS and not authority.is_client_admin:
        raise ServiceError("AUTH-00016", "You are not client administrator for this organisation", status=403)


def system_user_not_found() -> ServiceError:
    """AUTH-00015 (CONTRACT §6): the one answer for a system user that does not exist, is deleted, or is
    another organisation's or vendor's (so that its existence does not leak)."""
    return ServiceError("AUTH-00015", "System user not found", status=404)


def access_system_user(
    system_users: QuerySet[SystemUser], pk, person: Person | None, *, may: str | None = None
) -> SystemUser:
    """The system user `pk` from `system_users` (the caller's filters, joins and row lock), if the person
    may act for its owner — else AUTH-00015 (404), so another organisation's does not leak — and holds
    the authority `may` names (`require`). `person` None is operator staff, who may manage any."""
    system_user = system_users.filter(pk=pk).first()
    authority = None if system_user is None or person is None else Authority(person, system_user.owner)
    if system_user is None or (authority is not None and not authority.may_act_for):
        raise system_user_not_found()
    if may is not None:
        require(person, system_user.owner, may, authority=authority)  # read once: may_act_for, then packages
    return system_user


def vendor_owns_system(vendor: Organisation, system: RegisteredSystem) -> bool:
    """A self-developed system has no vendor in this sense: no one may write it or ask for it by the API."""
    return system.vendor_id == vendor.pk and not system.is_self_developed


def access_managers_of(org: Organisation) -> QuerySet[Person]:
    """Persons who are access manager for the organisation (by role or by package delegation, for it or
    for its main unit). The access-manager packages have no entity variants, so one form is enough."""
    roles = [
        role_id
        for role_id, variants in RolePackage.objects.filter(package_id__in=ACCESS_MANAGER_PACKAGES).values_list(
            "role_id", "entity_variants"
        )
        if variants is None or org.form in variants
    ]
    ofs = main_unit_ids(org)  # the main unit's access managers are the subunit's too
    return (
        Person.objects.filter(
            Q(roles__of_id__in=ofs, roles__of__is_deleted=False, roles__role_id__in=roles)
            | Q(
                delegations__from_org_id__in=ofs,
                delegations__from_org__is_deleted=False,
                delegations__package_id__in=ACCESS_MANAGER_PACKAGES,
            )
        )
        .distinct()
        .order_by("name")
    )


@dataclass(frozen=True)
class ClientHoldings:
    """What a holder organisation holds for one client organisation (with access), and through what."""

    org_id: object
    orgno: str
    name: str
    packages: frozenset[str]
    roles: dict[str, frozenset[str]]  # package -> the roles (ER legacy code, else role code) that give it


def holdings_for_clients(
    holder: Organisation, *, among: QuerySet[Organisation] | None = None, packages: set[str] | None = None
) -> dict[object, ClientHoldings]:
    """Per live organisation, the packages `holder` holds for it with access — through a role (role→
    package rules with has-access, entity variants applied) or a package delegation from it — as
    `packages_of_org_for` decides one at a time (a test pins the two together). `among` narrows the
    organisations, `packages` the packages looked at. The holder itself is among them with its own
    packages (`own_packages`). At most five queries, however many clients.
    """
    assignments = RoleAssignment.objects.filter(holder_org=holder, of__is_deleted=False)
    delegations = PackageDelegation.objects.filter(to_org=holder, from_org__is_deleted=False)
    rule_rows = RolePackage.objects.filter(has_access=True)
    if among is not None:
        assignments = assignments.filter(of__in=among.values("pk"))
        delegations = delegations.filter(from_org__in=among.values("pk"))
    if packages is not None:
        rule_rows = rule_rows.filter(package_id__in=packages)
        delegations = delegations.filter(package_id__in=packages)
    role_rows = list(
        assignments.values_list("of_id", "of__orgno", "of__name", "of__form", "role_id", "role__legacy_code")
    )
    rules: dict[str, list[tuple[str, list | None]]] = {}
    # The rules of the roles just read (a few), not of a second pass over the holder's role rows: for a
    # page of clients that pass cost as much as the firm has clients (5,000 rows for 50 clients).
    held_roles = sorted({row[4] for row in role_rows})
    for role_id, code, variants in rule_rows.filter(role_id__in=held_roles).values_list(
        "role_id", "package_id", "entity_variants"
    ):
        rules.setdefault(role_id, []).append((code, variants))

    orgs: dict[object, tuple[str, str]] = {}
    held: dict[object, dict[str, set[str]]] = {}
    for org_id, orgno, name, form, role_id, legacy in role_rows:
        for code, variants in rules.get(role_id, ()):
            if variants is None or form in variants:
                orgs[org_id] = (orgno, name)
                held.setdefault(org_id, {}).setdefault(code, set()).add(legacy or role_id)
    for org_id, orgno, name, code in delegations.values_list(
        "from_org_id", "from_org__orgno", "from_org__name", "package_id"
    ):
        orgs[org_id] = (orgno, name)
        held.setdefault(org_id, {}).setdefault(code, set())
    if not holder.is_deleted and (among is None or among.filter(pk=holder.pk).exists()):
        # The firm itself, as its own client: its own packages (as packages_of_org_for decides).
        for code in own_packages(holder, packages):
            orgs[holder.pk] = (holder.orgno, holder.name)
            held.setdefault(holder.pk, {}).setdefault(code, set()).add(OWN_ORGANISATION)
    return {
        org_id: ClientHoldings(
            org_id,
            orgno,
            name,
            frozenset(held[org_id]),
            {code: frozenset(roles) for code, roles in held[org_id].items()},
        )
        for org_id, (orgno, name) in orgs.items()
    }


def _giving_rules(holder: Organisation, packages) -> list[tuple[str, str, str, list | None]]:
    """(package, role id, ER code, entity variants) of every role rule that gives one of `packages` with
    access, for the roles `holder` holds for someone. One query."""
    held = RoleAssignment.objects.filter(holder_org=holder).values("role_id")
    rules = RolePackage.objects.filter(has_access=True, role_id__in=held, package_id__in=packages)
    return list(rules.values_list("package_id", "role_id", "role__legacy_code", "entity_variants"))


def _by_roles(holder: Organisation, rules) -> list[QuerySet]:
    """SQL: the ids of the organisations for which `holder` holds a role of one of `rules`, where the rule
    applies to the organisation's form (`_applies`); one select per distinct list of forms."""
    by_variants: dict[tuple | None, set[str]] = {}
    for _code, role_id, _legacy, variants in rules:
        if variants is None or variants:  # an empty list of forms applies to none
            by_variants.setdefault(None if variants is None else tuple(sorted(variants)), set()).add(role_id)
    parts = []
    for variants, role_ids in by_variants.items():
        rows = RoleAssignment.objects.filter(holder_org=holder, role_id__in=sorted(role_ids))
        parts.append((rows if variants is None else rows.filter(of__form__in=variants)).values("of_id"))
    return parts


def _any_of(parts: list[QuerySet]) -> Q:
    """`pk` in any of the id selects (at least one), as one UNION (a semi-join the planner drives from
    the holder's rows, not a scan of the register). UNION ALL: `IN` ignores duplicates, so the database
    need not remove them first (≈ 1 ms less for a firm with 5,000 clients)."""
    first, *rest = parts
    return Q(pk__in=first.union(*rest, all=True) if rest else first)


def holds_every(holder: Organisation, packages: list[str]) -> Q:
    """SQL: the organisations for which `holder` holds every one of `packages` with access, as a filter
    (exclude with it: those lacking some package) — the rule of `holdings_for_clients` put to the
    database, through a role (role→package rules with has-access, entity variants applied to the
    client's form), a package delegation from the client, or — for the holder itself — its own packages.
    A test pins it to `packages_of_org_for`. Two queries to build it. (A firm's whole list of clients is
    read from `registry.listings`, which copies `holdings_for_clients`.)"""
    wanted = list(dict.fromkeys(packages))
    rules = _giving_rules(holder, wanted)
    own = own_packages(holder, set(wanted)) if not holder.is_deleted else set()
    every = Q()
    for code in wanted:
        parts = _by_roles(holder, [rule for rule in rules if rule[0] == code])
        parts.append(PackageDelegation.objects.filter(to_org=holder, package_id=code).values("from_org_id"))
        if code in own:
            parts.append(Organisation.objects.filter(pk=holder.pk).values("pk"))
        every &= _any_of(parts)
    return every
