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
        system_users = SystemUser.objects.for_overview(org, query).with_last_used()
        agents = system_users.agent().annotate(client_count=Count("client_delegations"))
        context["agent"] = _page(request, agents, "agentpage")
        context["match_count"] = context["agent"].paginator.count
    if is_manager:
        context["standard"] = _page(request, system_users.standard(), "page")
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


def _page(request, system_users, param: str) -> Page:
    return page_of(request, system_users, param, size=PAGE_SIZE)
