"""One page of a list a person pages through: at most `size` rows, whatever the data, with its links.
Numbered pages for lists (page_of), windows for logs read newest first (window_of)."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db import connection, models
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Value


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


def counted_page(number, items: QuerySet, *, size: int, shown: Q | None = None) -> Page:
    """Page `number` of `items` narrowed by `shown` (a search, a filter), as `Paginator.get_page` gives it
    (not a number: the first page; past the end: the last), with `page.total` the number of `items`
    before narrowing — counted in the same query as the page's rows (window counts over the list, then
    the page cut from it), not by a count and then the page: for a list that costs something to find
    (a firm's clients, the eligibility rule in the database) that is one pass over its rows instead of
    two. `items` is ordered by its own fields or annotations. A second query only when the page is empty
    (nothing matches, or past the end)."""
    shown = shown or Q()
    paginator = Paginator(items.filter(shown), size)
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        wanted = 1
    rows = _counted_rows(items, shown, offset=(wanted - 1) * size, limit=size) if wanted >= 1 else []
    if rows:
        paginator.count, total = rows[0].counted_shown, rows[0].counted_total
        page = Page(rows, wanted, paginator)
    else:  # nothing on it: count, then the page Paginator picks (the last one, or an empty first)
        counts = items.aggregate(total=Count("pk"), shown=Count("pk", filter=shown) if shown else Count("pk"))
        paginator.count, total = counts["shown"], counts["total"]
        page = paginator.get_page(number)
    page.total = total
    return page


def _counted_rows(items: QuerySet, shown: Q, *, offset: int, limit: int) -> list:
    """`limit` rows of `items` where `shown` holds, from `offset`, each with `counted_total` (every row of
    `items`) and `counted_shown` (those `shown` keeps): one query."""
    model = items.model
    if shown:  # the inner query counts every row, the outer the ones `shown` keeps (looked at once a row)
        base = items.order_by().annotate(
            counted_total=models.Window(Count("pk")),
            counted_row=ExpressionWrapper(shown, output_field=BooleanField()),
        )
    else:  # every row shown: one count is both
        base = items.order_by().annotate(counted_total=Value(0), counted_row=Value(True))
    inner, params = base.query.sql_with_params()
    order = []
    for name in items.query.order_by:
        field = name.lstrip("-")
        column = model._meta.get_field(field).column if field not in items.query.annotations else field
        order.append(connection.ops.quote_name(column) + (" DESC" if name.startswith("-") else ""))
    sql = (
        f"SELECT *, COUNT(*) OVER () AS counted_shown FROM ({inner}) counted WHERE counted_row "
        f"ORDER BY {', '.join(order)} LIMIT %s OFFSET %s"
    )
    rows = list(model.objects.raw(sql, (*params, limit, offset)))
    for row in rows if not shown else ():
        row.counted_total = row.counted_shown
    return rows


COUNT_BOUND = 100  # a walked list is counted this far ("over 100"), a page beyond it as far as the page


def walked_page(number, items: QuerySet, *, size: int, shown: Q | None = None, bound: int = COUNT_BOUND) -> Page:
    """Page `number` of `items` narrowed by `shown`, for a list ordered by an index it can be read along
    (a firm's clients, `registry.listings`): the page is the rows at its offset, and the counts stop
    at `bound`, so a page and its counts cost the same for a list of 200 and of 20,000 — the window
    counts of `counted_page` would read all of them. `page.paginator.count` counts what `shown` keeps up
    to `bound` or the end of the next page, whichever is further (`page.shown_over`: there are more than
    that, `page.shown_at_least` then the number to name), so "next" is right on every page; `page.total`
    counts all of `items` up to `bound` (`page.total_over`). Not a number: the first page; past the end:
    the last."""
    matching = items.filter(shown) if shown else items
    try:
        wanted = max(1, int(number))
    except (TypeError, ValueError):
        wanted = 1
    limit = max(bound, wanted * size) + 1
    counted = matching[:limit].count()
    total = counted if not shown else items[: bound + 1].count()
    paginator = Paginator(matching, size)
    paginator.count = counted  # what was counted: a page after it is the last one (Paginator.get_page)
    page = paginator.get_page(wanted)
    page.shown_over, page.shown_at_least = counted == limit, limit - 1
    page.total_over, page.total = total > bound, min(total, bound)
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
