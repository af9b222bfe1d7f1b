"""The change-request page at its confirmUrl (CONTRACT §2.3) and its decision forms.

Like the request page (what they share lives in portal.approvals.pages): the link carries only the id;
everything shown and checked comes from the database and the person's current authority.
"""

import uuid

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from approvals import change_requests
from approvals.models import ChangeRequest
from lib.errors import ServiceError
from portal.access import person_required
from portal.approvals import pages
from registry.models import SystemUserType
from registry.wire import normalize_rights

SERVICES = {
    "approve": change_requests.approve_change_request,
    "reject": change_requests.reject_change_request,
}

CLIENTS_NAMED = 5


def _load(request, pk: uuid.UUID) -> ChangeRequest:
    return pages.access_decidable(request, change_requests.get_change_request(pk), "change request")


def _show(request, change_request: ChangeRequest, status: int = 200, failures=None, **extra):
    system_user = change_request.system_user
    is_agent = system_user.user_type != SystemUserType.STANDARD
    required_rights = normalize_rights(change_request.required_rights)
    context = pages.decision_context(
        request,
        change_request,
        packages=change_request.required_access_packages,
        rights=required_rights,
        delegates=not is_agent,
        failures=failures,
    )
    add_packages, add_rights = pages.grant_lists(change_request.required_access_packages, required_rights)
    unwanted = normalize_rights(change_request.unwanted_rights)
    remove_packages, remove_rights = pages.grant_lists(change_request.unwanted_access_packages, unwanted)
    context.update(
        cr=change_request,
        system_user=system_user,
        title=system_user.integration_title,
        is_agent=is_agent,
        add_packages=add_packages,
        add_rights=add_rights,
        remove_packages=remove_packages,
        remove_rights=remove_rights,
        **_clients_lacking(change_request, context["is_open"]),
        approve_url=reverse("approvals:changerequest_approve", args=[change_request.pk]),
        reject_url=reverse("approvals:changerequest_reject", args=[change_request.pk]),
        **extra,
    )
    return render(request, "approvals/change_request.html", context, status=status)


def _clients_lacking(change_request: ChangeRequest, is_open: bool) -> dict:
    """Clients that will not get an added package through this agent system user (yet): count, first names."""
    if not is_open:
        return {"lacking_count": 0, "lacking_clients": [], "lacking_more": 0}
    lacking = change_requests.clients_lacking_new_packages(change_request)
    shown, count = list(lacking[:CLIENTS_NAMED]), lacking.count()
    return {"lacking_count": count, "lacking_clients": shown, "lacking_more": count - len(shown)}


@person_required
@require_GET
def change_request_page(request):
    return pages.open_link(request, load=_load, show=_show)


@person_required
@require_POST
def decide(request, pk: uuid.UUID, decision: str):
    try:
        change_request = SERVICES[decision](pk, by=request.person, ip=request.META.get("REMOTE_ADDR"))
    except ServiceError as err:
        return pages.refused_decision(request, pk, err, load=_load, show=_show)
    return pages.after_decision(request, change_request, page_url(change_request))


def page_url(change_request: ChangeRequest) -> str:
    return f"{reverse('approvals:changerequest')}?id={change_request.pk}"
