"""portal.paging.counted_page: a page of a list, how many the filter keeps and how many there are in
all, in one query — and the same pages as Django's Paginator gives."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from portal.paging import counted_page
from registry.models import Organisation
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs():
    for i in range(7):
        f.make_org(f"Alfa {i} AS")
    for i in range(5):
        f.make_org(f"Beta {i} ASA")
    return Organisation.objects.filter(name__regex=r"^(Alfa|Beta) ").order_by("-name", "orgno")


def _names(page) -> list[str]:
    return [org.name for org in page.object_list]


def test_a_page_with_its_two_counts_is_one_query(orgs):
    with CaptureQueriesContext(connection) as queries:
        page = counted_page("2", orgs, size=3, shown=Q(name__startswith="Alfa"))
        names = _names(page)
    assert len(queries) == 1
    assert names == ["Alfa 3 AS", "Alfa 2 AS", "Alfa 1 AS"]  # the list's order (name descending), page 2
    assert (page.paginator.count, page.total, page.number, page.paginator.num_pages) == (7, 12, 2, 3)
    assert page.has_previous() and page.has_next()


def test_without_a_filter_every_row_is_shown(orgs):
    page = counted_page("1", orgs, size=5)
    assert _names(page) == ["Beta 4 ASA", "Beta 3 ASA", "Beta 2 ASA", "Beta 1 ASA", "Beta 0 ASA"]
    assert (page.paginator.count, page.total) == (12, 12)


@pytest.mark.parametrize("number", ["", "x", None, "2.5"])
def test_a_page_that_is_not_a_number_is_the_first(orgs, number):
    page = counted_page(number, orgs, size=5)
    assert page.number == 1 and _names(page)[0] == "Beta 4 ASA"


@pytest.mark.parametrize("number", ["4", "999", "0", "-1"])
def test_a_page_past_the_end_is_the_last(orgs, number):
    page = counted_page(number, orgs, size=5, shown=Q(name__startswith="Alfa"))
    assert page.number == 2 and _names(page) == ["Alfa 1 AS", "Alfa 0 AS"]
    assert (page.paginator.count, page.total) == (7, 12)


def test_nothing_shown_is_an_empty_first_page_with_the_whole_count(orgs):
    page = counted_page("3", orgs, size=5, shown=Q(name__startswith="Gamma"))
    assert page.number == 1 and _names(page) == [] and not page.has_other_pages()
    assert (page.paginator.count, page.total) == (0, 12)
