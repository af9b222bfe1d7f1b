"""Client delegation (registry.services.clients): who is eligible, adding and removing clients."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lib.errors import ServiceError
from registry import listings
from registry.models import AuditEvent, ClientDelegation, ClientListing, Organisation
from registry.services import clients
from tests import factories as f
from tests.factories import SIGNING


@pytest.fixture
def agent_system(vendor):
    return f.make_system(vendor, "byraa", rights=[], packages=[SIGNING, "ansvarlig-revisor", "regnskapsforer-lonn"])


@pytest.fixture
def agent(accounting_firm, agent_system):
    """The accounting firm's agent system user; it requires the accountant-with-signing package."""
    return f.make_agent_system_user(accounting_firm, agent_system, [SIGNING])


def regn_client(firm, name, **kwargs):
    org = f.make_org(name, **kwargs)
    f.give_role(firm, "REGN", org)
    return org


def add(agent, by, *orgnos):
    return clients.add_clients(system_user_id=agent.pk, orgnos=list(orgnos), by=by)


def others(candidates, firm):
    """The candidates other than the firm itself (which may be its own client: test_clients_own_firm.py)."""
    return [c for c in candidates if c.org_id != firm.pk]


def refusal(call) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


def test_the_firms_regn_clients_are_eligible_with_the_role_and_packages(agent, accounting_firm):
    regn_client(accounting_firm, "Bryggen Blomster AS")
    regn_client(accounting_firm, "Aurora Data AS")
    f.make_org("Ikke Klient AS")
    eligible = others(clients.eligible_clients(agent), accounting_firm)
    assert [c.name for c in eligible] == ["Aurora Data AS", "Bryggen Blomster AS"]
    assert {(c.role_code, c.packages) for c in eligible} == {("REGN", (SIGNING,))}


def test_deleted_and_already_added_clients_are_not_offered(agent, accounting_firm, client_admin):
    gone = regn_client(accounting_firm, "Nedlagt AS")
    Organisation.objects.filter(pk=gone.pk).update(is_deleted=True)
    added = regn_client(accounting_firm, "Allerede Klient AS")
    add(agent, client_admin, added.orgno)
    regn_client(accounting_firm, "Ny Klient AS")
    assert [c.name for c in others(clients.eligible_clients(agent), accounting_firm)] == ["Ny Klient AS"]


def test_a_client_who_gave_only_some_required_packages_is_not_eligible(accounting_firm, agent_system, client_admin):
    agent = f.make_agent_system_user(accounting_firm, agent_system, [SIGNING, "ansvarlig-revisor"])
    only_regn = regn_client(accounting_firm, "Bare Regnskap AS")
    both = regn_client(accounting_firm, "Begge Deler AS")
    f.give_role(accounting_firm, "REVI", both)
    by_delegation = regn_client(accounting_firm, "Delegert Revisjon AS")
    f.delegate_package("ansvarlig-revisor", from_org=by_delegation, to=accounting_firm)

    eligible = others(clients.eligible_clients(agent), accounting_firm)
    assert [(c.name, c.role_code) for c in eligible] == [
        ("Begge Deler AS", "REGN,REVI"),
        ("Delegert Revisjon AS", "REGN"),
    ]

    error = refusal(lambda: add(agent, client_admin, only_regn.orgno))
    assert error.code == "AUTH-00080" and error.status == 400
    assert error.detail == f"The client has not given all required packages: {only_regn.orgno} lacks ansvarlig-revisor"
    assert error.items == [{"orgno": only_regn.orgno, "name": "Bare Regnskap AS", "missing": ["ansvarlig-revisor"]}]
    assert not ClientDelegation.objects.exists()


def test_role_rules_for_some_organisation_forms_only_apply_there(accounting_firm, agent_system):
    agent = f.make_agent_system_user(accounting_firm, agent_system, ["forretningsforer-eiendom"])
    f.give_role(accounting_firm, "FFØR", f.make_org("Lysgården Borettslag", form="BRL"))
    f.give_role(accounting_firm, "FFØR", f.make_org("Aksjeselskapet AS", form="AS"))
    assert [c.name for c in clients.eligible_clients(agent)] == ["Lysgården Borettslag"]


def test_search_matches_name_or_organisation_number(agent, accounting_firm):
    fjord = regn_client(accounting_firm, "Fjordkaffe AS")
    regn_client(accounting_firm, "Havbris AS")
    assert [c.name for c in clients.eligible_clients(agent, query="fjord")] == ["Fjordkaffe AS"]
    assert [c.name for c in clients.eligible_clients(agent, query=fjord.orgno[:6] + " " + fjord.orgno[6:])] == [
        "Fjordkaffe AS"
    ]


def test_adding_clients_records_role_packages_who_and_one_audit_event_each(agent, accounting_firm, client_admin):
    one, two = regn_client(accounting_firm, "En AS"), regn_client(accounting_firm, "To AS")
    made = clients.add_clients(system_user_id=agent.pk, orgnos=[one.orgno, two.orgno], by=client_admin, ip="10.0.0.1")
    assert len(made) == 2
    row = ClientDelegation.objects.get(client=one)
    assert (row.role_code, row.packages, row.created_by) == ("REGN", [SIGNING], client_admin)
    events = AuditEvent.objects.filter(action="systemuser.client_added", object_id=str(agent.pk)).order_by("id")
    assert [e.data["client"] for e in events] == [one.orgno, two.orgno]
    assert events[0].data == {"client": one.orgno, "client_name": "En AS", "role": "REGN", "packages": [SIGNING]}
    assert events[0].actor_person == client_admin and events[0].ip == "10.0.0.1"
    assert events[0].party_orgno == accounting_firm.orgno


def test_adding_a_client_twice_changes_nothing_the_second_time(agent, accounting_firm, client_admin):
    one = regn_client(accounting_firm, "En AS")
    add(agent, client_admin, one.orgno)
    assert add(agent, client_admin, one.orgno, one.orgno) == []
    assert ClientDelegation.objects.count() == 1
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 1


@pytest.mark.parametrize("orgno", ["not-a-number", "123", "<script>", "311000000", "", "9" * 25])
def test_an_organisation_that_is_not_a_client_is_refused_and_nothing_is_added(
    agent, accounting_firm, client_admin, orgno
):
    good = regn_client(accounting_firm, "En AS")
    stranger = f.make_org("Fremmed AS")
    for bad in (orgno, stranger.orgno):
        error = refusal(lambda bad=bad: add(agent, client_admin, good.orgno, bad))
        assert error.code == "AUTH-00079" and error.status == 400 and error.items == [bad[:20]]
        assert error.detail == f"Not a client of the facilitator: {bad[:20]}"
    assert not ClientDelegation.objects.exists() and not AuditEvent.objects.filter(action__contains="client").exists()


def test_a_client_the_firm_only_holds_other_packages_for_lacks_the_required_ones(agent, accounting_firm, client_admin):
    audited = f.make_org("Bare Revisjon AS")
    f.give_role(accounting_firm, "REVI", audited)
    error = refusal(lambda: add(agent, client_admin, audited.orgno))
    assert error.code == "AUTH-00080" and SIGNING in error.detail


def test_no_clients_or_too_many_is_refused(agent, client_admin):
    error = refusal(lambda: add(agent, client_admin))
    assert (error.code, error.detail) == ("STD-00000", "Name at least one client (organisation number)")
    many = ["311000055"] * (clients.MAX_CLIENTS_PER_ADD + 1)
    error = refusal(lambda: add(agent, client_admin, *many))
    assert (error.code, error.detail) == ("STD-00000", "At most 500 clients can be added at a time")
    just_enough = [f"garbage-{i}" for i in range(clients.MAX_CLIENTS_PER_ADD)]
    assert refusal(lambda: add(agent, client_admin, *just_enough)).code == "AUTH-00079"  # 500 are looked at


def test_a_deleted_or_unknown_system_user_is_not_found(agent, accounting_firm, client_admin):
    one = regn_client(accounting_firm, "En AS")
    # (two texts for one code, as in registry/services/lifecycle.py: pinned as they are)
    for system_user_id, detail in (
        ("5d1e9a3c-7b2f-4c8e-9a1d-000000000099", "System user not found"),
        ("garbage", "System user not found"),
    ):
        error = refusal(
            lambda sid=system_user_id: clients.add_clients(system_user_id=sid, orgnos=[one.orgno], by=client_admin)
        )
        assert (error.code, error.status, error.detail) == ("AUTH-00015", 404, detail)
    agent.is_deleted = True
    agent.save(update_fields=["is_deleted"])
    assert refusal(lambda: add(agent, client_admin, one.orgno)).code == "AUTH-00015"
    error = refusal(lambda: clients.remove_client(system_user_id=agent.pk, orgno=one.orgno, by=client_admin))
    assert error.code == "AUTH-00015"


def test_another_organisations_system_user_is_not_found(agent, accounting_firm, client_admin, customer, manager):
    one = regn_client(accounting_firm, "En AS")
    assert refusal(lambda: add(agent, manager, one.orgno)).status == 404  # may not act for the firm
    error = refusal(
        lambda: clients.add_clients(system_user_id=agent.pk, orgnos=[one.orgno], by=manager, party=customer)
    )
    assert error.code == "AUTH-00015"
    assert not ClientDelegation.objects.exists()


def test_someone_at_the_firm_without_client_admin_is_refused(agent, accounting_firm):
    clerk = f.make_person("Kontor Medarbeider")
    f.delegate_package(SIGNING, from_org=accounting_firm, to=clerk)
    one = regn_client(accounting_firm, "En AS")
    error = refusal(lambda: add(agent, clerk, one.orgno))
    assert (error.code, error.status, error.detail) == (
        "AUTH-00016",
        403,
        "You are not client administrator for this organisation",
    )


def test_a_standard_system_user_gets_no_clients(accounting_firm, client_admin, system):
    from registry.models import SystemUser

    standard = SystemUser.objects.create(
        integration_title="Egen", owner=accounting_firm, system=system, external_ref=accounting_firm.orgno
    )
    one = regn_client(accounting_firm, "En AS")
    error = refusal(lambda: add(standard, client_admin, one.orgno))
    assert (error.code, error.detail) == (
        "STD-00000",
        "Clients can be added only to an agent system access (one for clients), not a standard one",
    )
    assert not ClientDelegation.objects.exists()


def test_removing_a_client_ends_it_once(agent, accounting_firm, client_admin):
    one = regn_client(accounting_firm, "En AS")
    add(agent, client_admin, one.orgno)
    assert clients.remove_client(system_user_id=agent.pk, orgno=one.orgno, by=client_admin, ip="10.0.0.2")
    assert not ClientDelegation.objects.exists()
    assert not clients.remove_client(system_user_id=agent.pk, orgno=one.orgno, by=client_admin)
    assert not clients.remove_client(system_user_id=agent.pk, orgno="x" * 500, by=client_admin)
    event = AuditEvent.objects.get(action="systemuser.client_removed")
    assert event.data == {"client": one.orgno, "client_name": "En AS"} and event.ip == "10.0.0.2"
    assert [c.name for c in others(clients.eligible_clients(agent), accounting_firm)] == ["En AS"]  # again


def test_operator_staff_may_add_and_remove_with_an_actor(agent, accounting_firm):
    one = regn_client(accounting_firm, "En AS")
    clients.add_clients(system_user_id=agent.pk, orgnos=[one.orgno], by=None, actor="staff:ops")
    clients.remove_client(system_user_id=agent.pk, orgno=one.orgno, by=None, actor="staff:ops")
    assert set(AuditEvent.objects.values_list("actor", flat=True)) == {"staff:ops"}


def test_eligibility_costs_the_same_queries_for_3_or_300_clients(agent, accounting_firm, client_admin):
    from registry.models import Role, RoleAssignment

    regn = Role.objects.get(legacy_code="REGN")
    added = regn_client(accounting_firm, "Lagt Til AS")
    add(agent, client_admin, added.orgno)

    def grow(n):
        have = RoleAssignment.objects.filter(holder_org=accounting_firm).count() - 1
        orgs = [f.make_org(f"Klient {have + i:04d} AS") for i in range(n - have)]
        RoleAssignment.objects.bulk_create([RoleAssignment(role=regn, of=o, holder_org=accounting_firm) for o in orgs])
        listings.refresh_pairs((accounting_firm.pk, o.pk) for o in orgs)  # as the importer does after bulk inserts
        with CaptureQueriesContext(connection) as queries:
            assert len(others(clients.eligible_clients(agent), accounting_firm)) == n
        return len(queries)

    assert grow(3) == grow(300)


@pytest.mark.parametrize("role", ["REGN", "REVI", "FFØR", "DAGL", "hovedadministrator", None])
@pytest.mark.parametrize("form", ["AS", "ENK", "BRL"])
def test_eligibility_agrees_with_registry_access(accounting_firm, role, form):
    """The bulk eligibility check gives, per client, exactly the packages registry.access says the firm
    holds with access — whatever the role, the client's organisation form and any delegation."""
    from registry import access
    from registry.models import AccessPackage

    client = f.make_org("Klient AS", form=form)
    if role:
        f.give_role(accounting_firm, role, client)
    f.delegate_package("lonn", from_org=client, to=accounting_firm)
    every_package = list(AccessPackage.objects.order_by("code").values_list("code", flat=True))

    (candidate,) = others(clients.assess(accounting_firm, every_package), accounting_firm)

    grants = access.packages_of_org_for(accounting_firm, client)
    held = {code for code, grant in grants.items() if grant.has_access}
    assert set(candidate.packages) == held
    assert set(candidate.missing) == set(every_package) - set(candidate.packages)
    # The firm's list of clients (what the add page and the end-user API read a page at a time) and the
    # rule in the database (the change-request page) agree, package by package and all at once.
    row = ClientListing.objects.filter(holder=accounting_firm, client=client)
    assert {code for code in every_package if row.filter(listings.holds_every([code]))} == held
    assert row.filter(listings.holds_every(sorted(held))).exists() == bool(held)
    assert row.exists() == bool(held)  # a client at all
    in_sql = {
        code
        for code in every_package
        if Organisation.objects.filter(access.holds_every(accounting_firm, [code]), pk=client.pk)
    }
    assert in_sql == held
    # And the role the filter finds it by is the one the candidate is named with.
    for through in [*access.CLIENT_ROLES, ""]:
        named = through in candidate.role_code.split(",") if through else candidate.role_code == ""
        assert row.filter(listings.through(every_package, through)).exists() == (named and bool(held)), through


@pytest.mark.parametrize("form", ["AS", "ENK", "BRL", "ESEK"])
def test_the_rule_in_the_database_agrees_for_the_firm_itself(form, vendor):
    """The firm as its own client: its own packages (by its form) and a role it holds for itself."""
    from registry import access
    from registry.models import AccessPackage

    firm = f.make_org("Byrå", form=form)
    f.give_role(firm, "REVI", firm)
    for code in AccessPackage.objects.order_by("code").values_list("code", flat=True):
        held = {c for c, grant in access.packages_of_org_for(firm, firm).items() if grant.has_access}
        listed = ClientListing.objects.filter(listings.holds_every([code]), holder=firm, client=firm).exists()
        assert listed == (code in held), code
        assert Organisation.objects.filter(access.holds_every(firm, [code]), pk=firm.pk).exists() == (code in held)
    assert ClientListing.objects.filter(holder=firm, client=firm).exists() == bool(held)


def test_the_firms_system_user_is_not_found_under_another_party_even_by_one_who_may_act_for_both(
    agent, accounting_firm, client_admin, customer
):
    """The end-user API names the party in its path: a system user is reached only under its owner."""
    f.give_role(client_admin, "DAGL", customer)
    one = regn_client(accounting_firm, "En AS")
    for call in (
        lambda: clients.add_clients(system_user_id=agent.pk, orgnos=[one.orgno], by=client_admin, party=customer),
        lambda: clients.add_each(system_user_id=agent.pk, orgnos=[one.orgno], by=client_admin, party=customer),
    ):
        assert refusal(call).code == "AUTH-00015"
    assert not ClientDelegation.objects.exists()


def test_several_refused_clients_are_named_in_one_sentence(accounting_firm, agent_system, client_admin):
    agent = f.make_agent_system_user(
        accounting_firm, agent_system, [SIGNING, "ansvarlig-revisor", "regnskapsforer-lonn"]
    )
    audited = [f.make_org(name) for name in ("Revidert En AS", "Revidert To AS")]
    for org in audited:
        f.give_role(accounting_firm, "REVI", org)
    error = refusal(lambda: add(agent, client_admin, *[o.orgno for o in audited]))
    missing = f"regnskapsforer-lonn, {SIGNING}"  # by code
    assert error.detail == (
        f"The client has not given all required packages: {audited[0].orgno} lacks {missing}; "
        f"{audited[1].orgno} lacks {missing}"
    )
    strangers = [f.make_org("Fremmed En AS").orgno, f.make_org("Fremmed To AS").orgno]
    error = refusal(lambda: add(agent, client_admin, *strangers))
    assert error.detail == f"Not a client of the facilitator: {strangers[0]}, {strangers[1]}"


def test_an_agent_system_user_that_requires_nothing_gets_no_clients(accounting_firm, vendor, client_admin):
    nothing = f.make_agent_system_user(accounting_firm, f.make_system(vendor, "tom", rights=[], packages=[]), [])
    one = regn_client(accounting_firm, "En AS")
    error = refusal(lambda: add(nothing, client_admin, one.orgno))
    assert (error.code, error.detail) == (
        "AUTH-00080",
        "The client has not given all required packages: nothing is required",
    )


def test_a_client_of_another_of_the_firms_system_users_can_be_added_to_this_one(
    agent, accounting_firm, agent_system, client_admin, vendor
):
    other = f.make_agent_system_user(
        accounting_firm, f.make_system(vendor, "annet", rights=[], packages=[SIGNING]), [SIGNING]
    )
    one = regn_client(accounting_firm, "En AS")
    assert len(add(other, client_admin, one.orgno)) == 1
    assert len(add(agent, client_admin, one.orgno)) == 1
    assert ClientDelegation.objects.filter(client=one).count() == 2


def test_the_vendor_is_told_which_clients_were_added(agent, accounting_firm, client_admin):
    from registry.models import VendorEvent

    one, two = regn_client(accounting_firm, "En AS"), regn_client(accounting_firm, "To AS")
    add(agent, client_admin, one.orgno, two.orgno)
    event = VendorEvent.objects.get(type__endswith="systemuser.clients_added")
    assert event.data["clients"] == [one.orgno, two.orgno]


def test_why_a_client_is_missing_leaves_out_clients_already_added(agent, accounting_firm, client_admin):
    """Added while the firm was its accountant, then the role ended: it is no longer eligible, but it is
    a client already, not one that is missing."""
    from registry.models import RoleAssignment

    added, lacking = regn_client(accounting_firm, "Lagt Til AS"), f.make_org("Mangler AS")
    f.give_role(accounting_firm, "REVI", lacking)
    add(agent, client_admin, added.orgno)
    RoleAssignment.objects.filter(of=added, holder_org=accounting_firm).delete()
    f.give_role(accounting_firm, "REVI", added)
    missing = clients.not_qualifying(agent).exclude(pk=accounting_firm.pk)  # the firm: test_clients_own_firm.py
    assert [org.name for org in missing] == ["Mangler AS"]


def test_another_firms_clients_and_deleted_clients_are_not_offered(agent, accounting_firm):
    mine = regn_client(accounting_firm, "Min Kunde AS")
    other_firm = f.make_org("Annet Byrå AS")
    regn_client(other_firm, "Deres Kunde AS")
    f.delegate_package(SIGNING, from_org=f.make_org("Delegert Til Dem AS"), to=other_firm)
    gone = f.make_org("Nedlagt AS")
    f.delegate_package(SIGNING, from_org=gone, to=accounting_firm)
    Organisation.objects.filter(pk=gone.pk).update(is_deleted=True)
    assert [c.org_id for c in others(clients.eligible_clients(agent), accounting_firm)] == [mine.pk]


def test_the_firm_itself_is_offered_first_also_when_searched_for(agent, accounting_firm):
    regn_client(accounting_firm, "Aaa Først AS")
    assert clients.eligible_clients(agent)[0].org_id == accounting_firm.pk
    assert [c.org_id for c in clients.eligible_clients(agent, query=accounting_firm.name)] == [accounting_firm.pk]
    Organisation.objects.filter(pk=accounting_firm.pk).update(is_deleted=True)
    accounting_firm.refresh_from_db()
    assert accounting_firm.pk not in [c.org_id for c in clients.eligible_clients(agent)]


def test_clients_with_the_same_name_are_listed_by_organisation_number(agent, accounting_firm):
    orgnos = sorted(f.next_orgno() for _ in range(6))
    for orgno in reversed(orgnos):  # made last first: the table's own order is the other
        regn_client(accounting_firm, "Tvilling AS", orgno=orgno)
    listed = others(clients.eligible_clients(agent), accounting_firm)
    assert [c.orgno for c in listed] == orgnos


def test_a_search_and_a_role_filter_together_show_the_clients_matching_both(agent, accounting_firm):
    """What the add-clients page shows for a search with a role chosen: not either of them."""
    fjord = regn_client(accounting_firm, "Fjordkaffe AS")
    regn_client(accounting_firm, "Havbris AS")
    fjord_delegated = f.make_org("Fjordlaks AS")
    f.delegate_package(SIGNING, from_org=fjord_delegated, to=accounting_firm)
    every = clients.eligible(agent)

    def shown(role):
        return [o.name for o in every.filter(clients.choosing(agent, query="fjord", role=role, required=[SIGNING]))]

    assert shown("REGN") == [fjord.name]
    assert shown("") == ["Fjordlaks AS"]
    assert shown(None) == ["Fjordkaffe AS", "Fjordlaks AS"]


def test_a_system_user_that_requires_nothing_gets_no_candidates_whatever_it_is_given(accounting_firm):
    client = regn_client(accounting_firm, "Regnskap AS")
    rows = list(ClientListing.objects.filter(holder=accounting_firm, client=client))
    assert clients.candidates(rows, []) == []
    assert clients.candidates(rows, [SIGNING])[0].org_id == client.pk  # what the guard stands in front of


def test_a_client_added_through_two_roles_is_recorded_with_both(accounting_firm, agent_system, client_admin):
    agent = f.make_agent_system_user(accounting_firm, agent_system, [SIGNING, "ansvarlig-revisor"])
    both = regn_client(accounting_firm, "Begge Deler AS")
    f.give_role(accounting_firm, "REVI", both)
    (row,) = add(agent, client_admin, both.orgno)
    assert row.role_code == "REGN,REVI"
    event = AuditEvent.objects.get(action="systemuser.client_added")
    assert event.data["role"] == "REGN,REVI"
