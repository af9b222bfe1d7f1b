"""Adding many clients at once (registry.services.clients.add_each): each client on its own, a reason
for each refusal, idempotent, and a fixed number of queries however many clients."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lib.errors import ServiceError
from registry import listings
from registry.models import AuditEvent, ClientDelegation, Role, RoleAssignment
from registry.services import clients
from registry.services.clients import ADDED, ALREADY, REFUSED
from tests import factories as f


def grow(firm, role: str, count: int, prefix: str) -> list:
    """`count` organisations for which the firm holds `role` (REGN: eligible; REVI: lacks SIGNING)."""
    role = Role.objects.get(legacy_code=role)
    orgs = [f.make_org(f"{prefix} {i:04d} AS") for i in range(count)]
    RoleAssignment.objects.bulk_create([RoleAssignment(role=role, of=o, holder_org=firm) for o in orgs])
    listings.refresh(firm, [o.pk for o in orgs])  # as the register importer does after bulk inserts
    return orgs


def add_all(agent, by):
    return clients.add_each(system_user_id=agent.pk, orgnos=None, by=by)


def test_add_all_adds_every_eligible_client_and_says_why_the_others_are_not(agent, accounting_firm, client_admin):
    eligible = grow(accounting_firm, "REGN", 300, "Klient")
    audited = grow(accounting_firm, "REVI", 20, "Revisjon")
    outcomes = add_all(agent, client_admin)

    added = {o.orgno for o in outcomes if o.result == ADDED}
    assert added == {o.orgno for o in eligible} | {accounting_firm.orgno}  # the firm itself qualifies too
    refused = [o for o in outcomes if o.result == REFUSED]
    assert {o.orgno for o in refused} == {o.orgno for o in audited}
    assert {(o.code, o.missing) for o in refused} == {("AUTH-00080", ("regnskapsforer-med-signeringsrettighet",))}
    assert ClientDelegation.objects.filter(system_user=agent).count() == 301
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 301
    event = AuditEvent.objects.filter(action="systemuser.client_added", data__client=eligible[0].orgno).get()
    assert event.actor_person == client_admin and event.party_orgno == accounting_firm.orgno


def test_add_all_twice_adds_nothing_the_second_time(agent, accounting_firm, client_admin):
    grow(accounting_firm, "REGN", 5, "Klient")
    add_all(agent, client_admin)
    again = add_all(agent, client_admin)
    assert {o.result for o in again} == {ALREADY}
    assert ClientDelegation.objects.count() == 6
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 6


def test_add_all_costs_the_same_queries_for_3_or_300_clients(agent, accounting_firm, client_admin, vendor):
    def queries_to_add_all(count: int) -> int:
        firm = f.make_org(f"Byrå {count} AS")
        admin = f.make_person(f"Admin {count}")
        f.delegate_package("klientadministrator", from_org=firm, to=admin)
        firm_agent = f.make_agent_system_user(firm, agent.system, ["regnskapsforer-med-signeringsrettighet"])
        grow(firm, "REGN", count, f"Klient {count}")
        grow(firm, "REVI", 20, f"Revisjon {count}")
        with CaptureQueriesContext(connection) as queries:
            outcomes = add_all(firm_agent, admin)
        assert sum(o.result == ADDED for o in outcomes) == count + 1
        return len(queries)

    assert queries_to_add_all(3) == queries_to_add_all(300)


def test_each_client_stands_on_its_own(agent, accounting_firm, client_admin):
    good, other = grow(accounting_firm, "REGN", 2, "Klient")
    (audited,) = grow(accounting_firm, "REVI", 1, "Revisjon")
    clients.add_clients(system_user_id=agent.pk, orgnos=[other.orgno], by=client_admin)
    outcomes = clients.add_each(
        system_user_id=agent.pk, orgnos=[good.orgno, "abc", audited.orgno, other.orgno, good.orgno], by=client_admin
    )
    assert [(o.orgno, o.result, o.code) for o in outcomes] == [
        (good.orgno, ADDED, ""),
        ("abc", REFUSED, "AUTH-00079"),
        (audited.orgno, REFUSED, "AUTH-00080"),
        (other.orgno, ALREADY, ""),
    ]
    assert outcomes[0].name == good.name and outcomes[2].missing == ("regnskapsforer-med-signeringsrettighet",)
    assert set(ClientDelegation.objects.values_list("client__orgno", flat=True)) == {good.orgno, other.orgno}


def test_add_each_checks_authority_and_limits_as_add_clients(agent, accounting_firm):
    clerk = f.make_person("Kontor Medarbeider")
    f.delegate_package("regnskapsforer-med-signeringsrettighet", from_org=accounting_firm, to=clerk)
    with pytest.raises(ServiceError) as refused:
        clients.add_each(system_user_id=agent.pk, orgnos=None, by=clerk)
    assert refused.value.code == "AUTH-00016"
    with pytest.raises(ServiceError) as refused:
        clients.add_each(system_user_id=agent.pk, orgnos=["1"] * 501, by=None, actor="staff:ops")
    assert refused.value.code == "STD-00000"
    assert not ClientDelegation.objects.exists()
