"""The overview in pages of 25, and its search (live with htmx, plain GET without)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import SystemUser, SystemUserType
from tests import factories as f
from tests.portal.systemusers_helpers import HTMX, act_for, make_many


def _rows(html: str, testid: str) -> list[str]:
    table = re.search(rf'<table class="ds-table[^"]*" data-testid="{testid}">(.*?)</table>', html, re.S)
    return re.findall(r'href="/systemuser/([0-9a-f-]{36})/"', table.group(1)) if table else []


@pytest.fixture
def as_manager(client, manager, customer):
    return act_for(client, manager, customer)


def test_thirty_system_accesses_show_in_two_pages_with_a_labelled_nav(as_manager, manager, customer, vendor):
    make_many(manager, customer, vendor, 30)
    first = as_manager.get("/systemuser/").content.decode()
    assert len(_rows(first, "standard")) == 25
    assert "Viser 1–25 av 30." in first
    label = "Sider: Virksomhetens systemtilganger"
    nav = re.search(rf'<nav class="ds-pagination" aria-label="{label}".*?</nav>', first, re.S)
    assert nav is not None
    assert 'href="?page=1" aria-label="Side 1" aria-current="true"' in nav.group(0)
    assert 'href="?page=2" rel="next"' in nav.group(0)

    second = as_manager.get("/systemuser/", {"page": 2}).content.decode()
    assert len(_rows(second, "standard")) == 5
    assert "Viser 26–30 av 30." in second
    assert not set(_rows(first, "standard")) & set(_rows(second, "standard"))
    newest = SystemUser.objects.order_by("-created", "-pk").first()
    assert _rows(first, "standard")[0] == str(newest.pk)


def test_a_short_list_has_no_pagination(as_manager, manager, customer, vendor):
    make_many(manager, customer, vendor, 3)
    text = as_manager.get("/systemuser/").content.decode()
    assert len(_rows(text, "standard")) == 3
    assert "ds-pagination" not in text


@pytest.mark.parametrize("page, shown", [("abc", 1), ("99999", 2), ("0", 2), ("-1", 2), ("", 1), ("1.5", 1), ("2", 2)])
def test_a_bad_page_number_shows_a_sensible_page(as_manager, manager, customer, vendor, page, shown):
    make_many(manager, customer, vendor, 30)
    response = as_manager.get("/systemuser/", {"page": page})
    assert response.status_code == 200
    assert f'aria-label="Side {shown}" aria-current="true"' in response.content.decode()


def test_the_two_lists_page_independently(as_manager, manager, customer, vendor):
    make_many(manager, customer, vendor, 30)
    make_many(manager, customer, vendor, 27, prefix="klient", user_type=SystemUserType.AGENT)
    text = as_manager.get("/systemuser/", {"page": 2}).content.decode()
    assert len(_rows(text, "standard")) == 5 and len(_rows(text, "agent")) == 25
    assert 'aria-label="Sider: Systemtilganger for klienter"' in text
    assert 'href="?page=2&amp;agentpage=2" rel="next"' in text
    both = as_manager.get("/systemuser/", {"page": 2, "agentpage": 2}).content.decode()
    assert len(_rows(both, "standard")) == 5 and len(_rows(both, "agent")) == 2


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/systemuser/", params)
    assert response.status_code == 200
    return len(queries)


def test_every_page_costs_the_same_number_of_queries(as_manager, manager, customer, vendor):
    make_many(manager, customer, vendor, 3)
    few = _queries(as_manager, {})
    make_many(manager, customer, vendor, 120, prefix="mange")
    assert few == _queries(as_manager, {}) == _queries(as_manager, {"page": 3}) == _queries(as_manager, {"page": 5})
    assert few == _queries(as_manager, {"q": "mange", "page": 2})


def test_search_matches_system_name_integration_title_and_vendor(as_manager, manager, customer, vendor, other_vendor):
    make_many(manager, customer, vendor, 2, prefix="lonn")
    make_many(manager, customer, vendor, 1, prefix="faktura", title="Lagerstyring i butikken")
    make_many(manager, customer, other_vendor, 1, prefix="annet")
    by_name = as_manager.get("/systemuser/", {"q": "LONN"}).content.decode()
    assert len(_rows(by_name, "standard")) == 2
    assert "2 systemtilganger passer søket «LONN»." in by_name
    by_title = as_manager.get("/systemuser/", {"q": "lagerstyring"}).content.decode()
    assert len(_rows(by_title, "standard")) == 1
    assert "1 systemtilgang passer søket «lagerstyring»." in by_title
    by_vendor = as_manager.get("/systemuser/", {"q": other_vendor.name}).content.decode()
    assert len(_rows(by_vendor, "standard")) == 1


def test_a_search_without_matches_says_so_in_each_list(as_manager, manager, customer, vendor):
    make_many(manager, customer, vendor, 2)
    make_many(manager, customer, vendor, 1, prefix="byraa", user_type=SystemUserType.AGENT)
    text = as_manager.get("/systemuser/", {"q": "finnes ikke"}).content.decode()
    assert "0 systemtilganger passer søket «finnes ikke»." in text
    assert "Ingen av virksomhetens systemtilganger passer søket." in text
    assert "Ingen systemtilganger for klienter passer søket." in text
    assert "Virksomheten har ingen systemtilganger ennå" not in text


def test_page_links_keep_the_search(as_manager, manager, customer, vendor):
    make_many(manager, customer, vendor, 30, prefix="lonn")
    make_many(manager, customer, vendor, 5, prefix="annet")
    text = as_manager.get("/systemuser/", {"q": "lonn"}).content.decode()
    assert 'href="?q=lonn&amp;page=2" rel="next"' in text
    second = as_manager.get("/systemuser/", {"q": "lonn", "page": 2}).content.decode()
    assert len(_rows(second, "standard")) == 5
    assert all(SystemUser.objects.get(pk=pk).integration_title.startswith("lonn") for pk in _rows(second, "standard"))


def test_the_live_search_answers_with_the_lists_and_the_count_only(as_manager, manager, customer, vendor):
    make_many(manager, customer, vendor, 3, prefix="lonn")
    make_many(manager, customer, vendor, 2, prefix="annet")
    response = as_manager.get("/systemuser/", {"q": "lonn"}, **HTMX)
    text = response.content.decode()
    assert "<html" not in text and "Forespørsler som venter på deg" not in text
    assert '<span id="su-count" hx-swap-oob="innerHTML">3 systemtilganger passer søket «lonn».</span>' in text
    assert len(_rows(text, "standard")) == 3
    assert "HX-Request" in response["Vary"]


def test_the_search_form_works_without_javascript(as_manager):
    text = as_manager.get("/systemuser/").content.decode()
    form = re.search(r'<form method="get" action="/systemuser/" role="search".*?</form>', text, re.S).group(0)
    assert 'name="q"' in form and 'type="submit"' in form
    assert 'id="su-count" role="status"' in text


@pytest.mark.parametrize("q", ["\x00", "lon\x00n"])
def test_a_nul_in_the_search_is_a_bad_request_page_and_live(as_manager, manager, customer, vendor, q):
    # Refused by portal.middleware.RefuseNulMiddleware (every portal page: tests/security/
    # test_review_unstorable_input.py), not quietly searched for something else.
    make_many(manager, customer, vendor, 2)
    for headers in ({}, HTMX):
        response = as_manager.get("/systemuser/", {"q": q}, **headers)
        assert response.status_code == 400 and "Ugyldig forespørsel" in response.content.decode()
    assert SystemUser.objects.count() == 2


@pytest.mark.parametrize("q", ["x" * 5000, "%", "_", "'; drop table x; --"])
def test_odd_search_text_is_harmless(as_manager, manager, customer, vendor, q):
    make_many(manager, customer, vendor, 2)
    response = as_manager.get("/systemuser/", {"q": q})
    assert response.status_code == 200
    assert SystemUser.objects.count() == 2


def test_a_client_administrator_searches_and_pages_the_client_list_only(client, client_admin, accounting_firm, vendor):
    boss = f.make_person("Regnskap Sjef")
    f.give_role(boss, "DAGL", accounting_firm)
    make_many(boss, accounting_firm, vendor, 26, prefix="klient", user_type=SystemUserType.AGENT)
    make_many(boss, accounting_firm, vendor, 2, prefix="egen")
    text = act_for(client, client_admin, accounting_firm).get("/systemuser/", {"agentpage": 2}).content.decode()
    assert len(_rows(text, "agent")) == 1 and _rows(text, "standard") == []
    searched = client.get("/systemuser/", {"q": "egen"}).content.decode()
    assert "0 systemtilganger passer søket «egen»." in searched


def test_a_page_far_back_looks_up_use_and_clients_for_its_own_rows_only(as_manager, manager, customer, vendor):
    """Numbered pages skip rows with OFFSET: the query that skips them must not also look up when each
    skipped system access was last used or count its clients (the page's 25 are read apart)."""
    make_many(manager, customer, vendor, 30)
    with CaptureQueriesContext(connection) as queries:
        page = as_manager.get("/systemuser/", {"page": 2}).content.decode()
    assert len(_rows(page, "standard")) == 5 and 'data-testid="last-used"' in page
    skipping = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"].upper()]
    assert skipping, "the second page is reached with OFFSET"
    assert not [sql for sql in skipping if "systemuserusage" in sql or "clientdelegation" in sql]
