"""One page of a list a person pages through: at most `size` rows, whatever the data, with its links."""

from django.core.paginator import Page, Paginator


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
