"""One page of a list a person pages through: at most `size` rows, whatever the data, with its links.
Numbered pages for lists (page_of), windows for logs read newest first (window_of)."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet


def page_of(request, items, param: str, *, size: int) -> Page:
    """One page of `items`; a page number that is not a number shows the first page, one past the end
    the last. `page.links` are the numbered links (elided), `previous_href`/`next_href` the neighbours;
    every link keeps the rest of the query string (a search, another list's page)."""
    page = Paginator(items, size).get_page(request.GET.get(param))
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    page.links = [_link(request, param, n, current=n == page.number) for n in numbers]
    page.previous_href = _href(request, param, page.number - 1) if page.has_previous() else ""
    page.next_href = _href(request, param, page.number + 1) if page.has_next() else ""
    return page


def _link(request, param: str, number, *, current: bool) -> dict:
    if number == Paginator.ELLIPSIS:
        return {"ellipsis": True}
    return {"number": number, "href": _href(request, param, number), "current": current}


def _href(request, param: str, number: int) -> str:
    params = request.GET.copy()
    params[param] = str(number)
    return "?" + params.urlencode()


@dataclass
class Window:
    """A page of a log read newest first, found by where it starts rather than by its number: every page
    costs one index range, however far back, and no count of the whole log. Links are "" when there is
    nothing that way."""

    rows: list
    newer_href: str = ""
    older_href: str = ""
    newest_href: str = ""


def window_of(request, items: QuerySet, *, size: int, older: str = "eldre", newer: str = "nyere") -> Window:
    """`size` rows of `items` (newest first by `at`, then primary key) older than the `older` mark, or
    newer than the `newer` one; without a mark (or with one that is not a mark) the newest."""
    before, after = _mark(request.GET.get(older)), _mark(request.GET.get(newer))
    if after is not None:
        at, pk = after
        rows = list(items.filter(at__gte=at).filter(Q(at__gt=at) | Q(pk__gt=pk)).order_by("at", "pk")[: size + 1])
        if len(rows) > size:  # still newer ones above: a page in the middle
            rows = rows[:size][::-1]
            return _window(request, rows, older, newer, has_newer=True, has_older=True)
        before = None  # the newest rows: the first page, whole
    if before is not None:
        at, pk = before
        page = items.filter(at__lte=at).filter(Q(at__lt=at) | Q(pk__lt=pk)).order_by("-at", "-pk")
        rows = list(page[: size + 1])
        return _window(request, rows[:size], older, newer, has_newer=True, has_older=len(rows) > size)
    rows = list(items.order_by("-at", "-pk")[: size + 1])
    return _window(request, rows[:size], older, newer, has_newer=False, has_older=len(rows) > size)


def _window(request, rows: list, older: str, newer: str, *, has_newer: bool, has_older: bool) -> Window:
    params = request.GET.copy()
    params.pop(older, None)
    params.pop(newer, None)

    def href(name: str, row) -> str:
        return "?" + urlencode([*params.lists(), (name, [f"{row.at.isoformat()}_{row.pk}"])], doseq=True)

    window = Window(rows)
    if rows and has_newer:
        window.newer_href = href(newer, rows[0])
        window.newest_href = "?" + params.urlencode()
    if rows and has_older:
        window.older_href = href(older, rows[-1])
    return window


def _mark(value: str | None) -> tuple[datetime, int] | None:
    """`<ISO time>_<id>` as the links write it, else None (a hand-made or old link shows the newest)."""
    at, _, pk = (value or "").rpartition("_")
    try:
        when = datetime.fromisoformat(at)
        number = int(pk)
    except ValueError:
        return None
    if when.tzinfo is None or not 0 < number < 2**63:
        return None
    return when, number
