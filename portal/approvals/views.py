"""The request pages at the confirmUrl paths (CONTRACT §2.2): parse → access → service → render.

What they share with the change-request page (login, the link, act-for, refusals, who may decide)
lives in portal.approvals.pages.
"""

import uuid

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from approvals import system_user_requests
from approvals.models import Request, RequestKind, RequestStatus
from lib.errors import ServiceError
from portal.access import person_required
from portal.approvals import pages
from registry.models import SystemUser

SERVICES = {
    "approve": system_user_requests.approve_request,
    "reject": system_user_requests.reject_request,
    "escalate": system_user_requests.escalate_request,
}


def _load(request, pk: uuid.UUID, kind: str | None = None) -> Request:
    return pages.access_decidable(request, system_user_requests.get_request(pk, kind=kind), "request")


def _show(request, request_obj: Request, status: int = 200, failures=None, **extra):
    context = pages.decision_context(
        request,
        request_obj,
        packages=request_obj.access_packages,
        rights=request_obj.rights,
        delegates=request_obj.kind == RequestKind.STANDARD,
        failures=failures,
    )
    is_manager, blocked = context["is_manager"], bool(context["failures"])
    packages, rights = pages.grant_lists(request_obj.access_packages, request_obj.rights)
    context.update(
        req=request_obj,
        title=request_obj.integration_title,
        is_agent=request_obj.kind == RequestKind.AGENT,
        packages=packages,
        rights=rights,
        escalated=request_obj.escalated,
        offers_escalation=True,
        can_escalate=context["is_open"] and not request_obj.escalated and (not is_manager or blocked),
        approve_url=reverse("approvals:approve", args=[request_obj.pk]),
        reject_url=reverse("approvals:reject", args=[request_obj.pk]),
        escalate_url=reverse("approvals:escalate", args=[request_obj.pk]),
        # Approval made a system user with the request's id: link it while it lives (the way onward).
        created_system_user=SystemUser.objects.live().filter(pk=request_obj.pk).first()
        if request_obj.status == RequestStatus.ACCEPTED
        else None,
        **extra,
    )
    return render(request, "approvals/request.html", context, status=status)


@person_required
@require_GET
def request_page(request, kind: str):
    return pages.open_link(request, load=lambda request, pk: _load(request, pk, kind), show=_show)


@person_required
@require_POST
def decide(request, pk: uuid.UUID, decision: str):
    try:
        request_obj = SERVICES[decision](request_id=pk, by=request.person, ip=request.META.get("REMOTE_ADDR"))
    except ServiceError as err:
        return pages.refused_decision(request, pk, err, load=_load, show=_show)
    if decision == "escalate":
        # The page says it is forwarded (its "escalated" box); a message as well would say it twice.
        return redirect(page_url(request_obj))
    return pages.after_decision(request, request_obj, page_url(request_obj))


def page_url(request_obj: Request) -> str:
    name = "approvals:agentrequest" if request_obj.kind == RequestKind.AGENT else "approvals:request"
    return f"{reverse(name)}?id={request_obj.pk}"
