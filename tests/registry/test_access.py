from registry import access, listings
from tests import factories as f


def test_general_manager_is_access_manager_who_may_delegate(manager, customer):
    assert access.may_act_for(manager, customer)
    assert access.is_access_manager(manager, customer)
    grants = access.packages_for(manager, customer)
    assert grants["skatt-naering"].has_access and grants["skatt-naering"].can_delegate


def test_employee_with_a_delegated_package_may_act_for_but_not_manage(employee, customer):
    assert access.may_act_for(employee, customer)
    assert not access.is_access_manager(employee, customer)
    grant = access.packages_for(employee, customer)["lonn"]
    assert grant.has_access and not grant.can_delegate


def test_outsider_may_not_act_for_the_company(outsider, customer):
    assert not access.may_act_for(outsider, customer)
    assert not access.is_access_manager(outsider, customer)
    assert list(access.orgs_for_person(outsider)) == []


def test_accountant_role_gives_client_packages_that_it_may_not_delegate(accounting_firm, customer):
    f.give_role(accounting_firm, "REGN", customer)
    grants = access.packages_of_org_for(accounting_firm, customer)
    grant = grants["regnskapsforer-med-signeringsrettighet"]
    assert grant.has_access and not grant.can_delegate
    assert "skatt-naering" not in grants


def test_rules_limited_to_some_organisation_forms_apply_only_there(db):
    brl = f.make_org("Borettslaget", form="BRL")
    aksjeselskap = f.make_org("Aksjeselskapet", form="AS")
    manager_firm = f.make_org("Forvalteren AS")
    f.give_role(manager_firm, "FFØR", brl)
    f.give_role(manager_firm, "FFØR", aksjeselskap)
    assert "forretningsforer-eiendom" in access.packages_of_org_for(manager_firm, brl)
    assert "forretningsforer-eiendom" not in access.packages_of_org_for(manager_firm, aksjeselskap)


def test_client_administrator_package_makes_a_client_admin(client_admin, accounting_firm):
    assert access.is_client_admin(client_admin, accounting_firm)
    assert not access.is_access_manager(client_admin, accounting_firm)


def test_a_main_administrator_may_pass_client_admin_on_but_is_not_client_admin(accounting_firm):
    admin = f.make_person("Hanne Hovedadmin")
    f.give_role(admin, "hovedadministrator", accounting_firm)
    assert access.is_access_manager(admin, accounting_firm)
    assert access.packages_for(admin, accounting_firm)["klientadministrator"].can_delegate
    assert not access.is_client_admin(admin, accounting_firm)
    f.delegate_package("klientadministrator", from_org=accounting_firm, to=admin)
    assert access.is_client_admin(admin, accounting_firm)


def test_the_general_manager_is_client_admin_through_the_role(accounting_firm):
    boss = f.make_person("Regine Regnskap")
    f.give_role(boss, "DAGL", accounting_firm)
    assert access.is_client_admin(boss, accounting_firm)


def test_delegation_check_passes_for_the_general_manager(manager, customer):
    failures = access.delegation_check(
        manager, customer, packages=["skatt-naering"], rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}]
    )
    assert failures == []


def test_delegation_check_names_each_item_the_employee_may_not_delegate(employee, customer):
    failures = access.delegation_check(
        employee,
        customer,
        packages=["lonn", "skatt-naering"],
        rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}],
    )
    assert {(x.kind, x.item, x.reason) for x in failures} == {
        ("package", "lonn", "not_delegable"),
        ("package", "skatt-naering", "not_held"),
        ("right", "ske-krav-og-betalinger:read", "not_held"),
    }


def test_a_right_without_action_needs_every_action_of_the_policy(employee, customer):
    f.delegate_package("krav-og-utlegg", from_org=customer, to=employee)
    failures = access.delegation_check(
        employee, customer, packages=[], rights=[{"resource": "ske-krav-og-betalinger", "action": ""}]
    )
    assert [x.reason for x in failures] == ["not_delegable"]


# Subunits (underenheter): as in Altinn, a role or package for the main unit counts for its subunits.


def test_a_role_for_the_main_unit_gives_the_same_for_its_subunits(manager, employee, customer):
    torget = f.make_org("Avd. Torget", parent=customer)
    assert access.may_act_for(manager, torget)
    assert access.is_access_manager(manager, torget)
    assert access.packages_for(manager, torget)["skatt-naering"].can_delegate
    assert access.delegation_check(manager, torget, packages=["skatt-naering"], rights=[]) == []
    assert access.packages_for(employee, torget)["lonn"].has_access  # a delegated package too
    assert torget in access.orgs_for_person(manager)
    assert list(access.access_managers_of(torget)) == [manager]


def test_a_role_for_a_subunit_gives_nothing_for_its_main_unit_or_sibling(db):
    main = f.make_org("Hoved AS")
    torget, kaia = f.make_org("Avd. Torget", parent=main), f.make_org("Avd. Kaia", parent=main)
    person = f.make_person()
    f.give_role(person, "DAGL", torget)
    assert access.may_act_for(person, torget)
    assert not access.may_act_for(person, main)
    assert not access.may_act_for(person, kaia)
    assert access.packages_for(person, kaia) == {}
    assert list(access.orgs_for_person(person)) == [torget]


def test_a_deleted_main_unit_gives_nothing_for_its_subunits(manager, customer):
    torget = f.make_org("Avd. Torget", parent=customer)
    customer.is_deleted = True
    customer.save(update_fields=["is_deleted"])
    assert not access.may_act_for(manager, torget)
    assert access.packages_for(manager, torget) == {}
    assert list(access.orgs_for_person(manager)) == []
    assert list(access.access_managers_of(torget)) == []


def test_the_main_units_roles_reach_one_level_down_only(manager, customer):
    torget = f.make_org("Avd. Torget", parent=customer)
    below = f.make_org("Under Torget", parent=torget)
    assert not access.may_act_for(manager, below)
    assert below not in access.orgs_for_person(manager)


def test_an_organisations_client_roles_are_not_inherited_by_subunits(accounting_firm, customer):
    f.give_role(accounting_firm, "REGN", customer)
    torget = f.make_org("Avd. Torget", parent=customer)
    assert access.packages_of_org_for(accounting_firm, torget) == {}


def test_acting_bases_name_the_role_the_package_and_the_main_units(manager, customer):
    other = f.make_org("Annen AS")
    f.delegate_package("lonn", from_org=other, to=manager)
    torget = f.make_org("Avd. Torget", parent=customer)
    bases = access.acting_bases(manager, [customer, other, torget])
    assert [(b.role.legacy_code, b.via_main_unit) for b in bases[customer.pk]] == [("DAGL", False)]
    assert [(b.package.code, b.via_main_unit) for b in bases[other.pk]] == [("lonn", False)]
    assert [(b.role.legacy_code, b.via_main_unit) for b in bases[torget.pk]] == [("DAGL", True)]


# --- what the mutants of registry/access.py found untested (docs/testing.md) ---

KRAV = "ske-krav-og-betalinger"
A_MELDING = "ske-innrapportering-a-melding"


def test_a_person_acts_for_the_organisations_of_their_roles_and_of_their_delegations(
    manager, customer, accounting_firm
):
    """Each way on its own counts; an organisation's own roles elsewhere give the person nothing."""
    by_delegation = f.make_org("Delegert AS")
    f.delegate_package("lonn", from_org=by_delegation, to=manager)
    f.give_role(accounting_firm, "REGN", f.make_org("Firmaets Kunde AS"))
    f.delegate_package("lonn", from_org=f.make_org("Til Firmaet AS"), to=accounting_firm)
    assert [o.name for o in access.orgs_for_person(manager)] == ["Bakeriet Nordmann AS", "Delegert AS"]


def test_an_organisation_holds_its_own_packages_with_access_but_may_not_pass_them_on(accounting_firm):
    signing = "regnskapsforer-med-signeringsrettighet"
    own = access.packages_of_org_for(accounting_firm, accounting_firm)
    assert own[signing] == access.PackageGrant(signing, True, False)
    assert signing in access.own_packages(accounting_firm)


def test_own_packages_come_from_er_roles_with_access_for_the_organisations_form(db):
    from registry.models import Role, RolePackage

    firm, branch = f.make_org("Firma AS"), f.make_org("Borettslaget Lia", form="BRL")
    # A rule of an ER role that gives a package without access (may delegate it only): not held.
    regn = Role.objects.get(legacy_code="REGN")
    RolePackage.objects.create(role=regn, package_id="eksplisitt", has_access=False, can_delegate=True)
    for org in (firm, branch):
        own = access.own_packages(org)
        assert "regnskapsforer-med-signeringsrettighet" in own  # REGN's, for every form
        assert "vergemal-bank-representasjon-dagligbank" not in own  # only a role outside ER gives it
        assert "eksplisitt" not in own
    assert "forretningsforer-eiendom" in access.own_packages(branch)  # FFØR's, for ESEK and BRL only
    assert "forretningsforer-eiendom" not in access.own_packages(firm)


def test_a_right_for_one_action_needs_only_that_action(employee, customer):
    """lonn grants read on A-melding only (write needs a-ordning): the employee holds it, may not pass it on."""
    failures = access.delegation_check(
        employee, customer, packages=[], rights=[{"resource": A_MELDING, "action": "read"}]
    )
    assert [(x.kind, x.item, x.reason) for x in failures] == [("right", f"{A_MELDING}:read", "not_delegable")]


def test_a_right_without_action_is_named_with_a_star(employee, customer):
    failures = access.delegation_check(employee, customer, packages=[], rights=[{"resource": KRAV, "action": ""}])
    assert [(x.item, x.reason) for x in failures] == [(f"{KRAV}:*", "not_held")]


def test_a_right_for_an_action_no_policy_line_names_is_not_held(manager, customer):
    failures = access.delegation_check(manager, customer, packages=[], rights=[{"resource": KRAV, "action": "sign"}])
    assert [(x.item, x.reason) for x in failures] == [(f"{KRAV}:sign", "not_held")]


def test_require_says_who_may_manage(employee, customer):
    from lib.errors import ServiceError

    try:
        access.require(employee, customer, access.MANAGE)
    except ServiceError as refused:
        assert (refused.code, refused.status, refused.detail) == (
            "AUTH-00066",
            403,
            "You are not access manager for this organisation",
        )
    else:
        raise AssertionError("an employee without an access-manager package may not manage")


def test_a_person_holds_only_their_own_roles_and_delegations_for_this_organisation(manager, employee, customer):
    """Others' roles and delegations at the company, and the employee's own elsewhere, give nothing here."""
    colleague = f.make_person("Kollega")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=colleague)
    elsewhere = f.make_org("Annet AS")
    f.give_role(employee, "DAGL", elsewhere)
    f.delegate_package("tilgangsstyrer", from_org=elsewhere, to=employee)
    assert access.packages_for(employee, customer) == {"lonn": access.PackageGrant("lonn", True, False)}
    assert not access.is_access_manager(employee, customer)


def test_an_organisation_holds_only_its_own_roles_and_delegations_for_a_client(accounting_firm, customer):
    f.give_role(accounting_firm, "REGN", customer)
    other_firm = f.make_org("Annet Byrå AS")
    f.give_role(other_firm, "REVI", customer)
    f.delegate_package("lonn", from_org=customer, to=other_firm)
    f.give_role(f.make_person("Kari"), "DAGL", customer)
    held = access.packages_of_org_for(accounting_firm, customer)
    assert set(held) == {
        "regnskapsforer-med-signeringsrettighet",
        "regnskapsforer-uten-signeringsrettighet",
        "regnskapsforer-lonn",
    }
    assert held["regnskapsforer-lonn"] == access.PackageGrant("regnskapsforer-lonn", True, False)


def test_a_package_held_two_ways_keeps_the_better_of_each(manager, customer):
    """The general manager may pass skatt-naering on (DAGL); being given it as well takes nothing away."""
    f.delegate_package("skatt-naering", from_org=customer, to=manager)
    assert access.packages_for(manager, customer)["skatt-naering"] == access.PackageGrant("skatt-naering", True, True)
    assert access.delegation_check(manager, customer, packages=["skatt-naering"], rights=[]) == []


# --- who is mailed as access manager (registry.access.access_managers_of): the same people the
# approval pages let decide (Authority.is_access_manager), found in one query for the whole register ---


def test_the_access_managers_mailed_are_exactly_those_who_may_decide(db):
    org = f.make_org("Bakeriet AS")
    torget = f.make_org("Avd. Torget", parent=org)
    other, gone = f.make_org("Annen AS"), f.make_org("Nedlagt AS")
    people = {}

    def person(name, *grants):
        people[name] = p = f.make_person(name)
        for kind, code, of in grants:
            if kind == "role":
                f.give_role(p, code, of)
            else:
                f.delegate_package(code, from_org=of, to=p)
        return p

    person("Dagny Leder", ("role", "DAGL", org))
    person("Lars Styreleder", ("role", "LEDE", org))
    person("Hanne Hovedadmin", ("role", "hovedadministrator", org))  # may pass the package on: decides too
    person("Tore Tilgangsstyrer", ("package", "tilgangsstyrer", org))
    person("Hilde Hovedadministrator", ("package", "hovedadministrator", org))
    person("Ola Lønn", ("package", "lonn", org))  # another package: not an access manager
    person("Rita Revisor", ("role", "REVI", org))  # a role that gives no access-manager package
    person("Anne Annen", ("role", "DAGL", other), ("package", "tilgangsstyrer", other))  # for someone else
    person("Nils Nedlagt", ("role", "DAGL", gone))
    person("Nora Nedlagt", ("package", "tilgangsstyrer", gone))
    person("Begge Veier", ("role", "DAGL", org), ("role", "LEDE", org), ("package", "tilgangsstyrer", org))  # once
    f.make_person("Uten Noe")
    gone.is_deleted = True
    gone.save(update_fields=["is_deleted"])
    for unit in (org, torget, other, gone):
        expected = sorted(p.name for p in people.values() if access.is_access_manager(p, unit))
        assert [p.name for p in access.access_managers_of(unit)] == expected, unit.name
    assert [p.name for p in access.access_managers_of(org)] == [
        "Begge Veier",
        "Dagny Leder",
        "Hanne Hovedadmin",
        "Hilde Hovedadministrator",
        "Lars Styreleder",
        "Tore Tilgangsstyrer",
    ]
    assert list(access.access_managers_of(gone)) == []


def test_an_access_manager_role_limited_to_other_forms_is_not_mailed(db):
    from registry.models import RolePackage

    org, leader = f.make_org("Enkelt", form="ENK"), f.make_person("Dagny Leder")
    f.give_role(leader, "DAGL", org)
    assert [p.name for p in access.access_managers_of(org)] == ["Dagny Leder"]
    RolePackage.objects.filter(role__legacy_code="DAGL", package_id__in=access.ACCESS_MANAGER_PACKAGES).update(
        entity_variants=["AS"]
    )
    assert list(access.access_managers_of(org)) == []
    assert not access.is_access_manager(leader, org)


def test_the_system_user_look_up_reads_the_persons_authority_once(
    manager, customer, vendor, system, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry.models import SystemUser

    system_user = SystemUser.objects.create(owner=customer, system=system, integration_title="Fakturering")
    users = SystemUser.objects.select_related("owner")
    with CaptureQueriesContext(connection) as authority_alone:
        fresh = access.Authority(manager, customer)
        assert fresh.may_act_for and fresh.is_access_manager
    # The look-up is the system user's query plus one reading of what the person may do, not two.
    with django_assert_num_queries(1 + len(authority_alone)):
        assert access.access_system_user(users, system_user.pk, manager, may=access.MANAGE) == system_user


# --- why a person may act for each organisation (acting_bases, the act-for page) ---


def test_acting_bases_are_the_persons_own_for_live_organisations_in_name_order(manager, employee, customer):
    """Only the person's own roles and delegations, each list by name (not by code or by when given); a
    deleted organisation, or a subunit of a deleted main unit, has none; a subunit whose main unit gives
    nothing has its own only."""
    f.give_role(manager, "LEDE", customer)  # "Styrets leder" after "Styremedlem", though given first
    f.give_role(manager, "MEDL", customer)
    f.delegate_package("konkursbo-skrivetilgang", from_org=customer, to=manager)  # after "Konkursbo administrator"
    f.delegate_package("konkursbo-tilgangsstyrer", from_org=customer, to=manager)
    f.give_role(f.make_person("Kollega"), "NEST", customer)  # someone else's role and package
    f.delegate_package("a-ordning", from_org=customer, to=f.make_person("Kollega 2"))
    gone = f.make_org("Nedlagt AS")
    f.give_role(manager, "DAGL", gone)
    f.delegate_package("lonn", from_org=gone, to=manager)
    gone_branch = f.make_org("Avd. Nedlagt", parent=gone)
    lonely = f.make_org("Ensom AS")
    lonely_branch = f.make_org("Avd. Ensom", parent=lonely)
    f.delegate_package("lonn", from_org=lonely_branch, to=manager)
    gone.is_deleted = True
    gone.save(update_fields=["is_deleted"])

    bases = access.acting_bases(manager, [customer, gone, gone_branch, lonely_branch])

    assert [(b.role.legacy_code if b.role else b.package.code, b.via_main_unit) for b in bases[customer.pk]] == [
        ("DAGL", False),
        ("MEDL", False),
        ("LEDE", False),
        ("konkursbo-tilgangsstyrer", False),
        ("konkursbo-skrivetilgang", False),
    ]
    assert bases[gone.pk] == [] and bases[gone_branch.pk] == []
    assert [(b.role, b.package.code, b.via_main_unit) for b in bases[lonely_branch.pk]] == [(None, "lonn", False)]
    # The employee's: their delegation only, none of the manager's roles and packages.
    employees = access.acting_bases(employee, [customer])[customer.pk]
    assert [(b.role, b.package.code) for b in employees] == [(None, "lonn")]


def test_acting_bases_cost_two_queries_however_many_organisations(manager, customer, django_assert_num_queries):
    orgs = [customer]
    for n in range(3):
        org = f.make_org(f"Firma {n} AS")
        f.give_role(manager, "DAGL", org)
        f.delegate_package("lonn", from_org=org, to=manager)
        orgs += [org, f.make_org(f"Avd. {n}", parent=org)]
    with django_assert_num_queries(2):
        bases = access.acting_bases(manager, orgs)
        named = [(b.role.name_nb if b.role else b.package.name_nb) for org in orgs for b in bases[org.pk]]
    assert len(named) == 1 + 4 * 3


# --- a firm's list of clients (registry.listings: what the add-clients pages and the end-user API read
# a page at a time) and holds_every (the change-request page): the same answer as holdings_for_clients,
# one organisation at a time, in a register with other firms, people, forms and deleted organisations
# around the firm — the list kept true by the writers as the register was made. ---

SIGNING = "regnskapsforer-med-signeringsrettighet"
VERGE = "bank-representasjon-dagligbank"  # a role outside ER (no legacy code) that gives a package with access
LOOKED_AT = [
    SIGNING,
    "regnskapsforer-lonn",
    "ansvarlig-revisor",
    "forretningsforer-eiendom",
    "skatt-naering",
    "lonn",
    "klientadministrator",
    "vergemal-bank-representasjon-dagligbank",
]


def _register():
    firm = f.make_org("Byrå AS")
    orgs = {}

    def org(name, form="AS", **fields):
        orgs[name] = f.make_org(name, form=form, **fields)
        return orgs[name]

    f.give_role(firm, "REGN", org("Regn AS"))
    f.give_role(firm, "REVI", org("Revi ENK", "ENK"))
    f.give_role(firm, "FFØR", org("Ffør BRL", "BRL"))
    f.give_role(firm, "FFØR", org("Ffør AS"))  # FFØR gives an AS nothing: no client
    f.give_role(firm, "FFØR", org("Ffør NUF", "NUF"))
    f.delegate_package("lonn", from_org=org("Delegert AS"), to=firm)
    both = org("Begge AS")
    f.give_role(firm, "REGN", both)
    f.give_role(firm, "REVI", both)
    f.delegate_package("regnskapsforer-lonn", from_org=both, to=firm)
    f.delegate_package("skatt-naering", from_org=both, to=firm)
    f.give_role(firm, VERGE, org("Verge AS"))
    f.give_role(firm, "hovedadministrator", org("Hovedadm AS"))  # may pass packages on, holds none with access
    gone = org("Nedlagt AS")
    f.give_role(firm, "REGN", gone)
    f.delegate_package("lonn", from_org=gone, to=firm)
    org("Avd. Regn", parent=orgs["Regn AS"])  # a client's subunit: client roles are not inherited
    other_firm = org("Annet Byrå AS")
    f.give_role(other_firm, "REGN", org("Annens Klient AS"))
    f.delegate_package("lonn", from_org=orgs["Annens Klient AS"], to=other_firm)
    f.give_role(other_firm, "REVI", orgs["Regn AS"])
    person = f.make_person("Kari")
    f.give_role(person, "DAGL", org("Personens AS"))
    f.delegate_package("lonn", from_org=orgs["Personens AS"], to=person)
    gone.is_deleted = True
    gone.save(update_fields=["is_deleted"])
    return firm, orgs


def _names(queryset):
    return sorted(o.name for o in queryset)


def _listed(firm, where=None):
    """The names on the firm's list of clients (live ones), narrowed by a filter of registry.listings."""
    from registry.models import ClientListing

    rows = ClientListing.objects.filter(holder=firm, client__is_deleted=False)
    return _names(rows.filter(where) if where is not None else rows)


def test_a_firms_clients_in_the_database_are_those_holdings_for_clients_lists(db):
    from registry.models import Organisation

    firm, orgs = _register()
    holdings = {h.name: h for h in access.holdings_for_clients(firm).values()}
    assert sorted(holdings) == [
        "Begge AS",
        "Byrå AS",  # itself: its own packages
        "Delegert AS",
        "Ffør BRL",
        "Ffør NUF",
        "Regn AS",
        "Revi ENK",
        "Verge AS",
    ]
    assert holdings["Begge AS"].roles == {
        SIGNING: {"REGN"},
        "regnskapsforer-uten-signeringsrettighet": {"REGN"},
        "regnskapsforer-lonn": {"REGN"},
        "ansvarlig-revisor": {"REVI"},
        "revisormedarbeider": {"REVI"},
        "skatt-naering": set(),
    }
    assert holdings["Verge AS"].roles == {"vergemal-bank-representasjon-dagligbank": {VERGE}}
    assert _listed(firm) == sorted(holdings)

    clients_of = Organisation.objects.filter(name__in=holdings)
    for code in LOOKED_AT:
        expected = sorted(name for name, h in holdings.items() if code in h.packages)
        assert _listed(firm, listings.holds_every([code])) == expected, code
        # the rule in SQL, over the whole register: other firms' roles and delegations count for nothing
        assert _names(Organisation.objects.live().filter(access.holds_every(firm, [code]))) == expected, code
    for codes in ([SIGNING, "regnskapsforer-lonn"], [SIGNING, "ansvarlig-revisor"], [SIGNING, SIGNING, "lonn"]):
        expected = sorted(name for name, h in holdings.items() if set(codes) <= h.packages)
        assert _listed(firm, listings.holds_every(codes)) == expected, codes
        # holds_every as an exclude: the firm's clients lacking one of them
        lacking = sorted(name for name, h in holdings.items() if not set(codes) <= h.packages)
        assert _listed(firm, ~listings.holds_every(codes)) == lacking, codes
        assert _names(clients_of.exclude(access.holds_every(firm, codes))) == lacking, codes
    assert _listed(firm, listings.holds_every([SIGNING, "ansvarlig-revisor"])) == ["Begge AS", "Byrå AS"]
    # Each row names what is held and through which roles, as holdings_for_clients does.
    from registry.models import ClientListing

    for row in ClientListing.objects.filter(holder=firm):
        assert listings.held(row) == {code: set(roles) for code, roles in holdings[row.name].roles.items()}

    # By the role that makes them clients, for the packages asked about (the add page's filter).
    # (forretningsforer-eiendom: an AS is never its own forretningsfører, so not the firm itself)
    for packages in (LOOKED_AT, [SIGNING], ["skatt-naering", "regnskapsforer-lonn"], ["forretningsforer-eiendom"]):
        for through in [*access.CLIENT_ROLES, VERGE, access.OWN_ORGANISATION, ""]:
            expected = []
            for name, h in holdings.items():
                roles = set().union(*(h.roles.get(code, ()) for code in packages))
                if (through in roles) if through else not roles:
                    expected.append(name)
            assert _listed(firm, listings.through(packages, through)) == sorted(expected), (packages, through)


def test_a_deleted_firm_is_no_client_of_itself_but_its_clients_are_still_named(db):
    """As holdings_for_clients: a deleted holder holds nothing as its own organisation."""
    from registry.models import Organisation

    firm, orgs = _register()
    firm.is_deleted = True
    firm.save(update_fields=["is_deleted"])
    assert sorted(h.name for h in access.holdings_for_clients(firm).values()) == [
        "Begge AS",
        "Delegert AS",
        "Ffør BRL",
        "Ffør NUF",
        "Regn AS",
        "Revi ENK",
        "Verge AS",
    ]
    everyone = Organisation.objects.all()
    assert _names(everyone.filter(access.holds_every(firm, [SIGNING]))) == ["Begge AS", "Nedlagt AS", "Regn AS"]
    # Its list says the same: deleting it took its own row off (the organisation's change rewrote it).
    assert _listed(firm) == ["Begge AS", "Delegert AS", "Ffør BRL", "Ffør NUF", "Regn AS", "Revi ENK", "Verge AS"]
    assert _listed(firm, listings.through([SIGNING], access.OWN_ORGANISATION)) == []
    # No role of the firm gives it: every client holds it "through no role"
    assert _listed(firm, listings.through(["konkursbo-lesetilgang"], "")) == _listed(firm)


# --- the look-up of a system user for a person (access_system_user): found only by one who may act for its
# owner, else "not found" (its existence does not leak); then the authority asked for ---


def test_a_system_user_is_found_only_by_one_who_may_act_for_its_owner(
    manager, employee, outsider, customer, vendor, system
):
    import uuid

    from lib.errors import ServiceError
    from registry.models import SystemUser

    system_user = SystemUser.objects.create(owner=customer, system=system, integration_title="Fakturering")
    users = SystemUser.objects.all()

    def refusal(pk, person, may=None, among=users):
        try:
            access.access_system_user(among, pk, person, may=may)
        except ServiceError as refused:
            return refused.code, refused.status
        return None

    for may in (None, access.MANAGE, access.CLIENTS):
        assert refusal(system_user.pk, outsider, may) == ("AUTH-00015", 404), may  # as if it did not exist
        assert refusal(uuid.uuid4(), manager, may) == ("AUTH-00015", 404), may
        assert refusal(uuid.uuid4(), None, may) == ("AUTH-00015", 404), may
        assert access.access_system_user(users, system_user.pk, None, may=may) == system_user  # operator staff
    assert access.access_system_user(users, system_user.pk, employee) == system_user  # may act for it
    assert refusal(system_user.pk, employee, access.MANAGE) == ("AUTH-00066", 403)
    assert refusal(system_user.pk, employee, access.CLIENTS) == ("AUTH-00016", 403)
    for may in (None, access.MANAGE, access.CLIENTS):  # the general manager: both by the role (DAGL)
        assert access.access_system_user(users, system_user.pk, manager, may=may) == system_user
    # Only from the caller's queryset (their filters: not deleted, of a kind), for staff too.
    for person in (None, manager):
        assert refusal(system_user.pk, person, among=users.exclude(pk=system_user.pk)) == ("AUTH-00015", 404)


# --- which client roles give a package (client_roles_giving): what the "why is a client missing" page
# tells the firm to be registered as ---


def test_the_client_roles_giving_a_package_with_access_in_code_order(db):
    from registry.models import Role, RolePackage

    # The catalogue's client roles each give their own packages; here FFØR and REVI both give
    # ansvarlig-revisor (FFØR's rule made after REVI's), and REGN one without access (may pass it on only).
    RolePackage.objects.create(
        role=Role.objects.get(legacy_code="FFØR"), package_id="ansvarlig-revisor", has_access=True, can_delegate=False
    )
    RolePackage.objects.create(
        role=Role.objects.get(legacy_code="REGN"), package_id="ansvarlig-revisor", has_access=False, can_delegate=True
    )
    giving = access.client_roles_giving([SIGNING, "ansvarlig-revisor", "forretningsforer-eiendom", "lonn"])
    assert giving == {
        SIGNING: ["REGN"],
        "ansvarlig-revisor": ["FFØR", "REVI"],
        "forretningsforer-eiendom": ["FFØR"],
        # lonn: DAGL and others give it, none of them a client role
    }
    assert access.client_roles_giving(["revisormedarbeider"]) == {"revisormedarbeider": ["REVI"]}
    assert access.client_roles_giving([]) == {}


def test_a_firm_of_a_form_no_role_gives_packages_for_is_no_client_of_itself(db):
    """Every form holds the regnskapsfører packages for itself in today's catalogue; were the ER roles'
    rules limited to other forms, the firm would hold nothing as its own organisation, and so be no client
    of its own agent system user (as holdings_for_clients says)."""
    from registry.models import Role, RolePackage

    firm = f.make_org("Enkeltmannsbyrå", form="ENK")
    client = f.make_org("Klient AS")
    f.give_role(firm, "REGN", client)
    assert _listed(firm) == ["Enkeltmannsbyrå", "Klient AS"]
    before = listings.rules()
    RolePackage.objects.filter(role__in=Role.objects.exclude(legacy_code="")).update(entity_variants=["AS"])
    listings.after_catalog(before)  # as migrate does when loading the catalog changed the rules
    assert access.own_packages(firm) == set()
    assert [h.name for h in access.holdings_for_clients(firm).values()] == ["Klient AS"]
    assert _listed(firm) == ["Klient AS"]
