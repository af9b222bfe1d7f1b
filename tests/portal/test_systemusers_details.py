import re
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lib.errors import ServiceError
from lib.identifiers import grouped_orgno
from registry import usage
from registry.models import (
    AccessPackage,
    AuditEvent,
    ClientDelegation,
    Notification,
    RefusalReason,
    Resource,
    SystemUser,
    SystemUserPackage,
    SystemUserRight,
    SystemUserType,
)
from tests import factories as f
from tests.portal.systemusers_helpers import HTMX, act_for, make_system_user


@pytest.fixture
def su(manager, customer, system):
    return make_system_user(manager, customer, system)


def test_details_show_vendor_system_creator_and_what_each_grant_allows(client, manager, customer, su, vendor):
    response = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Fakturering" in text and vendor.name in text and grouped_orgno(vendor.orgno) in text
    assert f"av {manager.name}" in text
    assert "Skatt næring" in text and "Krav og betalinger (lese)" in text
    assert "Kan lese i Krav og betalinger" in text


def test_details_show_the_audit_trail(client, manager, customer, su):
    text = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/").content.decode()
    assert 'data-testid="history"' in text
    assert "Systemtilgangen ble opprettet" in text


def test_another_organisations_system_access_is_not_found(client, manager, customer, system):
    other = f.make_org("Naboen AS")
    boss = f.make_person("Nabo Sjef")
    f.give_role(boss, "DAGL", other)
    theirs = make_system_user(boss, other, system)
    act_for(client, manager, customer)
    assert client.get(f"/systemuser/{theirs.pk}/").status_code == 404
    assert client.get(f"/systemuser/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/systemuser/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/systemuser/{theirs.pk}/revoke/package/", {"package": "skatt-naering"}).status_code == 404
    assert not theirs.__class__.objects.get(pk=theirs.pk).is_deleted
    assert theirs.packages.count() == 1


@pytest.mark.parametrize("debug", [False, True])
def test_a_deleted_system_access_s_link_gets_the_portal_s_own_404_page(client, manager, customer, su, settings, debug):
    """Its details, clients and deletion pages: the portal's page (its layout, who is logged in, the way
    back), also with DEBUG on, where Django would otherwise show its technical 404 page."""
    settings.DEBUG = debug
    act_for(client, manager, customer)
    client.post(f"/systemuser/{su.pk}/delete/")
    for path in ["", "delete/", "clients/"]:
        response = client.get(f"/systemuser/{su.pk}/{path}")
        text = response.content.decode()
        assert response.status_code == 404, path
        assert "Fant ikke siden" in text and manager.name in text and 'href="/"' in text, path
        assert "technical_404" not in text and "Page not found" not in text, path


def test_person_without_rights_gets_a_warning_not_the_details(client, employee, customer, su):
    response = act_for(client, employee, customer).get(f"/systemuser/{su.pk}/")
    assert response.status_code == 403 and "Tilgangsstyrer" in response.content.decode()
    assert "Skatt næring" not in response.content.decode()


@pytest.mark.parametrize(
    ("lang", "title", "h1", "todo"),
    [
        (
            "nb",
            "Ingen tilgang – be om tilgangspakken Tilgangsstyrer – Systemtilgang",
            "Du har ikke tilgang til å se og administrere systemtilganger for Bakeriet Nordmann AS",
            "Be daglig leder eller en hovedadministrator i virksomheten om å gi deg tilgangspakken «Tilgangsstyrer».",
        ),
        (
            "nn",
            "Inga tilgang – be om tilgangspakken Tilgangsstyrar – Systemtilgang",
            "Du har ikkje tilgang til å sjå og administrere systemtilgangar for Bakeriet Nordmann AS",
            "Be dagleg leiar eller ein hovudadministrator i verksemda om å gi deg tilgangspakken «Tilgangsstyrar».",
        ),
        (
            "en",
            "No access – ask for the Access manager package – System access",
            "You do not have access to see and manage system access for Bakeriet Nordmann AS",
            "Ask the general manager or a main administrator of the organisation to give you the access package",
        ),
    ],
)
def test_the_refusal_page_says_what_happened_and_what_to_do(client, employee, customer, su, lang, title, h1, todo):
    from django.conf import settings

    act_for(client, employee, customer).cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    for path in (f"/systemuser/{su.pk}/", "/systemuser/new/", f"/systemuser/{su.pk}/delete/"):
        response = client.get(path)
        text = response.content.decode()
        assert response.status_code == 403
        assert f"<title>{title}</title>" in text, path
        assert text.count("<h1") == 1 and f'data-size="lg">{h1}</h1>' in text, path
        assert todo in text


def test_a_client_administrator_sees_the_system_accesses_for_clients_only(
    client, client_admin, accounting_firm, agent, system
):
    """Klientadministrator without Tilgangsstyrer: the agent system access's page, not a standard one's."""
    standard = SystemUser.objects.create(
        integration_title="Firmaets fakturering", owner=accounting_firm, system=system, external_ref="std"
    )
    act_for(client, client_admin, accounting_firm)
    assert client.get(f"/systemuser/{agent.pk}/").status_code == 200
    response = client.get(f"/systemuser/{standard.pk}/")
    text = response.content.decode()
    assert response.status_code == 403 and "Tilgangsstyrer" in text
    assert "Firmaets fakturering" not in text


def test_a_person_who_is_neither_manager_nor_client_administrator_does_not_see_one_for_clients(
    client, accounting_firm, agent
):
    bookkeeper = f.make_person("Berit Bokfører")
    f.delegate_package("lonn", from_org=accounting_firm, to=bookkeeper)  # may act for the firm, no more
    response = act_for(client, bookkeeper, accounting_firm).get(f"/systemuser/{agent.pk}/")
    assert response.status_code == 403 and "Tilgangsstyrer" in response.content.decode()
    assert agent.integration_title not in response.content.decode()


def test_employee_may_not_revoke_or_delete(client, employee, customer, su):
    act_for(client, employee, customer)
    response = client.post(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"}, follow=True)
    assert "tilgangsstyrer eller hovedadministrator" in response.content.decode()
    assert client.post(f"/systemuser/{su.pk}/delete/").status_code == 403
    su.refresh_from_db()
    assert not su.is_deleted and su.packages.count() == 1


def test_revoking_a_package_removes_it_at_once_and_tells_the_vendor(client, manager, customer, su, vendor):
    act_for(client, manager, customer)
    response = client.post(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"}, follow=True)
    text = response.content.decode()
    assert "Tilgangspakken Skatt næring er fjernet" in text
    assert not SystemUserPackage.objects.filter(system_user=su).exists()
    assert AuditEvent.objects.filter(action="systemuser.package_revoked", object_id=str(su.pk)).count() == 1
    assert Notification.objects.filter(kind="systemuser.package_revoked", recipient=vendor.emails[0]).count() == 1
    assert "Tilgangspakke fjernet" in text  # in the history


def test_revoking_a_right_with_htmx_returns_the_updated_list_and_a_status(client, manager, customer, su):
    act_for(client, manager, customer)
    response = client.post(
        f"/systemuser/{su.pk}/revoke/right/", {"resource": "ske-krav-og-betalinger", "action": "read"}, **HTMX
    )
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert text.lstrip().startswith('<div id="grants"')
    assert 'id="su-status" hx-swap-oob="innerHTML"' in text
    assert "Rettigheten til Krav og betalinger er fjernet" in text
    assert "Skatt næring" in text and "Kan lese i" not in text
    assert not SystemUserRight.objects.filter(system_user=su).exists()


def test_revoking_the_last_grant_shows_that_nothing_is_left(client, manager, customer, su):
    act_for(client, manager, customer)
    client.post(f"/systemuser/{su.pk}/revoke/right/", {"resource": "ske-krav-og-betalinger", "action": "read"})
    text = client.post(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"}, **HTMX).content.decode()
    assert 'data-testid="grants-empty"' in text


def test_revoking_something_it_does_not_have_changes_nothing(client, manager, customer, su):
    act_for(client, manager, customer)
    response = client.post(f"/systemuser/{su.pk}/revoke/package/", {"package": "lonn"}, **HTMX)
    assert "Ingenting er endret" in response.content.decode() and 'data-color="danger"' in response.content.decode()
    response = client.post(f"/systemuser/{su.pk}/revoke/right/", {"resource": "<script>", "action": "x" * 500})
    assert response.status_code == 302
    assert su.packages.count() == 1 and su.rights.count() == 1
    assert not AuditEvent.objects.filter(action__endswith="_revoked").exists()


def test_revoking_asks_first_and_a_get_changes_nothing(client, manager, customer, su):
    act_for(client, manager, customer)
    response = client.get(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"})
    text = response.content.decode()
    assert response.status_code == 200 and "<html" in text  # the plain fallback: a page of its own
    assert "Vil du fjerne tilgangspakken Skatt næring?" in text
    assert "Skattemelding for næringsdrivende" in text  # what stops working
    assert "Bare leverandøren kan be om det på nytt" in text  # and how it comes back
    assert 'method="post"' in text and "Ja, fjern tilgangspakken Skatt næring" in text
    fragment = client.get(
        f"/systemuser/{su.pk}/revoke/right/", {"resource": "ske-krav-og-betalinger", "action": "read"}, **HTMX
    ).content.decode()
    assert "<html" not in fragment and "Vil du fjerne enkeltrettigheten Krav og betalinger (lese)?" in fragment
    assert su.packages.count() == 1 and su.rights.count() == 1
    assert not AuditEvent.objects.filter(action__endswith="_revoked").exists()


def test_asking_to_revoke_what_is_not_held_is_not_found(client, manager, customer, su):
    act_for(client, manager, customer)
    assert client.get(f"/systemuser/{su.pk}/revoke/package/").status_code == 404
    assert client.get(f"/systemuser/{su.pk}/revoke/package/", {"package": "lonn"}).status_code == 404
    assert client.get(f"/systemuser/{su.pk}/revoke/right/", {"resource": "<script>", "action": "x"}).status_code == 404


def test_an_employee_is_not_asked_to_revoke(client, employee, customer, su):
    act_for(client, employee, customer)
    response = client.get(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"})
    assert response.status_code == 403 and "Vil du fjerne" not in response.content.decode()


def test_revoke_buttons_have_unique_names_and_internal_services_stay_hidden(client, manager, customer, su):
    text = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/").content.decode()
    assert "Fjern tilgangspakken Skatt næring" in text and "Fjern enkeltrettigheten Krav og betalinger (lese)" in text
    assert "Intern saksbehandling" not in text  # a non-delegable service in the package's policy


def test_the_history_updates_in_place_after_a_revoke(client, manager, customer, su):
    act_for(client, manager, customer)
    text = client.post(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"}, **HTMX).content.decode()
    history = text.split('<div id="history" class="stack" hx-swap-oob="true">')[1]
    assert "Tilgangspakke fjernet" in history and "Skatt næring" in history


def test_state_changes_need_a_csrf_token(manager, customer, su):
    from django.test import Client

    client = act_for(Client(enforce_csrf_checks=True), manager, customer)
    assert client.post(f"/systemuser/{su.pk}/delete/").status_code == 403
    assert client.post(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"}).status_code == 403
    su.refresh_from_db()
    assert not su.is_deleted and su.packages.count() == 1


def test_delete_confirmation_says_what_will_stop_working(client, manager, customer, su):
    act_for(client, manager, customer)
    page = client.get(f"/systemuser/{su.pk}/delete/").content.decode()
    assert "Dette slutter å virke med en gang" in page and "Skatt næring" in page
    assert "Ja, slett systemtilgangen" in page
    fragment = client.get(f"/systemuser/{su.pk}/delete/", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div class="ds-alert stack"') and "<html" not in fragment


def test_details_page_has_the_delete_form(client, manager, customer, su):
    text = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/").content.decode()
    assert f'action="/systemuser/{su.pk}/delete/"' in text


def test_deleting_ends_the_system_access_and_tells_the_vendor(client, manager, customer, su, vendor):
    act_for(client, manager, customer)
    response = client.post(f"/systemuser/{su.pk}/delete/", follow=True)
    su.refresh_from_db()
    assert su.is_deleted
    assert response.redirect_chain[-1][0] == "/systemuser/"
    assert "er slettet" in response.content.decode()
    assert Notification.objects.filter(kind="systemuser.deleted", recipient=vendor.emails[0]).count() == 1
    assert client.get(f"/systemuser/{su.pk}/").status_code == 404
    assert client.post(f"/systemuser/{su.pk}/delete/").status_code == 404


def test_deleting_with_htmx_redirects_the_browser_to_the_overview(client, manager, customer, su):
    act_for(client, manager, customer)
    response = client.post(f"/systemuser/{su.pk}/delete/", **HTMX)
    assert response.headers["HX-Redirect"] == "/systemuser/"


def test_a_refused_delete_with_htmx_also_goes_to_a_whole_page_with_the_reason(client, manager, customer, su):
    from registry.services import lifecycle

    act_for(client, manager, customer)
    with patch.object(lifecycle, "delete_system_user", side_effect=ServiceError("AUTH-00015", "gone", status=404)):
        response = client.post(f"/systemuser/{su.pk}/delete/", **HTMX)
    assert response.headers["HX-Redirect"] == "/systemuser/"
    assert "Den kan allerede være slettet" in client.get("/systemuser/").content.decode()


def test_agent_system_access_shows_clients_and_offers_no_revoke(client, manager, customer, vendor):
    agent_system = f.make_system(vendor, "klientsystem", rights=[], packages=["regnskapsforer-lonn"])
    agent = make_system_user(
        manager, customer, agent_system, packages=["regnskapsforer-lonn"], rights=[], user_type=SystemUserType.AGENT
    )
    klient = f.make_org("Klienten AS")
    ClientDelegation.objects.create(system_user=agent, client=klient, packages=["regnskapsforer-lonn"])
    text = act_for(client, manager, customer).get(f"/systemuser/{agent.pk}/").content.decode()
    assert "Klienten AS" in text and "revoke/package" not in text
    delete = client.get(f"/systemuser/{agent.pk}/delete/").content.decode()
    assert "Systemet kan heller ikke lenger jobbe for disse klientene" in delete and "Klienten AS" in delete


def test_details_queries_do_not_grow_with_rights_packages_or_events(client, manager, customer, system):
    act_for(client, manager, customer)
    su = make_system_user(manager, customer, system, packages=[], rights=[])

    def grow(n):
        for i in range(n - su.rights.count()):
            resource = Resource.objects.create(
                id=f"r-{n}-{i}", title_nb=f"Tjeneste {i}", title_nn="t", title_en="t", owner_orgno="974761076"
            )
            SystemUserRight.objects.create(system_user=su, resource=resource, action="read")
            AuditEvent.objects.create(action="systemuser.right_revoked", object_type="systemuser", object_id=str(su.pk))
        codes = AccessPackage.objects.exclude(systemuserpackage__system_user=su).values_list("code", flat=True)
        SystemUserPackage.objects.bulk_create(
            [SystemUserPackage(system_user=su, package_id=c) for c in codes[: n - su.packages.count()]]
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/systemuser/{su.pk}/").status_code == 200
        return len(queries)

    few, many = grow(3), grow(300)
    assert su.rights.count() == 300 and su.packages.count() > 200
    assert few == many


# ---- UX walk: words instead of codes, named scroll regions, dates per language ----


def test_the_history_names_a_revoked_package_and_right_in_words(client, manager, customer, su):
    act_for(client, manager, customer)
    client.post(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"})
    client.post(f"/systemuser/{su.pk}/revoke/right/", {"resource": "ske-krav-og-betalinger", "action": "read"})
    history = client.get(f"/systemuser/{su.pk}/").content.decode().split('data-testid="history"')[1]
    assert "Tilgangspakke fjernet: Skatt næring" in history
    assert "Enkeltrettighet fjernet: Krav og betalinger (lese)" in history
    assert "skatt-naering" not in history and "ske-krav-og-betalinger" not in history


def test_revoking_from_an_agent_system_access_is_explained_not_in_english(client, manager, customer, vendor):
    agent_system = f.make_system(vendor, "klientsystem", rights=[], packages=["regnskapsforer-lonn"])
    agent = make_system_user(
        manager, customer, agent_system, packages=["regnskapsforer-lonn"], rights=[], user_type=SystemUserType.AGENT
    )
    act_for(client, manager, customer)
    response = client.post(f"/systemuser/{agent.pk}/revoke/package/", {"package": "regnskapsforer-lonn"}, follow=True)
    text = response.content.decode()
    assert "fjernes ikke én og én" in text and "cannot be revoked" not in text
    assert SystemUserPackage.objects.filter(system_user=agent).count() == 1


@pytest.mark.parametrize(
    ("lang", "heading", "type_text"),
    [
        ("nb", "Dette kan systemet gjøre for hver klient", "Systemtilgang for klienter"),
        ("en", "What the system may do for each client", "System access for clients"),
    ],
)
def test_an_agent_system_access_speaks_of_clients_as_klienter(
    client, manager, customer, vendor, lang, heading, type_text
):
    agent_system = f.make_system(vendor, "klientsystem", rights=[], packages=["regnskapsforer-lonn"])
    agent = make_system_user(
        manager, customer, agent_system, packages=["regnskapsforer-lonn"], rights=[], user_type=SystemUserType.AGENT
    )
    act_for(client, manager, customer).cookies["django_language"] = lang
    text = client.get(f"/systemuser/{agent.pk}/").content.decode()
    assert heading in text and type_text in text
    assert "kunde" not in text.lower()  # Altinn's word, with "klientadministrator": one word everywhere


def test_tables_scroll_in_their_own_named_region(client, manager, customer, su):
    text = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/").content.decode()
    assert 'class="table-scroll" role="region" tabindex="0" aria-labelledby="history-caption"' in text
    assert 'id="history-caption"' in text


@pytest.mark.parametrize(("lang", "created"), [("nb", "3. mars 2026"), ("nn", "3. mars 2026"), ("en", "3 March 2026")])
def test_dates_are_written_the_way_each_language_writes_them(client, manager, customer, su, lang, created):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    su.__class__.objects.filter(pk=su.pk).update(created=datetime(2026, 3, 3, 9, 5, tzinfo=ZoneInfo("Europe/Oslo")))
    act_for(client, manager, customer).cookies["django_language"] = lang
    text = client.get(f"/systemuser/{su.pk}/").content.decode()
    assert f"{created} 09:05" in text or f"{created}, 09:05" in text
    assert client.get("/systemuser/").content.decode().count(f">{created}</time>") == 1


# ---- Usage and the paged history ----


def _history_rows(html: str) -> list[str]:
    table = html.split('data-testid="history"')[1].split("</table>")[0]
    return [row.split("</td>")[1] for row in table.split("<tr>")[2:]]


def test_details_show_when_and_how_much_the_system_access_was_used(client, manager, customer, su):
    now = timezone.now()
    usage.record_token(system_user_id=su.pk, client_id="client-old", at=now - timedelta(days=40))
    usage.record_token(system_user_id=su.pk, client_id="client-a", at=now - timedelta(days=10))
    for minutes in (90, 30, 5):
        usage.record_token(system_user_id=su.pk, client_id="client-fakturering", at=now - timedelta(minutes=minutes))
    text = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/").content.decode()
    last_used = text.split('data-testid="last-used">')[1].split("</dd>")[0]
    assert "av klienten client-fakturering" in last_used
    assert "Brukt 3 ganger" in text.split('data-testid="used-day">')[1].split("</dd>")[0]
    assert "Brukt 4 ganger" in text.split('data-testid="used-month">')[1].split("</dd>")[0]


def test_a_system_access_never_used_says_so(client, manager, customer, su):
    text = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/").content.decode()
    assert "Ikke brukt" in text.split('data-testid="last-used">')[1].split("</dd>")[0]
    assert "Brukt 0 ganger" in text.split('data-testid="used-day">')[1].split("</dd>")[0]


def test_the_last_refusals_of_the_systems_clients_are_told_in_words(client, manager, customer, su, system):
    client_id = system.clients.first().client_id
    for _ in range(3):
        usage.record_refusal(
            client_id=client_id, party_orgno=customer.orgno, reason=RefusalReason.UNKNOWN_EXTERNAL_REF, detail="lager-2"
        )
    usage.record_refusal(client_id="another-vendors-client", party_orgno=customer.orgno, reason=RefusalReason.REPLAYED)
    usage.record_refusal(client_id=client_id, party_orgno="910000001", reason=RefusalReason.REPLAYED)
    text = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/").content.decode()
    refusals = text.split('data-testid="refusals"')[1].split("</ul>")[0]
    assert "den eksterne referansen «lager-2»" in refusals
    assert "(3 ganger, sist" in refusals
    assert refusals.count("<li>") == 1  # not another system's client, not another organisation


def test_token_traffic_is_not_in_the_history(client, manager, customer, su):
    AuditEvent.objects.create(action="token.issued", object_type="systemuser", object_id=str(su.pk))
    text = act_for(client, manager, customer).get(f"/systemuser/{su.pk}/").content.decode()
    rows = _history_rows(text)
    assert len(rows) == 1 and "Systemtilgangen ble opprettet" in rows[0]
    assert "token.issued" not in text


def _add_events(su, n: int, *, start: int = 0):
    """`n` clients added, a second apart, the day before (older than the system access's creation)."""
    base = timezone.now() - timedelta(days=1)
    for i in range(start, start + n):
        event = AuditEvent.objects.create(
            action="systemuser.client_added",
            object_type="systemuser",
            object_id=str(su.pk),
            data={"client": "910000001", "client_name": f"Klient {i:03d}"},
        )
        AuditEvent.objects.filter(pk=event.pk).update(at=base + timedelta(seconds=i))


def _link(html: str, rel: str) -> dict:
    """The query of the history's `rel` link (prev: newer, next: older), as the browser would send it."""
    nav = html.split('data-testid="history-pages"')[1].split("</nav>")[0]
    href = re.search(rf'href="\?([^"#]*)#history-heading" rel="{rel}"', nav).group(1)
    return dict(parse_qsl(href.replace("&amp;", "&")))


def test_the_history_comes_25_at_a_time_newest_first(client, manager, customer, su):
    _add_events(su, 60)
    act_for(client, manager, customer)
    first = client.get(f"/systemuser/{su.pk}/").content.decode()
    rows = _history_rows(first)
    assert len(rows) == 25
    assert "Systemtilgangen ble opprettet" in rows[0]  # made just now: newer than the events
    assert "Klient 059" in rows[1] and "Klient 036" in rows[24]
    assert 'rel="prev"' not in first.split('data-testid="history-pages"')[1].split("</nav>")[0]
    second = client.get(f"/systemuser/{su.pk}/", _link(first, "next")).content.decode()
    rows = _history_rows(second)
    assert len(rows) == 25 and "Klient 035" in rows[0] and "Klient 011" in rows[24]
    third = client.get(f"/systemuser/{su.pk}/", _link(second, "next")).content.decode()
    rows = _history_rows(third)
    assert len(rows) == 11 and "Klient 010" in rows[0] and "Klient 000" in rows[10]
    assert 'rel="next"' not in third.split('data-testid="history-pages"')[1].split("</nav>")[0]
    back = client.get(f"/systemuser/{su.pk}/", _link(third, "prev")).content.decode()
    assert _history_rows(back) == _history_rows(second)
    newest = client.get(f"/systemuser/{su.pk}/", _link(back, "prev")).content.decode()
    assert _history_rows(newest) == _history_rows(first)


def test_history_links_keep_the_client_search(client, manager, customer, su):
    _add_events(su, 30)
    act_for(client, manager, customer)
    first = client.get(f"/systemuser/{su.pk}/", {"q": "Klient"}).content.decode()
    assert _link(first, "next")["q"] == "Klient"


def test_a_history_link_with_htmx_answers_with_the_history_only(client, manager, customer, su):
    _add_events(su, 30)
    act_for(client, manager, customer)
    older = _link(client.get(f"/systemuser/{su.pk}/").content.decode(), "next")
    response = client.get(f"/systemuser/{su.pk}/", older, **HTMX, HTTP_HX_TARGET="history")
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="history"') and "<html" not in text
    assert len(_history_rows(text)) == 6
    assert "HX-Request" in response["Vary"]
    restore = {"HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
    whole = client.get(f"/systemuser/{su.pk}/", older, **HTMX, HTTP_HX_TARGET="history", **restore)
    assert "<html" in whole.content.decode()


@pytest.mark.parametrize(
    "mark", ["x", "0", "2026-01-01_1", "2026-01-01T00:00:00_1", "9" * 40, "2026-01-01T00:00:00+00:00_-1", "_", ""]
)
def test_a_bad_history_mark_shows_the_newest_not_an_error(client, manager, customer, su, mark):
    _add_events(su, 30)
    act_for(client, manager, customer)
    for name in ("eldre", "nyere"):
        response = client.get(f"/systemuser/{su.pk}/", {name: mark})
        assert response.status_code == 200
        assert "Systemtilgangen ble opprettet" in _history_rows(response.content.decode())[0]


def test_details_queries_do_not_grow_with_history_tokens_or_refusals(client, manager, customer, su, system):
    act_for(client, manager, customer)
    client_id = system.clients.first().client_id

    def grow(events: int, tokens: int, refusals: int):
        _add_events(su, events, start=AuditEvent.objects.count())
        AuditEvent.objects.bulk_create(
            AuditEvent(action="token.issued", object_type="systemuser", object_id=str(su.pk)) for _ in range(tokens)
        )
        for i in range(tokens):
            usage.record_token(system_user_id=su.pk, client_id=client_id, at=timezone.now() - timedelta(hours=i))
        for i in range(refusals):
            usage.record_refusal(client_id=client_id, party_orgno=customer.orgno, reason="other", detail=f"d{i}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/systemuser/{su.pk}/")
        assert len(_history_rows(response.content.decode())) == min(25, AuditEvent.objects.count() - tokens)
        return len(queries)

    few = grow(2, 2, 1)
    many = grow(200, 800, 40)
    assert few == many


def test_a_refused_htmx_revoke_shows_no_grants_to_a_person_who_may_not_see_them(client, employee, customer, su):
    """Issue 18, item 3: the fragment after a refused revoke applied no authority: it listed the access's
    packages and rights to an employee who may not see the page it belongs to."""
    act_for(client, employee, customer)
    response = client.post(f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"}, **HTMX)
    text = response.content.decode()
    assert response.status_code == 403
    assert "Skatt næring" not in text and "Krav og betalinger" not in text
    assert "tilgangspakken «Tilgangsstyrer»" in text
    response = client.post(
        f"/systemuser/{su.pk}/revoke/right/", {"resource": "ske-krav-og-betalinger", "action": "read"}, **HTMX
    )
    assert response.status_code == 403 and "Skatt næring" not in response.content.decode()
    su.refresh_from_db()
    assert su.packages.count() == 1 and su.rights.count() == 1
