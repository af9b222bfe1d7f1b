"""The client pages of an agent system access: list, add and remove clients (client administrator)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lib.identifiers import grouped_orgno
from registry import listings
from registry.models import AuditEvent, ClientDelegation, PackageDelegation, SystemUser
from registry.services import clients
from tests import factories as f
from tests.factories import SIGNING
from tests.portal.systemusers_helpers import HTMX, act_for


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
    assert ">Klienter</h2>" in text and 'data-testid="clients"' in text
    assert "Aurora Data AS" in text and "Fjern Aurora Data AS" in text
    assert f'href="{url(agent)}"' in text and "Legg til klienter" in text
    assert "Klient lagt til: Aurora Data AS" in text  # history


def test_an_access_manager_without_client_admin_sees_clients_but_cannot_change_them(
    client, agent, firm_clients, client_admin, accounting_firm
):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    manager = f.make_person("Tone Tilgangsstyrer")
    f.delegate_package("tilgangsstyrer", from_org=accounting_firm, to=manager)
    act_for(client, manager, accounting_firm)
    text = client.get(f"/systemuser/{agent.pk}/").content.decode()
    assert "Aurora Data AS" in text and "Fjern Aurora Data AS" not in text and "Legg til klienter" not in text
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
    f.make_org("Ikke Klient AS")
    response = admin_client.get(url(agent))
    text = response.content.decode()
    assert response.status_code == 200
    assert "3 klienter kan legges til" in text and "Regnskapsfører med signeringsrettighet" in text
    assert "Bryggen Blomster AS" in text and "Fjordkaffe AS" in text
    assert "Tall og Tekst Regnskap AS" in text and "virksomheten selv" in text  # the firm may be its own client
    assert "Aurora Data AS" not in text and "Ikke Klient AS" not in text


def test_search_filters_live_with_htmx_and_as_a_plain_get(admin_client, agent, firm_clients):
    fragment = admin_client.get(url(agent), {"q": "fjord"}, **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="client-results"')
    assert 'role="status"' in fragment and "1 klient kan legges til" in fragment
    assert "Fjordkaffe AS" in fragment and "Bryggen" not in fragment
    page = admin_client.get(url(agent), {"q": "fjord"}).content.decode()
    assert "<html" in page and "Fjordkaffe AS" in page and "Bryggen" not in page
    assert (
        "Ingen klienter som kan legges til, passer søket «zzz»"
        in admin_client.get(url(agent), {"q": "zzz"}).content.decode()
    )


def test_large_firms_get_pages_and_the_same_number_of_queries(admin_client, agent, accounting_firm):
    from registry.models import Role, RoleAssignment

    regn = Role.objects.get(legacy_code="REGN")

    def grow(n):
        have = RoleAssignment.objects.filter(holder_org=accounting_firm).count()
        orgs = [f.make_org(f"Klient {have + i:04d} AS") for i in range(n - have)]
        RoleAssignment.objects.bulk_create([RoleAssignment(role=regn, of=o, holder_org=accounting_firm) for o in orgs])
        listings.refresh(accounting_firm, [o.pk for o in orgs])  # as the register importer does after bulk inserts
        with CaptureQueriesContext(connection) as queries:
            text = admin_client.get(url(agent)).content.decode()
        return len(queries), text

    (few, _), (many, text) = grow(3), grow(300)
    assert few == many
    # 300 and the firm itself: counted as far as 100 (a page and its counts cost the same for any firm).
    assert "Over 100 klienter kan legges til (side 1)." in text
    assert text.count('name="orgno"') == 50 and "page=2" in text
    assert "Klient 0049 AS" in admin_client.get(url(agent), {"page": 2}).content.decode()
    # Far back the count goes as far as the next page, so "next" is always right; the last page is exact.
    page_5 = admin_client.get(url(agent), {"page": 5}).content.decode()
    assert "Over 250 klienter kan legges til (side 5)." in page_5 and "page=6" in page_5
    last = admin_client.get(url(agent), {"page": 7}).content.decode()
    assert "301 klienter kan legges til (side 7 av 7)" in last and last.count('name="orgno"') == 1
    assert "Klient 0299 AS" in last and "page=8" not in last


def test_adding_several_clients_at_once(admin_client, agent, firm_clients):
    chosen = [firm_clients[1].orgno, firm_clients[2].orgno]
    response = admin_client.post(url(agent), {"orgno": chosen}, follow=True)
    text = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/systemuser/{agent.pk}/"
    assert "2 klienter er lagt til: Bryggen Blomster AS, Fjordkaffe AS." in text
    assert set(ClientDelegation.objects.values_list("client__orgno", flat=True)) == set(chosen)
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 2


def test_adding_nothing_asks_to_choose(admin_client, agent, firm_clients):
    response = admin_client.post(url(agent), {})
    assert response.status_code == 400 and "Velg minst én klient" in response.content.decode()


@pytest.mark.parametrize("garbage", [["abc"], ["<script>alert(1)</script>"], ["9" * 400], ["311000055", ""]])
def test_garbage_org_numbers_are_refused_by_name_and_the_client_beside_them_is_added(
    admin_client, agent, firm_clients, garbage
):
    response = admin_client.post(url(agent), {"orgno": [firm_clients[0].orgno, *garbage]})
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="add-result"' in text
    assert "1 klient er lagt til." in text and "1 kunne ikke legges til." in text
    assert "Er ikke klient av virksomheten" in text
    assert "<script>alert" not in text
    assert list(ClientDelegation.objects.values_list("client__orgno", flat=True)) == [firm_clients[0].orgno]


def test_a_client_that_has_not_given_every_package_is_named_with_what_is_missing(admin_client, agent, accounting_firm):
    audited = f.make_org("Bare Revisjon AS")
    f.give_role(accounting_firm, "REVI", audited)
    response = admin_client.post(url(agent), {"orgno": [audited.orgno]})
    text = response.content.decode()
    assert response.status_code == 400  # nothing was added
    assert "Bare Revisjon AS" in text and grouped_orgno(audited.orgno) in text  # "310 000 027"
    assert "Klienten har ikke gitt dere Regnskapsfører med signeringsrettighet." in text
    assert nothing_changed()


def test_removing_asks_first_then_removes(admin_client, agent, firm_clients, client_admin):
    klient = firm_clients[0]
    clients.add_clients(system_user_id=agent.pk, orgnos=[klient.orgno], by=client_admin)
    page = admin_client.get(url(agent, f"{klient.orgno}/remove/")).content.decode()
    assert "Vil du fjerne Aurora Data AS som klient?" in page and "<html" in page
    fragment = admin_client.get(url(agent, f"{klient.orgno}/remove/"), **HTMX).content.decode()
    assert "<html" not in fragment and 'data-testid="confirm-remove-client"' in fragment
    assert ClientDelegation.objects.count() == 1  # asking changes nothing

    response = admin_client.post(url(agent, f"{klient.orgno}/remove/"), follow=True)
    assert "Aurora Data AS er fjernet som klient." in response.content.decode()
    assert not ClientDelegation.objects.exists()
    assert AuditEvent.objects.filter(action="systemuser.client_removed").count() == 1


def test_removing_with_htmx_returns_the_updated_list_and_a_status(admin_client, agent, firm_clients, client_admin):
    clients.add_clients(system_user_id=agent.pk, orgnos=[o.orgno for o in firm_clients[:2]], by=client_admin)
    response = admin_client.post(url(agent, f"{firm_clients[0].orgno}/remove/"), **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith('<div id="clients"')
    assert "Fjern Aurora Data AS" not in text and "Fjern Bryggen Blomster AS" in text
    assert 'id="su-status" hx-swap-oob="innerHTML"' in text and "Aurora Data AS er fjernet som klient." in text


def test_removing_what_is_not_a_client_changes_nothing(admin_client, agent, firm_clients):
    assert admin_client.get(url(agent, f"{firm_clients[0].orgno}/remove/")).status_code == 404
    response = admin_client.post(url(agent, "abc/remove/"), follow=True)
    assert "Dette er ikke (lenger) en klient på systemtilgangen. Ingenting er endret." in response.content.decode()
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


@pytest.mark.parametrize(
    ("lang", "title", "h1"),
    [
        (
            "nb",
            "Ingen tilgang – be om tilgangspakken Klientadministrator – Systemtilgang",
            "Du har ikke tilgang til å legge til eller fjerne klienter",
        ),
        (
            "nn",
            "Inga tilgang – be om tilgangspakken Klientadministrator – Systemtilgang",
            "Du har ikkje tilgang til å leggje til eller fjerne klientar",
        ),
        (
            "en",
            "No access – ask for the Client administrator package – System access",
            "You do not have access to add or remove clients",
        ),
    ],
)
def test_the_client_refusal_page_says_what_happened_and_what_to_do(
    client, agent, firm_clients, accounting_firm, lang, title, h1
):
    from django.conf import settings

    clerk = f.make_person("Kontor Medarbeider")
    f.delegate_package(SIGNING, from_org=accounting_firm, to=clerk)
    act_for(client, clerk, accounting_firm).cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    text = client.get(url(agent)).content.decode()
    assert f"<title>{title}</title>" in text
    assert text.count("<h1") == 1 and f'data-size="lg">{h1}</h1>' in text
    assert "«Klientadministrator»" in text or "“Client administrator”" in text


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
    ("lang", "heading", "button"), [("nn", "Klientar", "Legg til klientar"), ("en", "Clients", "Add clients")]
)
def test_the_clients_section_speaks_nynorsk_and_english(admin_client, agent, lang, heading, button):
    from django.conf import settings

    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    text = admin_client.get(f"/systemuser/{agent.pk}/").content.decode()
    assert f">{heading}</h2>" in text and button in text


def test_details_cost_the_same_queries_for_3_or_300_clients_and_show_100_a_page(admin_client, agent, accounting_firm):
    def grow(n):
        have = ClientDelegation.objects.count()
        orgs = [f.make_org(f"Klient {have + i:04d} AS") for i in range(n - have)]
        ClientDelegation.objects.bulk_create([ClientDelegation(system_user=agent, client=o) for o in orgs])
        with CaptureQueriesContext(connection) as queries:
            text = admin_client.get(f"/systemuser/{agent.pk}/").content.decode()
        return len(queries), text

    (few, _), (many, text) = grow(3), grow(300)
    assert few == many
    assert text.count("Fjern Klient ") == 100 and "Side 1 av 3 (300 klienter)" in text
    assert "Fjern Klient 0100 AS" in admin_client.get(f"/systemuser/{agent.pk}/", {"kunder": 2}).content.decode()


def test_searching_the_clients_costs_the_same_queries_for_3_or_300(admin_client, agent, accounting_firm):
    def grow(n, params, headers):
        have = ClientDelegation.objects.count()
        orgs = [f.make_org(f"Klient {have + i:04d} AS") for i in range(n - have)]
        ClientDelegation.objects.bulk_create([ClientDelegation(system_user=agent, client=o) for o in orgs])
        with CaptureQueriesContext(connection) as queries:
            text = admin_client.get(f"/systemuser/{agent.pk}/", params, **headers).content.decode()
        return len(queries), text

    live = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "clients"}
    for params, headers in (({"q": "klient 00"}, {}), ({"q": "klient 00"}, live), ({"q": "klient", "kunder": 2}, live)):
        ClientDelegation.objects.all().delete()
        (few, _), (many, text) = grow(3, params, headers), grow(300, params, headers)
        assert few == many, params
    assert (
        "Side 2 av 3 (300 klienter)" in text and "Fjern Klient 0100 AS" in text and "Fjern Klient 0000 AS" not in text
    )


# ---- Finding one client among hundreds on the details page ----


def details(agent):
    return f"/systemuser/{agent.pk}/"


LIVE = HTMX | {"HTTP_HX_TARGET": "clients"}


@pytest.fixture
def added(agent, firm_clients, client_admin):
    clients.add_clients(system_user_id=agent.pk, orgnos=[o.orgno for o in firm_clients], by=client_admin)
    return firm_clients


def _rows(text: str) -> list[str]:
    table = text.split('data-testid="clients"')[1].split("</table>")[0]
    return [row.split("<td")[1].split(">", 1)[1].split("</td>")[0] for row in table.split("<tr>")[2:]]


def test_the_clients_can_be_searched_by_name_as_a_plain_get(admin_client, agent, added):
    response = admin_client.get(details(agent), {"q": "  bryggen  "})
    text = response.content.decode()
    assert response.status_code == 200 and "<html" in text
    assert _rows(text) == ["Bryggen Blomster AS"]
    assert '<p class="ds-paragraph org-count" id="clients-count" role="status"' in text
    assert "1 klient passer søket «bryggen»." in text
    form = text.split('data-testid="clients-search"')[1].split("</form>")[0]
    assert 'name="q" value="bryggen"' in form and 'type="submit"' in form  # works without JavaScript
    assert "Aurora Data AS" not in text.split('data-testid="history"')[0]


@pytest.mark.parametrize("q", ["FJORD", "kaffe", "fjordkaffe as"])
def test_the_name_search_ignores_case(admin_client, agent, added, q):
    assert _rows(admin_client.get(details(agent), {"q": q}).content.decode()) == ["Fjordkaffe AS"]


def test_the_name_search_folds_norwegian_letters(admin_client, agent, client_admin, accounting_firm):
    org = f.make_org("Østre Ærfugl Ål AS")
    f.give_role(accounting_firm, "REGN", org)
    clients.add_clients(system_user_id=agent.pk, orgnos=[org.orgno], by=client_admin)
    assert _rows(admin_client.get(details(agent), {"q": "østre ærfugl ål"}).content.decode()) == ["Østre Ærfugl Ål AS"]


def test_the_clients_can_be_searched_by_org_number_with_or_without_spaces(admin_client, agent, added):
    orgno = added[2].orgno
    for q in (orgno, f"{orgno[:3]} {orgno[3:6]} {orgno[6:]}", orgno[-4:]):
        text = admin_client.get(details(agent), {"q": q}).content.decode()
        assert _rows(text) == ["Fjordkaffe AS"], q


def test_the_live_search_answers_with_the_list_and_the_count_only(admin_client, agent, added):
    response = admin_client.get(details(agent), {"q": "aurora"}, **LIVE)
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text and "Historikk" not in text
    assert text.lstrip().startswith('<div id="clients"')
    assert _rows(text) == ["Aurora Data AS"]
    assert '<span id="clients-count" hx-swap-oob="innerHTML">1 klient passer søket «aurora».</span>' in text
    assert "HX-Request" in response["Vary"]


def test_the_search_field_asks_for_the_list_live(admin_client, agent, added):
    text = admin_client.get(details(agent)).content.decode()
    field = text.split('id="clients-q"')[1].split(">")[0]
    assert f'hx-get="{details(agent)}"' in field and 'hx-target="#clients"' in field
    assert 'aria-describedby="clients-count"' in field and 'hx-replace-url="true"' in field


def test_other_htmx_requests_and_a_history_restore_get_the_whole_page(admin_client, agent, added):
    restore = LIVE | {"HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
    for headers in (HTMX, restore):
        assert "<html" in admin_client.get(details(agent), {"q": "aurora"}, **headers).content.decode()


def test_a_search_without_matches_says_so_and_offers_the_whole_list(admin_client, agent, added):
    text = admin_client.get(details(agent), {"q": "zzz"}).content.decode()
    assert "Ingen klienter passer søket «zzz»." in text
    assert 'data-testid="clients-no-match"' in text and 'data-testid="clients"' not in text
    assert f'href="{details(agent)}#clients-heading">Vis alle klientene</a>' in text
    assert 'data-testid="clients-empty"' not in text  # the system access still has its clients


def test_without_clients_there_is_nothing_to_search(admin_client, agent):
    text = admin_client.get(details(agent)).content.decode()
    assert 'data-testid="clients-search"' not in text and 'data-testid="clients-empty"' in text


def test_page_links_keep_the_search_and_a_new_search_starts_on_page_1(admin_client, agent, accounting_firm):
    orgs = [f.make_org(f"Klient {i:04d} AS") for i in range(250)] + [f.make_org("Annen Bedrift AS")]
    ClientDelegation.objects.bulk_create([ClientDelegation(system_user=agent, client=o) for o in orgs])
    text = admin_client.get(details(agent), {"q": "klient"}).content.decode()
    assert "250 klienter passer søket «klient»." in text and "Side 1 av 3 (250 klienter)" in text
    assert 'href="?q=klient&amp;kunder=2#clients-heading"' in text
    page3 = admin_client.get(details(agent), {"q": "klient", "kunder": 3}).content.decode()
    assert _rows(page3) == [f"Klient {i:04d} AS" for i in range(200, 250)]
    assert 'href="?q=klient&amp;kunder=2#clients-heading"' in page3
    form = page3.split('data-testid="clients-search"')[1].split("</form>")[0]
    assert 'name="kunder"' not in form  # the search form sends only the query


@pytest.mark.parametrize("q", ["x" * 5000, "%", "_", "'; drop table x; --", "<script>"])
def test_odd_search_text_is_harmless(admin_client, agent, added, q):
    response = admin_client.get(details(agent), {"q": q}, **LIVE)
    assert response.status_code == 200 and "<script>" not in response.content.decode()
    assert ClientDelegation.objects.count() == 3


def test_a_nul_in_the_client_search_is_a_bad_request(admin_client, agent, added):
    for headers in ({}, LIVE):
        response = admin_client.get(details(agent), {"q": "a\x00b"}, **headers)
        assert response.status_code == 400 and "Ugyldig forespørsel" in response.content.decode()


def test_removing_a_found_client_keeps_the_search(admin_client, agent, added):
    text = admin_client.get(details(agent), {"q": "a"}).content.decode()
    form = text.split('action="' + url(agent, f"{added[0].orgno}/remove/") + '"')[1].split("</form>")[0]
    assert '<input type="hidden" name="q" value="a">' in form
    confirm = admin_client.get(url(agent, f"{added[0].orgno}/remove/"), {"q": "a"}, **HTMX).content.decode()
    assert f'hx-post="{url(agent, f"{added[0].orgno}/remove/")}?q=a"' in confirm
    assert f'href="{details(agent)}?q=a#clients-heading">Nei, behold klienten' in confirm
    # htmx: the list comes back still searched, its count told again.
    response = admin_client.post(url(agent, f"{added[0].orgno}/remove/") + "?q=a", **HTMX)
    text = response.content.decode()
    assert _rows(text) == ["Bryggen Blomster AS", "Fjordkaffe AS"]
    assert '<span id="clients-count" hx-swap-oob="innerHTML">2 klienter passer søket «a».</span>' in text
    # Without JavaScript: back to the page, searched as before.
    response = admin_client.post(url(agent, f"{added[1].orgno}/remove/") + "?q=a")
    assert response.status_code == 302 and response["Location"] == f"{details(agent)}?q=a"
    assert ClientDelegation.objects.count() == 1


def test_removing_from_page_2_comes_back_to_page_2(admin_client, agent, client_admin, accounting_firm):
    orgs = [f.make_org(f"Klient {i:04d} AS") for i in range(150)]
    ClientDelegation.objects.bulk_create([ClientDelegation(system_user=agent, client=o) for o in orgs])
    page2 = admin_client.get(details(agent), {"kunder": 2}).content.decode()
    assert '<input type="hidden" name="kunder" value="2">' in page2
    response = admin_client.post(url(agent, f"{orgs[120].orgno}/remove/") + "?kunder=2")
    assert response["Location"] == f"{details(agent)}?kunder=2"
    response = admin_client.post(url(agent, f"{orgs[121].orgno}/remove/") + "?kunder=2", **HTMX)
    assert "Side 2 av 2 (148 klienter)" in response.content.decode()


@pytest.mark.parametrize(
    ("lang", "found", "none"),
    [
        ("nb", "2 klienter passer søket «a».", "Ingen klienter passer søket «zzz»."),
        ("nn", "2 klientar passar til søket «a».", "Ingen klientar passar til søket «zzz»."),
        ("en", "2 clients match the search “a”.", "No clients match the search “zzz”."),
    ],
)
def test_the_count_speaks_each_language(admin_client, agent, added, lang, found, none):
    from django.conf import settings

    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    clients.remove_client(system_user_id=agent.pk, orgno=added[1].orgno, by=None)
    assert found in admin_client.get(details(agent), {"q": "a"}).content.decode()
    assert none in admin_client.get(details(agent), {"q": "zzz"}).content.decode()


# ---- Ticks survive a search, a page change and a refusal (UX walk) ----


def test_ticked_clients_stay_ticked_when_the_search_changes_the_list(admin_client, agent, firm_clients):
    aurora, bryggen, fjordkaffe = firm_clients
    # What the live search sends: the new query plus the boxes ticked so far (hx-include).
    response = admin_client.get(url(agent), {"q": "fjord", "orgno": [aurora.orgno, bryggen.orgno]}, **HTMX)
    text = response.content.decode()
    chosen, rest = text.split('data-testid="chosen"')[1].split('data-testid="eligible"')
    assert f'value="{aurora.orgno}" checked' in chosen and f'value="{bryggen.orgno}" checked' in chosen
    assert fjordkaffe.orgno in rest and aurora.orgno not in rest  # the match, not the ticked ones again
    assert "2 klienter er valgt." in text


def test_only_clients_that_can_be_added_are_shown_ticked(admin_client, agent, firm_clients, client_admin):
    aurora, bryggen, _ = firm_clients
    clients.add_clients(system_user_id=agent.pk, orgnos=[aurora.orgno], by=client_admin)
    stranger = f.make_org("Ikke Klient AS")
    text = admin_client.get(url(agent), {"orgno": [aurora.orgno, stranger.orgno, "nonsense", bryggen.orgno]})
    chosen = text.content.decode().split('data-testid="chosen"')[1].split("</fieldset>")[0]
    assert bryggen.orgno in chosen and aurora.orgno not in chosen and stranger.orgno not in chosen
    assert "1 klient er valgt." in text.content.decode()


def test_page_links_carry_the_ticks(admin_client, agent, accounting_firm):
    orgs = [f.make_org(f"Klient {i:03d} AS") for i in range(60)]
    for org in orgs:
        f.give_role(accounting_firm, "REGN", org)
    text = admin_client.get(url(agent), {"orgno": orgs[0].orgno}).content.decode()
    assert f"page=2&amp;orgno={orgs[0].orgno}" in text  # plain link: the ticks the page knows
    assert 'hx-include="#client-results input[name=orgno]:checked"' in text  # live: the boxes ticked now


def test_a_partly_refused_add_adds_the_rest_and_names_the_refused(admin_client, agent, firm_clients):
    aurora = firm_clients[0]
    response = admin_client.post(url(agent), {"orgno": [aurora.orgno, "123456789"]})
    text = response.content.decode()
    assert response.status_code == 200
    assert "123\u00a0456\u00a0789: Er ikke klient av virksomheten" in text and "Aurora Data AS" in text
    assert list(ClientDelegation.objects.values_list("client__orgno", flat=True)) == [aurora.orgno]


def test_the_list_says_in_words_why_each_is_a_client(admin_client, agent, firm_clients):
    text = admin_client.get(url(agent)).content.decode()
    assert "regnskapsfører (REGN)" in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "Du kan legge til høyst 500 klienter om gangen, og du valgte 501."),
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
