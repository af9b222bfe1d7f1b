"""Altinn's end-user client-delegation API with person tokens: agents, available and delegated clients,
add and remove — the person's authority from the current rows on every call, as in the portal."""

import json
import time
import uuid

import pytest

from lib.tokens.person import sign_person_token
from registry.models import AuditEvent, ClientDelegation
from registry.services import clients
from tests import factories as f
from tests.api.conftest import assert_problem
from tests.factories import SIGNING
from tests.maskinporten.helpers import bearer_for

pytestmark = pytest.mark.django_db

BASE = "/authentication/api/v1/enduser/systemuser/"
READ = "altinn:clientdelegations.read"
WRITE = "altinn:clientdelegations.write"


def person_bearer(person, *scopes: str, lifetime: int = 300) -> str:
    token, _ = sign_person_token(
        pid=person.pid, scopes=list(scopes or (READ, WRITE)), not_after=int(time.time()) + lifetime
    )
    return "Bearer " + token


class PersonApi:
    def __init__(self, client, authorization: str | None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    def get(self, path: str, **params):
        return self.client.get(BASE + path, params, **self.headers)

    def post(self, path: str, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.post(f"{BASE}{path}?{query}", **self.headers)

    def delete(self, path: str, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.delete(f"{BASE}{path}?{query}", **self.headers)


@pytest.fixture
def as_person(client):
    def make(person, *scopes: str) -> PersonApi:
        return PersonApi(client, person_bearer(person, *scopes))

    return make


@pytest.fixture
def admin_api(as_person, client_admin):
    return as_person(client_admin)


def client_changes():
    return AuditEvent.objects.filter(action__startswith="systemuser.client").count()


# --- agents -------------------------------------------------------------------------------------------


def test_agents_lists_the_organisations_agent_system_users_as_altinn(admin_api, agent, accounting_firm, vendor):
    f.make_agent_system_user(accounting_firm, f.make_system(vendor, "nyere", rights=[], packages=[SIGNING]), [SIGNING])
    deleted = deleted_agent(accounting_firm, vendor)
    response = admin_api.get("agents", party=accounting_firm.orgno)
    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body, list) and len(body) == 2
    first = body[0]
    assert first["id"] == str(agent.pk) and str(deleted.pk) not in {a["id"] for a in body}
    assert first["userType"] == "agent" and first["reporteeOrgNo"] == accounting_firm.orgno
    assert first["systemId"] == f"{vendor.orgno}_byraa" and first["supplierOrgno"] == vendor.orgno
    assert first["accessPackages"] == [{"urn": f"urn:altinn:accesspackage:{SIGNING}"}]
    assert first["partyUuId"] == str(accounting_firm.pk) and first["isDeleted"] is False
    assert {"systemInternalId", "partyId", "integrationTitle", "created", "externalRef"} <= set(first)


def deleted_agent(owner, vendor):
    system_user = f.make_agent_system_user(
        owner, f.make_system(vendor, "slettet", rights=[], packages=[SIGNING]), [SIGNING]
    )
    system_user.is_deleted = True
    system_user.save(update_fields=["is_deleted"])
    return system_user


def test_agents_leaves_out_standard_system_users(admin_api, accounting_firm, vendor, agent):
    from tests.authorization.conftest import make_system_user

    make_system_user(accounting_firm, f.make_system(vendor, "egen"))
    assert [a["id"] for a in admin_api.get("agents", party=accounting_firm.orgno).json()] == [str(agent.pk)]


def test_agents_for_an_organisation_the_person_may_not_act_for_is_403(as_person, outsider, accounting_firm, agent):
    assert_problem(as_person(outsider).get("agents", party=accounting_firm.orgno), 403, "AUTH-00016")


def test_agents_of_an_employee_without_client_rights_are_listed(as_person, accounting_firm, agent):
    # As the portal: anyone who may act for the organisation sees its system accesses.
    employee = f.make_person("Ansatt Uten Rettigheter")
    f.delegate_package("lonn", from_org=accounting_firm, to=employee)
    assert len(as_person(employee).get("agents", party=accounting_firm.orgno).json()) == 1


@pytest.mark.parametrize("party", ["", "12345678", "123456789", "9100000000", "31000000x", "%00", "' OR 1=1"])
def test_agents_with_a_malformed_party_is_400_naming_the_parameter(admin_api, party):
    response = admin_api.get("agents", party=party) if party else admin_api.get("agents")
    body = assert_problem(response, 400, "STD-00000")
    assert body["validationErrors"][0]["paths"] == ["/party"]


def test_agents_for_an_unknown_organisation_is_auth_00000(admin_api):
    assert_problem(admin_api.get("agents", party=f.next_orgno()), 400, "AUTH-00000")


# --- available clients --------------------------------------------------------------------------------


def test_available_lists_the_clients_that_may_be_added(admin_api, agent, firm_clients, client_admin, accounting_firm):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    f.make_org("Ikke Klient AS")
    response = admin_api.get("clients/available", agent=agent.pk)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["links"] == {}
    assert body["systemUserInformation"] == {"systemUserId": str(agent.pk), "systemUserOwnerOrg": accounting_firm.orgno}
    assert (
        body["data"]
        == [  # the firm itself first: it may be its own client (test_clients_own_firm.py)
            {"clientId": str(org.pk), "clientOrganizationNumber": org.orgno, "clientOrganizationName": org.name}
            for org in [accounting_firm, *firm_clients[1:]]
        ]
    )


def test_available_needs_client_administrator(as_person, agent, firm_clients, accounting_firm):
    access_manager = f.make_person("Tone Tilgangsstyrer")
    f.delegate_package("tilgangsstyrer", from_org=accounting_firm, to=access_manager)
    assert_problem(as_person(access_manager).get("clients/available", agent=agent.pk), 403, "AUTH-00016")


# --- delegated clients --------------------------------------------------------------------------------


def test_clients_lists_the_delegated_clients_to_anyone_who_may_act_for_the_owner(
    as_person, agent, firm_clients, client_admin, accounting_firm
):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[2].orgno, firm_clients[0].orgno], by=client_admin)
    access_manager = f.make_person("Tone Tilgangsstyrer")
    f.delegate_package("tilgangsstyrer", from_org=accounting_firm, to=access_manager)
    for path in ("clients", "clients/"):  # Altinn's examples use the trailing slash
        body = as_person(access_manager).get(path, agent=agent.pk).json()
        assert [c["clientOrganizationName"] for c in body["data"]] == ["Aurora Data AS", "Fjordkaffe AS"]
        assert body["data"][0]["clientId"] == str(firm_clients[0].pk)
        assert body["systemUserInformation"]["systemUserId"] == str(agent.pk)


def test_another_organisations_agent_is_404_for_every_operation(as_person, agent, firm_clients):
    stranger = f.make_person("Annen Klientadmin")
    other_firm = f.make_org("Andre Regnskap AS")
    f.delegate_package("klientadministrator", from_org=other_firm, to=stranger)
    api = as_person(stranger)
    for response in (
        api.get("clients", agent=agent.pk),
        api.get("clients/available", agent=agent.pk),
        api.post("clients", agent=agent.pk, client=firm_clients[0].pk),
        api.delete("clients", agent=agent.pk, client=firm_clients[0].pk),
    ):
        body = assert_problem(response, 404, "AUTH-00015")
        assert str(agent.pk) not in body["detail"]
    assert not ClientDelegation.objects.exists()


def test_an_unknown_or_deleted_agent_is_404(admin_api, agent):
    agent.is_deleted = True
    agent.save(update_fields=["is_deleted"])
    assert_problem(admin_api.get("clients", agent=agent.pk), 404, "AUTH-00015")
    assert_problem(admin_api.get("clients", agent=uuid.uuid4()), 404, "AUTH-00015")


def test_a_person_unknown_to_the_register_sees_nothing(client, agent, accounting_firm):
    stranger = type("P", (), {"pid": f.next_pid()})()
    api = PersonApi(client, person_bearer(stranger))
    assert_problem(api.get("clients", agent=agent.pk), 404, "AUTH-00015")
    assert_problem(api.get("agents", party=accounting_firm.orgno), 403, "AUTH-00016")


def test_a_standard_system_user_is_400_on_the_agent_parameter(admin_api, accounting_firm, vendor):
    from tests.authorization.conftest import make_system_user

    standard = make_system_user(accounting_firm, f.make_system(vendor, "egen"))
    body = assert_problem(admin_api.get("clients", agent=standard.pk), 400, "STD-00000")
    assert body["validationErrors"][0]["paths"] == ["/agent"]


# --- add and remove -----------------------------------------------------------------------------------


def test_a_client_administrator_adds_a_client_as_altinn_answers(admin_api, agent, firm_clients, client_admin):
    response = admin_api.post("clients", agent=agent.pk, client=firm_clients[1].pk)
    assert response.status_code == 200, response.content
    assert response.json() == {"agent": str(agent.pk), "client": str(firm_clients[1].pk)}
    row = ClientDelegation.objects.get()
    assert row.client == firm_clients[1] and row.created_by == client_admin and row.role_code == "REGN"
    event = AuditEvent.objects.get(action="systemuser.client_added")
    assert event.actor == f"person:{client_admin.pid}" and event.data["via"]["api"] == "enduser"


def test_adding_a_client_twice_changes_nothing_the_second_time(admin_api, agent, firm_clients):
    for _ in range(2):
        assert admin_api.post("clients/", agent=agent.pk, client=firm_clients[0].pk).status_code == 200
    assert ClientDelegation.objects.count() == 1 and client_changes() == 1


def test_an_organisation_that_is_no_client_of_the_firm_is_auth_00079(admin_api, agent):
    stranger = f.make_org("Ikke Klient AS")
    for client_id in (stranger.pk, uuid.uuid4()):
        assert_problem(admin_api.post("clients", agent=agent.pk, client=client_id), 400, "AUTH-00079")
    assert not ClientDelegation.objects.exists() and client_changes() == 0


def test_a_client_lacking_a_required_package_is_auth_00080(admin_api, agent, accounting_firm, vendor):
    from registry.models import SystemUserPackage

    SystemUserPackage.objects.create(system_user=agent, package_id="regnskapsforer-lonn")
    half = f.make_org("Halv Klient AS")
    f.delegate_package(SIGNING, from_org=half, to=accounting_firm)
    body = assert_problem(admin_api.post("clients", agent=agent.pk, client=half.pk), 400, "AUTH-00080")
    assert "regnskapsforer-lonn" in body["detail"]
    assert not ClientDelegation.objects.exists()


def test_adding_and_removing_need_client_administrator(as_person, agent, firm_clients, accounting_firm, client_admin):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    access_manager = f.make_person("Tone Tilgangsstyrer")
    f.delegate_package("tilgangsstyrer", from_org=accounting_firm, to=access_manager)
    api = as_person(access_manager)
    assert_problem(api.post("clients", agent=agent.pk, client=firm_clients[1].pk), 403, "AUTH-00016")
    assert_problem(api.delete("clients", agent=agent.pk, client=firm_clients[0].pk), 403, "AUTH-00016")
    assert ClientDelegation.objects.count() == 1 and client_changes() == 1


def test_authority_is_read_from_the_current_rows_on_every_call(admin_api, agent, firm_clients, client_admin):
    from registry.models import PackageDelegation

    assert admin_api.get("clients/available", agent=agent.pk).status_code == 200
    PackageDelegation.objects.filter(to_person=client_admin).delete()  # the package is taken back
    assert_problem(admin_api.post("clients", agent=agent.pk, client=firm_clients[0].pk), 404, "AUTH-00015")
    assert not ClientDelegation.objects.exists()


def test_a_client_administrator_removes_a_client(admin_api, agent, firm_clients, client_admin):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    response = admin_api.delete("clients", agent=agent.pk, client=firm_clients[0].pk)
    assert response.status_code == 200, response.content
    assert response.json() == {"agent": str(agent.pk), "client": str(firm_clients[0].pk)}
    assert not ClientDelegation.objects.exists()
    event = AuditEvent.objects.get(action="systemuser.client_removed")
    assert event.data["client"] == firm_clients[0].orgno and event.data["via"]["api"] == "enduser"


def test_removing_a_client_that_is_not_delegated_is_404_and_changes_nothing(admin_api, agent, firm_clients):
    for client_id in (firm_clients[0].pk, uuid.uuid4()):
        body = assert_problem(admin_api.delete("clients", agent=agent.pk, client=client_id), 404, "HTTP-404")
        assert "No delegation found" in body["detail"]
    assert client_changes() == 0


# --- scopes and tokens --------------------------------------------------------------------------------


def test_reading_needs_the_read_scope_and_writing_the_write_scope(as_person, client_admin, agent, firm_clients):
    read_only, write_only = as_person(client_admin, READ), as_person(client_admin, WRITE)
    assert read_only.get("clients", agent=agent.pk).status_code == 200
    assert_problem(read_only.post("clients", agent=agent.pk, client=firm_clients[0].pk), 403, "HTTP-403")
    assert_problem(read_only.delete("clients", agent=agent.pk, client=firm_clients[0].pk), 403, "HTTP-403")
    assert_problem(write_only.get("clients", agent=agent.pk), 403, "HTTP-403")
    assert_problem(write_only.get("agents", party=agent.owner.orgno), 403, "HTTP-403")
    assert write_only.post("clients", agent=agent.pk, client=firm_clients[0].pk).status_code == 200


def test_without_a_token_every_operation_is_401(client, agent):
    api = PersonApi(client, None)
    for response in (api.get("agents", party=agent.owner.orgno), api.post("clients", agent=agent.pk, client=agent.pk)):
        assert_problem(response, 401, "HTTP-401")
        assert response["WWW-Authenticate"] == "Bearer"


def test_a_vendor_or_system_user_token_is_refused_by_the_enduser_api(client, agent, accounting_firm, vendor):
    from tests.maskinporten.helpers import bearer_for_system_user

    for bearer in (bearer_for(vendor, READ, WRITE), bearer_for_system_user(agent, READ, WRITE)):
        api = PersonApi(client, bearer)
        assert_problem(api.get("agents", party=accounting_firm.orgno), 401, "HTTP-401")
        assert_problem(api.post("clients", agent=agent.pk, client=agent.owner.pk), 401, "HTTP-401")
    assert not ClientDelegation.objects.exists()


def test_an_expired_person_token_is_401(client, client_admin, agent):
    api = PersonApi(client, person_bearer(client_admin, lifetime=-1))
    body = assert_problem(api.get("clients", agent=agent.pk), 401, "HTTP-401")
    assert "expired" in body["detail"]


def test_a_session_login_is_not_enough(client, client_admin, agent, accounting_firm):
    client.post("/login/test/", {"pid": client_admin.pid})
    assert_problem(client.get(BASE + "agents", {"party": accounting_firm.orgno}), 401, "HTTP-401")


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["", "not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "%00", "x" * 500, "{}", "[1]"]
)
def test_a_malformed_agent_or_client_is_400_naming_it_and_changes_nothing(admin_api, agent, firm_clients, value):
    assert "agent" in " ".join(
        p
        for e in assert_problem(admin_api.get("clients", agent=value), 400, "STD-00000")["validationErrors"]
        for p in e["paths"]
    )
    for call in (admin_api.post, admin_api.delete):
        body = assert_problem(call("clients", agent=agent.pk, client=value), 400, "STD-00000")
        assert [e["paths"] for e in body["validationErrors"]] == [["/client"]]
        both = call("clients", agent=value, client=value)
        assert {p for e in both.json()["validationErrors"] for p in e["paths"]} == {"/agent", "/client"}
    assert not ClientDelegation.objects.exists() and client_changes() == 0


def test_a_body_is_ignored_and_an_unknown_method_is_405(admin_api, client, agent, firm_clients):
    response = client.post(
        f"{BASE}clients?agent={agent.pk}&client={firm_clients[0].pk}",
        data=json.dumps({"client": "something else"}),
        content_type="application/json",
        **admin_api.headers,
    )
    assert response.status_code == 200 and ClientDelegation.objects.get().client == firm_clients[0]
    assert_problem(client.put(f"{BASE}clients?agent={agent.pk}", **admin_api.headers), 405, "HTTP-405")


def test_fuzzed_query_strings_never_give_a_500(admin_api, client, agent):
    import random

    rng = random.Random(20250601)
    alphabet = "abc019-_%&=?/\\'\"<>{}[] \x00é😀" + str(agent.pk)
    for _ in range(150):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        for method in (client.get, client.post, client.delete):
            for path in ("agents", "clients", "clients/available"):
                response = method(f"{BASE}{path}?{query}", **admin_api.headers)
                assert response.status_code in {200, 400, 403, 404, 405}, (path, query, response.content)


# --- many clients in one call (ours) ------------------------------------------------------------------


def bulk(api, agent, body, **extra):
    return api.client.post(
        f"{BASE}clients/bulk?agent={agent.pk}", json.dumps(body), content_type="application/json", **api.headers
    )


def test_bulk_adds_many_and_answers_per_client(admin_api, agent, firm_clients, accounting_firm, client_admin):
    aurora, bryggen, fjord = firm_clients
    clients.add_clients(system_user_id=agent.pk, orgnos=[fjord.orgno], by=client_admin)
    audited = f.make_org("Bare Revisjon AS")
    f.give_role(accounting_firm, "REVI", audited)
    stranger, unknown = f.make_org("Ikke Klient AS"), uuid.uuid4()
    wanted = [aurora.pk, bryggen.pk, fjord.pk, audited.pk, stranger.pk, unknown, aurora.pk]
    response = bulk(admin_api, agent, {"clients": [str(pk) for pk in wanted]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["agent"] == str(agent.pk)
    assert [(row["client"], row["result"], row.get("code")) for row in body["data"]] == [
        (str(aurora.pk), "added", None),
        (str(bryggen.pk), "added", None),
        (str(fjord.pk), "already", None),
        (str(audited.pk), "refused", "AUTH-00080"),
        (str(stranger.pk), "refused", "AUTH-00079"),
        (str(unknown), "refused", "AUTH-00079"),
    ]
    assert body["data"][3]["missingAccessPackages"] == [{"urn": f"urn:altinn:accesspackage:{SIGNING}"}]
    assert body["data"][0]["clientOrganizationName"] == "Aurora Data AS"
    assert set(ClientDelegation.objects.values_list("client__orgno", flat=True)) == {
        aurora.orgno,
        bryggen.orgno,
        fjord.orgno,
    }
    events = AuditEvent.objects.filter(action="systemuser.client_added", data__via__api="enduser")
    assert events.count() == 2

    again = bulk(admin_api, agent, {"clients": [str(aurora.pk)]}).json()["data"]
    assert again[0]["result"] == "already" and client_changes() == 3


@pytest.mark.parametrize(
    "body", [{}, {"clients": []}, {"clients": "x"}, {"clients": ["not-a-uuid"]}, [], {"clients": ["0" * 36] * 501}]
)
def test_bulk_refuses_bad_bodies_with_a_validation_problem(admin_api, agent, body):
    response = bulk(admin_api, agent, body)
    assert_problem(response, 400, "STD-00000")
    assert not ClientDelegation.objects.exists()


def test_bulk_needs_the_write_scope_and_client_administrator(as_person, agent, firm_clients, accounting_firm):
    admin = f.make_person("Lese Admin")
    f.delegate_package("klientadministrator", from_org=accounting_firm, to=admin)
    assert bulk(as_person(admin, READ), agent, {"clients": [str(firm_clients[0].pk)]}).status_code == 403
    clerk = f.make_person("Kontor Medarbeider")
    f.delegate_package(SIGNING, from_org=accounting_firm, to=clerk)
    assert_problem(bulk(as_person(clerk), agent, {"clients": [str(firm_clients[0].pk)]}), 403, "AUTH-00016")
    assert not ClientDelegation.objects.exists()
