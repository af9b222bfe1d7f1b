"""Overview of the organisation's system accesses (paged, searchable) and pending requests."""

from django.core.paginator import Page
from django.db.models import Count

from approvals.models import ChangeRequest, Request
from portal.access import actor_required
from portal.actor import authority, new_since
from portal.htmx import partial_or_page
from portal.paging import page_of
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
        agents = system_users.agent()
        context["agent"] = _accesses(request, agents, "agentpage", client_count=Count("client_delegations"))
        context["match_count"] = context["agent"].paginator.count
    if is_manager:
        context["standard"] = _accesses(request, system_users.standard(), "page")
        context["match_count"] += context["standard"].paginator.count
        # Pending requests come in pages too: a big organisation may have hundreds waiting.
        context["requests"] = _page(request, Request.objects.for_overview(org), "foresporsler")
        context["change_requests"] = _page(request, ChangeRequest.objects.for_overview(org), "endringer")
        context["new_since"] = new_since(request)  # what arrived after the person's previous visit is new
        # An ordinary business has no system accesses for clients: no empty section about them (the
        # client administrator, who works with nothing else, always sees it).
        context["show_agent"] = (
            bool(context["agent"].paginator.count) or SystemUser.objects.live().owned_by(org).agent().exists()
        )
    else:
        context["show_agent"] = is_client_admin
    return partial_or_page(request, TEMPLATE, f"{TEMPLATE}#htmx-results", context)


def _page(request, items, param: str) -> Page:
    return page_of(request, items, param, size=PAGE_SIZE)


def _accesses(request, system_users, param: str, **counts) -> Page:
    """A numbered page of system accesses, with when each was last used (and `counts`) read for the
    page's rows only, in one query: a page far back is reached with OFFSET, and the database would
    otherwise look them up for every row it skips (1,000 system accesses: 90 ms for the last page)."""
    page = _page(request, system_users, param)
    rows = list(page.object_list)
    if rows:
        extras = SystemUser.objects.filter(pk__in=[row.pk for row in rows]).with_last_used().annotate(**counts)
        found = {e["pk"]: e for e in extras.values("pk", "last_used_at", *counts)}
        for row in rows:
            for name, value in found[row.pk].items():
                setattr(row, name, value)
    page.object_list = rows
    return page
