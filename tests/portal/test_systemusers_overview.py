import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import ChangeRequest, Request, RequestKind
from registry import usage
from registry.models import SystemUser, SystemUserType
from tests import factories as f
from tests.portal.systemusers_helpers import act_for, make_system_user


def test_it_redirects_to_login_when_not_logged_in(client):
    response = client.get("/systemuser/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_asks_whom_to_act_for_first(client, manager):
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))
    client.force_login(_user(manager))
    response = client.get("/systemuser/")
    assert response.status_code == 302 and response["Location"].startswith("/actor/")


def test_a_person_with_one_organisation_is_not_asked(client, manager, customer):
    client.force_login(_user(manager))
    response = client.get("/systemuser/")
    assert response.status_code == 200
    assert f"Systemtilganger for {customer.name}" in response.content.decode()


def _user(person):
    from django.contrib.auth import get_user_model

    person.user = get_user_model().objects.create(username=f"pid:{person.pid}")
    person.save(update_fields=["user"])
    return person.user


def test_general_manager_sees_empty_states(client, manager, customer):
    response = act_for(client, manager, customer).get("/systemuser/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Ingen forespørsler venter på godkjenning" in text
    assert "Virksomheten har ingen systemtilganger ennå" in text
    # A business with no system accesses for clients gets no empty section about them.
    assert "Systemtilganger for klienter" not in text
    assert "Opprett systemtilgang" in text


def test_general_manager_sees_own_and_client_system_accesses_with_vendor_and_link(
    client, manager, customer, system, vendor
):
    su = make_system_user(manager, customer, system)
    agent_system = f.make_system(vendor, "klientsystem", rights=[], packages=["regnskapsforer-lonn"])
    agent = make_system_user(
        manager, customer, agent_system, packages=["regnskapsforer-lonn"], rights=[], user_type=SystemUserType.AGENT
    )
    text = act_for(client, manager, customer).get("/systemuser/").content.decode()
    assert f'href="/systemuser/{su.pk}/"' in text and f'href="/systemuser/{agent.pk}/"' in text
    standard_part, agent_part = text.split("Systemtilganger for klienter</h2>")
    assert "Fakturering" in standard_part and vendor.name in standard_part
    assert "Klientsystem" in agent_part and "Fakturering" not in agent_part


def test_deleted_and_other_organisations_system_accesses_are_not_listed(client, manager, customer, system, vendor):
    other = f.make_org("Naboen AS")
    boss = f.make_person("Nabo Sjef")
    f.give_role(boss, "DAGL", other)
    make_system_user(boss, other, system)
    gone = make_system_user(manager, customer, f.make_system(vendor, "gammelt"))
    SystemUser.objects.filter(pk=gone.pk).update(is_deleted=True)
    text = act_for(client, manager, customer).get("/systemuser/").content.decode()
    assert "Virksomheten har ingen systemtilganger ennå" in text
    assert str(gone.pk) not in text


def test_pending_requests_include_escalated_ones_and_link_to_approval_pages(client, manager, customer, system):
    standard = Request.objects.create(system=system, party=customer, external_ref=customer.orgno, escalated=True)
    agent = Request.objects.create(
        system=system, party=customer, external_ref="klienter", kind=RequestKind.AGENT, access_packages=["x"]
    )
    decided = Request.objects.create(system=system, party=customer, external_ref="ferdig", status="Accepted")
    text = act_for(client, manager, customer).get("/systemuser/").content.decode()
    assert f"/systemuser/request?id={standard.id}" in text
    assert f"/systemuser/agentrequest?id={agent.id}" in text
    assert str(decided.id) not in text
    assert "Sendt videre til deg" in text


def test_pending_change_requests_are_listed(client, manager, customer, system):
    import uuid

    su = make_system_user(manager, customer, system)
    change = ChangeRequest.objects.create(id=uuid.uuid4(), system_user=su, required_access_packages=["lonn"])
    text = act_for(client, manager, customer).get("/systemuser/").content.decode()
    assert f"/systemuser/changerequest?id={change.id}" in text


def test_person_without_rights_gets_a_warning_naming_the_package_they_need(client, employee, customer, manager, system):
    make_system_user(manager, customer, system)
    Request.objects.create(system=system, party=customer, external_ref="x")
    response = act_for(client, employee, customer).get("/systemuser/")
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="need-rights"' in text
    assert "Tilgangsstyrer" in text and "Hovedadministrator" in text
    assert "Fakturering" not in text and "/systemuser/request?id=" not in text


def test_client_administrator_sees_client_system_accesses_and_what_they_may_do_there(
    client, client_admin, accounting_firm, vendor
):
    boss = f.make_person("Regnskap Sjef")
    f.give_role(boss, "DAGL", accounting_firm)
    agent_system = f.make_system(vendor, "klientsystem", rights=[], packages=["regnskapsforer-lonn"])
    make_system_user(
        boss, accounting_firm, agent_system, packages=["regnskapsforer-lonn"], rights=[], user_type=SystemUserType.AGENT
    )
    text = act_for(client, client_admin, accounting_firm).get("/systemuser/").content.decode()
    assert "Klientsystem" in text
    assert 'data-testid="need-rights"' not in text and "Du har ikke tilgang" not in text
    assert "Du er klientadministrator: du kan legge til og fjerne klienter på systemtilgangene under." in text
    assert 'data-testid="client-count">0 klienter<' in text


def _overview_queries(client, n, manager, customer, vendor):
    for i in range(n - SystemUser.objects.count()):
        system = f.make_system(vendor, f"sys{n}x{i}", rights=[])
        SystemUser.objects.create(
            integration_title=f"s{i}", owner=customer, system=system, external_ref=customer.orgno, created_by=manager
        )
        Request.objects.create(system=system, party=customer, external_ref=f"r{i}")
        ChangeRequest.objects.create(id=__import__("uuid").uuid4(), system_user=SystemUser.objects.first())
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/systemuser/")
    assert response.status_code == 200
    return len(queries)


def test_overview_queries_do_not_grow_with_system_accesses_or_requests(client, manager, customer, vendor):
    act_for(client, manager, customer)
    few = _overview_queries(client, 3, manager, customer, vendor)
    many = _overview_queries(client, 300, manager, customer, vendor)
    assert SystemUser.objects.count() == 300 and Request.objects.count() == 300
    assert few == many


def test_pending_requests_come_25_a_page(client, manager, customer, vendor):
    act_for(client, manager, customer)
    _overview_queries(client, 30, manager, customer, vendor)
    first = client.get("/systemuser/").content.decode()
    pending = first.split('data-testid="pending"')[1].split("</ul>")[0]
    assert pending.count("ber om en systemtilgang") == 25 and pending.count("ber om endrede rettigheter") == 25
    assert 'href="?foresporsler=2#pending-heading" rel="next"' in first
    second = client.get("/systemuser/", {"foresporsler": 2, "endringer": 2}).content.decode()
    pending = second.split('data-testid="pending"')[1].split("</ul>")[0]
    assert pending.count("ber om en systemtilgang") == 5 and pending.count("ber om endrede rettigheter") == 5


def test_the_overview_tells_when_each_system_access_was_last_used(client, manager, customer, system):
    used = make_system_user(manager, customer, system)
    usage.record_token(system_user_id=used.pk, client_id="c", at=timezone.now() - timedelta(hours=2))
    make_system_user(manager, customer, f.make_system(system.vendor, "annet"))
    text = act_for(client, manager, customer).get("/systemuser/").content.decode()
    cells = [c.split("</td>")[0] for c in text.split('data-testid="last-used">')[1:]]
    assert len(cells) == 2
    assert "Ikke brukt" in cells[0]  # newest first: the unused one was made last
    assert "<time" in cells[1] and "Ikke brukt" not in cells[1]


def test_a_business_without_system_accesses_for_clients_gets_no_section_about_them(client, manager, customer, system):
    make_system_user(manager, customer, system)
    text = act_for(client, manager, customer).get("/systemuser/").content.decode()
    assert "Virksomhetens systemtilganger" in text
    assert "Systemtilganger for klienter" not in text and 'id="agent-heading"' not in text


def test_a_client_administrator_is_told_where_system_accesses_for_clients_come_from(
    client, client_admin, accounting_firm
):
    text = act_for(client, client_admin, accounting_firm).get("/systemuser/").content.decode()
    assert "Systemtilganger for klienter" in text
    assert "De opprettes når en tilgangsstyrer godkjenner en forespørsel" in text


def test_the_page_title_names_the_organisation(client, manager, customer):
    text = act_for(client, manager, customer).get("/systemuser/").content.decode()
    assert f"<title>Systemtilganger for {customer.name} – Systemtilgang</title>" in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("nb", "Du er klientadministrator: du kan legge til og fjerne klienter på systemtilgangene under."),
        ("nn", "Du er klientadministrator: du kan leggje til og fjerne klientar på systemtilgangane under."),
        ("en", "You are client administrator: you can add and remove clients on the system accesses below."),
    ],
)
def test_a_client_administrator_is_told_what_they_may_do_in_their_language(
    client, client_admin, accounting_firm, lang, words
):
    act_for(client, client_admin, accounting_firm)
    client.cookies["django_language"] = lang
    text = client.get("/systemuser/").content.decode()
    assert words in text and 'data-testid="need-rights"' not in text


def _pending(page: str) -> dict[str, str]:
    """Each pending request's card on the overview, by the system's name."""
    cards = page.split('data-testid="pending"')[1].split("</ul>")[0].split("<li")[1:]
    return {card.split(">", 2)[2].split(" ber om")[0].strip(): card for card in cards}


def test_requests_that_arrived_since_the_last_visit_are_marked_new(client, manager, customer, vendor):
    old = Request.objects.create(
        system=f.make_system(vendor, "gammel"), party=customer, external_ref=customer.orgno,
        created=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    client.post("/login/test/", {"pid": manager.pid})  # the first visit ever: everything is new
    cards = _pending(client.get("/systemuser/").content.decode())
    assert 'data-testid="new"' in cards[old.system.display_name]
    client.post("/logout/")
    fresh = Request.objects.create(system=f.make_system(vendor, "fersk"), party=customer, external_ref=customer.orgno)
    client.post("/login/test/", {"pid": manager.pid})
    for _ in range(2):  # new for the whole visit, not just the first page view
        cards = _pending(client.get("/systemuser/").content.decode())
        assert 'data-testid="new"' in cards[fresh.system.display_name]
        assert 'data-testid="new"' not in cards[old.system.display_name]
        assert ">Ny<" in cards[fresh.system.display_name]


def test_pending_requests_show_the_vendors_reference_unless_it_is_the_organisation_number(
    client, manager, customer, vendor
):
    Request.objects.create(system=f.make_system(vendor, "lager"), party=customer, external_ref="lager-2")
    Request.objects.create(system=f.make_system(vendor, "plain"), party=customer, external_ref=customer.orgno)
    su = make_system_user(manager, customer, f.make_system(vendor, "endres"), external_ref="avd-7")
    ChangeRequest.objects.create(id=uuid.uuid4(), system_user=su, required_access_packages=["lonn"])
    cards = _pending(act_for(client, manager, customer).get("/systemuser/").content.decode())
    assert "Leverandørens referanse: lager-2" in cards["Lager"]
    assert "Leverandørens referanse" not in cards["Plain"]
    assert "Leverandørens referanse: avd-7" in cards["Endres"]
