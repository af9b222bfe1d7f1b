"""Overview of the organisation's system accesses (paged, searchable) and pending requests."""

from django.core.paginator import Page, Paginator

from approvals.models import ChangeRequest, Request
from portal.actor import authority
from portal.htmx import partial_or_page
from portal.systemusers.common import actor_required
from registry.models import SystemUser

PAGE_SIZE = 25
TEMPLATE = "portal/systemusers/overview.html"


@actor_required
def overview(request):
    org = request.actor
    rights = authority(request)
    is_manager, is_client_admin = rights.is_access_manager, rights.is_client_admin
    query = request.GET.get("q", "").strip()[:100]  # a NUL never gets here: portal.middleware.RefuseNulMiddleware
    context = {"is_manager": is_manager, "is_client_admin": is_client_admin, "q": query}
    if is_manager or is_client_admin:
        system_users = SystemUser.objects.for_overview(org, query)
        context["agent"] = _page(request, system_users.agent(), "agentpage")
        context["match_count"] = context["agent"].paginator.count
    if is_manager:
        context["standard"] = _page(request, system_users.standard(), "page")
        context["match_count"] += context["standard"].paginator.count
        context["requests"] = list(Request.objects.for_overview(org))
        context["change_requests"] = list(ChangeRequest.objects.for_overview(org))
        # An ordinary business has no system accesses for clients: no empty section about them (the
        # client administrator, who works with nothing else, always sees it).
        context["show_agent"] = (
            bool(context["agent"].paginator.count) or SystemUser.objects.live().owned_by(org).agent().exists()
        )
    else:
        context["show_agent"] = is_client_admin
    return partial_or_page(request, TEMPLATE, f"{TEMPLATE}#htmx-results", context)


def _page(request, system_users, param: str) -> Page:
    """One page of `system_users`; a page number that is not a number shows the first page, one past
    the end the last. `page.links` are the pagination links, keeping the search and the other list's page."""
    page = Paginator(system_users, PAGE_SIZE).get_page(request.GET.get(param))
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
