"""The client pages of an agent system access: list, add and remove clients (client administrator)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.models import AuditEvent, ClientDelegation, PackageDelegation, SystemUser
from registry.services import clients
from tests import factories as f
from tests.portal.systemusers_helpers import HTMX, act_for

SIGNING = "regnskapsforer-med-signeringsrettighet"


@pytest.fixture
def agent(accounting_firm, vendor):
    system = f.make_system(vendor, "byraa", rights=[], packages=[SIGNING])
    return f.make_agent_system_user(accounting_firm, system, [SIGNING])


@pytest.fixture
def firm_clients(accounting_firm):
    """Three REGN clients of the firm, by name."""
    orgs = [f.make_org(name) for name in ("Aurora Data AS", "Bryggen Blomster AS", "Fjordkaffe AS")]
    for org in orgs:
        f.give_role(accounting_firm, "REGN", org)
    return orgs


@pytest.fixture
def admin_client(client, client_admin, accounting_firm):
    return act_for(client, client_admin, accounting_firm)


def url(agent, rest=""):
    return f"/systemuser/{agent.pk}/clients/{rest}"


def nothing_changed():
    return not ClientDelegation.objects.exists() and not AuditEvent.objects.filter(action__contains="client").exists()


def test_details_show_the_clients_with_a_remove_button_each_and_the_add_link(
    admin_client, agent, firm_clients, client_admin
):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    text = admin_client.get(f"/systemuser/{agent.pk}/").content.decode()
    assert ">Kunder</h2>" in text and 'data-testid="clients"' in text
    assert "Aurora Data AS" in text and "Fjern Aurora Data AS" in text
    assert f'href="{url(agent)}"' in text and "Legg til kunder" in text
    assert "Kunde lagt til: Aurora Data AS" in text  # history


def test_an_access_manager_without_client_admin_sees_clients_but_cannot_change_them(
    client, agent, firm_clients, client_admin, accounting_firm
):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    manager = f.make_person("Tone Tilgangsstyrer")
    f.delegate_package("tilgangsstyrer", from_org=accounting_firm, to=manager)
    act_for(client, manager, accounting_firm)
    text = client.get(f"/systemuser/{agent.pk}/").content.decode()
    assert "Aurora Data AS" in text and "Fjern Aurora Data AS" not in text and "Legg til kunder" not in text
    response = client.get(url(agent))
    assert response.status_code == 403 and "Klientadministrator" in response.content.decode()
    response = client.post(url(agent, f"{firm_clients[0].orgno}/remove/"))
    assert response.status_code == 403
    assert ClientDelegation.objects.count() == 1


def test_a_new_agent_system_access_says_it_has_no_clients_yet(admin_client, agent):
    text = admin_client.get(f"/systemuser/{agent.pk}/").content.decode()
    assert 'data-testid="clients-empty"' in text


def test_the_add_page_lists_only_clients_that_can_be_added(admin_client, agent, firm_clients, client_admin):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    f.make_org("Ikke Kunde AS")
    response = admin_client.get(url(agent))
    text = response.content.decode()
    assert response.status_code == 200
    assert "2 kunder kan legges til" in text and "Regnskapsfører med signeringsrettighet" in text
    assert "Bryggen Blomster AS" in text and "Fjordkaffe AS" in text
    assert "Aurora Data AS" not in text and "Ikke Kunde AS" not in text


def test_search_filters_live_with_htmx_and_as_a_plain_get(admin_client, agent, firm_clients):
    fragment = admin_client.get(url(agent), {"q": "fjord"}, **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="client-results"')
    assert 'role="status"' in fragment and "1 kunde kan legges til" in fragment
    assert "Fjordkaffe AS" in fragment and "Bryggen" not in fragment
    page = admin_client.get(url(agent), {"q": "fjord"}).content.decode()
    assert "<html" in page and "Fjordkaffe AS" in page and "Bryggen" not in page
    assert (
        "Ingen kunder som kan legges til, passer søket «zzz»"
        in admin_client.get(url(agent), {"q": "zzz"}).content.decode()
    )


def test_large_firms_get_pages_and_the_same_number_of_queries(admin_client, agent, accounting_firm):
    from registry.models import Role, RoleAssignment

    regn = Role.objects.get(legacy_code="REGN")

    def grow(n):
        have = RoleAssignment.objects.filter(holder_org=accounting_firm).count()
        orgs = [f.make_org(f"Kunde {have + i:04d} AS") for i in range(n - have)]
        RoleAssignment.objects.bulk_create([RoleAssignment(role=regn, of=o, holder_org=accounting_firm) for o in orgs])
        with CaptureQueriesContext(connection) as queries:
            text = admin_client.get(url(agent)).content.decode()
        return len(queries), text

    (few, _), (many, text) = grow(3), grow(300)
    assert few == many
    assert "300 kunder kan legges til" in text and "(side 1 av 6)" in text
    assert text.count('name="orgno"') == 50 and "page=2" in text
    assert "Kunde 0050 AS" in admin_client.get(url(agent), {"page": 2}).content.decode()


def test_adding_several_clients_at_once(admin_client, agent, firm_clients):
    chosen = [firm_clients[1].orgno, firm_clients[2].orgno]
    response = admin_client.post(url(agent), {"orgno": chosen}, follow=True)
    text = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/systemuser/{agent.pk}/"
    assert "2 kunder er lagt til: Bryggen Blomster AS, Fjordkaffe AS." in text
    assert set(ClientDelegation.objects.values_list("client__orgno", flat=True)) == set(chosen)
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 2


def test_adding_nothing_asks_to_choose(admin_client, agent, firm_clients):
    response = admin_client.post(url(agent), {})
    assert response.status_code == 400 and "Velg minst én kunde" in response.content.decode()


@pytest.mark.parametrize("garbage", [["abc"], ["<script>alert(1)</script>"], ["9" * 400], ["311000055", ""]])
def test_garbage_org_numbers_get_a_clear_error_and_change_nothing(admin_client, agent, firm_clients, garbage):
    response = admin_client.post(url(agent), {"orgno": [firm_clients[0].orgno, *garbage]})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Disse er ikke kunder av virksomheten" in text and 'role="alert"' in text
    assert "<script>alert" not in text
    assert nothing_changed()


def test_a_client_that_has_not_given_every_package_is_named_with_what_is_missing(admin_client, agent, accounting_firm):
    audited = f.make_org("Bare Revisjon AS")
    f.give_role(accounting_firm, "REVI", audited)
    response = admin_client.post(url(agent), {"orgno": [audited.orgno]})
    text = response.content.decode()
    assert response.status_code == 400
    assert "har ikke gitt virksomheten alle tilgangspakkene" in text
    assert f"Bare Revisjon AS ({audited.orgno}) mangler: Regnskapsfører med signeringsrettighet" in text
    assert nothing_changed()


def test_removing_asks_first_then_removes(admin_client, agent, firm_clients, client_admin):
    kunde = firm_clients[0]
    clients.add_clients(system_user_id=agent.pk, orgnos=[kunde.orgno], by=client_admin)
    page = admin_client.get(url(agent, f"{kunde.orgno}/remove/")).content.decode()
    assert "Vil du fjerne Aurora Data AS som kunde?" in page and "<html" in page
    fragment = admin_client.get(url(agent, f"{kunde.orgno}/remove/"), **HTMX).content.decode()
    assert "<html" not in fragment and 'data-testid="confirm-remove-client"' in fragment
    assert ClientDelegation.objects.count() == 1  # asking changes nothing

    response = admin_client.post(url(agent, f"{kunde.orgno}/remove/"), follow=True)
    assert "Aurora Data AS er fjernet som kunde." in response.content.decode()
    assert not ClientDelegation.objects.exists()
    assert AuditEvent.objects.filter(action="systemuser.client_removed").count() == 1


def test_removing_with_htmx_returns_the_updated_list_and_a_status(admin_client, agent, firm_clients, client_admin):
    clients.add_clients(system_user_id=agent.pk, orgnos=[o.orgno for o in firm_clients[:2]], by=client_admin)
    response = admin_client.post(url(agent, f"{firm_clients[0].orgno}/remove/"), **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith('<div id="clients"')
    assert "Fjern Aurora Data AS" not in text and "Fjern Bryggen Blomster AS" in text
    assert 'id="su-status" hx-swap-oob="innerHTML"' in text and "Aurora Data AS er fjernet som kunde." in text


def test_removing_what_is_not_a_client_changes_nothing(admin_client, agent, firm_clients):
    assert admin_client.get(url(agent, f"{firm_clients[0].orgno}/remove/")).status_code == 404
    response = admin_client.post(url(agent, "abc/remove/"), follow=True)
    assert "Dette er ikke (lenger) en kunde på systemtilgangen. Ingenting er endret." in response.content.decode()
    response = admin_client.post(url(agent, f"{firm_clients[0].orgno}/remove/"), **HTMX)
    assert response.status_code == 200 and "Ingenting er endret" in response.content.decode()
    assert nothing_changed()


def test_someone_without_client_admin_gets_the_need_rights_page(client, agent, firm_clients, accounting_firm):
    clerk = f.make_person("Kontor Medarbeider")
    f.delegate_package(SIGNING, from_org=accounting_firm, to=clerk)
    act_for(client, clerk, accounting_firm)
    for response in (
        client.get(url(agent)),
        client.post(url(agent), {"orgno": [firm_clients[0].orgno]}),
        client.get(url(agent, f"{firm_clients[0].orgno}/remove/")),
    ):
        assert response.status_code == 403 and "Klientadministrator" in response.content.decode()
    assert nothing_changed()


def test_authority_is_checked_again_on_every_post(admin_client, agent, firm_clients, client_admin, accounting_firm):
    f.delegate_package(SIGNING, from_org=accounting_firm, to=client_admin)  # still acts for the firm afterwards
    assert admin_client.get(url(agent)).status_code == 200
    PackageDelegation.objects.filter(to_person=client_admin, package_id="klientadministrator").delete()
    response = admin_client.post(url(agent), {"orgno": [firm_clients[0].orgno]})
    assert response.status_code == 403
    assert nothing_changed()


def test_another_organisations_standard_or_deleted_system_access_is_not_found(
    admin_client, agent, firm_clients, client_admin, accounting_firm, manager, customer, system
):
    theirs = f.make_agent_system_user(customer, agent.system, [SIGNING])
    standard = SystemUser.objects.create(
        integration_title="Egen", owner=accounting_firm, system=system, external_ref=accounting_firm.orgno
    )
    gone = f.make_agent_system_user(accounting_firm, agent.system, [SIGNING], external_ref="gammel", is_deleted=True)
    orgno = firm_clients[0].orgno
    for other in (theirs, standard, gone):
        assert admin_client.get(url(other)).status_code == 404
        assert admin_client.post(url(other), {"orgno": [orgno]}).status_code == 404
        assert admin_client.get(url(other, f"{orgno}/remove/")).status_code == 404
        assert admin_client.post(url(other, f"{orgno}/remove/")).status_code == 404
    assert nothing_changed()


def test_changes_need_post_and_a_csrf_token(agent, firm_clients, client_admin, accounting_firm):
    csrf_client = act_for(Client(enforce_csrf_checks=True), client_admin, accounting_firm)
    assert csrf_client.post(url(agent), {"orgno": [firm_clients[0].orgno]}).status_code == 403
    assert nothing_changed()
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    assert csrf_client.post(url(agent, f"{firm_clients[0].orgno}/remove/")).status_code == 403
    assert act_for(Client(), client_admin, accounting_firm).put(url(agent)).status_code == 405
    assert ClientDelegation.objects.count() == 1


@pytest.mark.parametrize(
    ("lang", "heading", "button"), [("nn", "Kundar", "Legg til kundar"), ("en", "Clients", "Add clients")]
)
def test_the_clients_section_speaks_nynorsk_and_english(admin_client, agent, lang, heading, button):
    from django.conf import settings

    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    text = admin_client.get(f"/systemuser/{agent.pk}/").content.decode()
    assert f">{heading}</h2>" in text and button in text


def test_details_cost_the_same_queries_for_3_or_300_clients_and_show_100_a_page(admin_client, agent, accounting_firm):
    def grow(n):
        have = ClientDelegation.objects.count()
        orgs = [f.make_org(f"Kunde {have + i:04d} AS") for i in range(n - have)]
        ClientDelegation.objects.bulk_create([ClientDelegation(system_user=agent, client=o) for o in orgs])
        with CaptureQueriesContext(connection) as queries:
            text = admin_client.get(f"/systemuser/{agent.pk}/").content.decode()
        return len(queries), text

    (few, _), (many, text) = grow(3), grow(300)
    assert few == many
    assert text.count("Fjern Kunde ") == 100 and "Side 1 av 3 (300 kunder)" in text
    assert "Fjern Kunde 0100 AS" in admin_client.get(f"/systemuser/{agent.pk}/", {"kunder": 2}).content.decode()


# ---- Ticks survive a search, a page change and a refusal (UX walk) ----


def test_ticked_clients_stay_ticked_when_the_search_changes_the_list(admin_client, agent, firm_clients):
    aurora, bryggen, fjordkaffe = firm_clients
    # What the live search sends: the new query plus the boxes ticked so far (hx-include).
    response = admin_client.get(url(agent), {"q": "fjord", "orgno": [aurora.orgno, bryggen.orgno]}, **HTMX)
    text = response.content.decode()
    chosen, rest = text.split('data-testid="chosen"')[1].split('data-testid="eligible"')
    assert f'value="{aurora.orgno}" checked' in chosen and f'value="{bryggen.orgno}" checked' in chosen
    assert fjordkaffe.orgno in rest and aurora.orgno not in rest  # the match, not the ticked ones again
    assert "2 kunder er valgt." in text


def test_only_clients_that_can_be_added_are_shown_ticked(admin_client, agent, firm_clients, client_admin):
    aurora, bryggen, _ = firm_clients
    clients.add_clients(system_user_id=agent.pk, orgnos=[aurora.orgno], by=client_admin)
    stranger = f.make_org("Ikke Kunde AS")
    text = admin_client.get(url(agent), {"orgno": [aurora.orgno, stranger.orgno, "nonsense", bryggen.orgno]})
    chosen = text.content.decode().split('data-testid="chosen"')[1].split("</fieldset>")[0]
    assert bryggen.orgno in chosen and aurora.orgno not in chosen and stranger.orgno not in chosen
    assert "1 kunde er valgt." in text.content.decode()


def test_page_links_carry_the_ticks(admin_client, agent, accounting_firm):
    orgs = [f.make_org(f"Kunde {i:03d} AS") for i in range(60)]
    for org in orgs:
        f.give_role(accounting_firm, "REGN", org)
    text = admin_client.get(url(agent), {"orgno": orgs[0].orgno}).content.decode()
    assert f"page=2&amp;orgno={orgs[0].orgno}" in text  # plain link: the ticks the page knows
    assert 'hx-include="#client-results input[name=orgno]:checked"' in text  # live: the boxes ticked now


def test_a_refused_add_keeps_the_ticks(admin_client, agent, firm_clients):
    aurora = firm_clients[0]
    response = admin_client.post(url(agent), {"orgno": [aurora.orgno, "123456789"]})
    text = response.content.decode()
    assert response.status_code == 400 and "Disse er ikke kunder av virksomheten" in text
    assert f'value="{aurora.orgno}" checked' in text
    assert nothing_changed()


def test_the_list_says_in_words_why_each_is_a_client(admin_client, agent, firm_clients):
    text = admin_client.get(url(agent)).content.decode()
    assert "regnskapsfører (REGN)" in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "Du kan legge til høyst 500 kunder om gangen, og du valgte 501."),
        ("en", "You can add at most 500 clients at a time, and you chose 501."),
    ],
)
def test_more_than_500_at_once_is_refused_in_the_persons_language(admin_client, agent, firm_clients, lang, expected):
    admin_client.cookies["django_language"] = lang
    response = admin_client.post(url(agent), {"orgno": [f"{310000000 + i}" for i in range(501)]})
    text = response.content.decode()
    assert response.status_code == 400 and expected in text
    assert "At most" not in text  # the service's English detail is not shown
    assert nothing_changed()
