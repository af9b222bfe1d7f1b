"""The change-request page at its confirmUrl (CONTRACT §2.3) and its decision forms.

Like the request page: the link carries only the id; everything shown and checked comes from the
database and the person's current authority.
"""

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from approvals import change_services
from approvals.models import ChangeRequest, RequestStatus
from approvals.views import REASONS, _act_for, _action, _parse_id, _refusal, _right_rows, allowed_redirect
from registry import access
from registry.errors import ServiceError
from registry.models import AccessPackage, Resource, SystemUserType
from registry.services.system_users import normalize_rights

SERVICES = {
    "approve": change_services.approve_change_request,
    "reject": change_services.reject_change_request,
}


def _packages(codes: list[str]):
    return AccessPackage.objects.filter(code__in=codes).order_by("name_nb")


def _failure_rows(failures, change_request: ChangeRequest) -> list[dict]:
    if not failures:
        return []
    names = {p.code: p.name for p in _packages(change_request.required_access_packages)}
    resources = {r["resource"] for r in change_request.required_rights}
    titles = {r.id: r.title for r in Resource.objects.filter(id__in=resources)}
    rows = []
    for failure in failures:
        if failure.kind == "package":
            name = _("Tilgangspakken «%(name)s»") % {"name": names.get(failure.item, failure.item)}
        else:
            resource, _sep, action = failure.item.rpartition(":")
            name = _("Rettigheten «%(title)s»: %(action)s") % {
                "action": _action("" if action == "*" else action),
                "title": titles.get(resource, resource),
            }
        rows.append({"name": name, "reason": REASONS.get(failure.reason, failure.reason)})
    return rows


def _context(request, change_request: ChangeRequest, **extra) -> dict:
    system_user = change_request.system_user
    party = system_user.owner
    is_open = change_request.status == RequestStatus.NEW and not change_request.timed_out
    is_manager = access.is_access_manager(request.person, party)
    is_agent = system_user.user_type != SystemUserType.STANDARD
    required_rights = normalize_rights(change_request.required_rights)
    failures = []
    if is_open and is_manager and not is_agent:
        failures = access.delegation_check(
            request.person, party, packages=change_request.required_access_packages, rights=required_rights
        )
    return {
        "cr": change_request,
        "system_user": system_user,
        "vendor": system_user.system.vendor,
        "system": system_user.system,
        "party": party,
        "add_packages": _packages(change_request.required_access_packages),
        "add_rights": _right_rows(required_rights),
        "remove_packages": _packages(change_request.unwanted_access_packages),
        "remove_rights": _right_rows(normalize_rights(change_request.unwanted_rights)),
        "is_open": is_open,
        "is_agent": is_agent,
        "state": "timedout" if change_request.timed_out else change_request.status,
        "can_decide": is_open and is_manager,
        "can_approve": is_open and is_manager and not failures and not is_agent,
        "failures": _failure_rows(failures, change_request),
        **extra,
    }


@login_required
@require_GET
def change_request_page(request):
    if request.person is None:
        return render(request, "portal/no_person.html", status=403)
    change_request_id = _parse_id(request.GET.get("id"))
    try:
        if change_request_id is None:
            raise ServiceError("AUTH-00010", "The change request was not found", status=404)
        change_request = change_services.get_change_request(change_request_id)
        change_services.check_may_act_for(change_request, request.person)
    except ServiceError as err:
        return _refusal(request, err)
    switched = _act_for(request, change_request.system_user.owner)
    return render(request, "approvals/change_request.html", _context(request, change_request, switched=switched))


@login_required
@require_POST
def decide(request, pk: uuid.UUID, decision: str):
    if request.person is None:
        return render(request, "portal/no_person.html", status=403)
    try:
        change_request = SERVICES[decision](pk, by=request.person, ip=request.META.get("REMOTE_ADDR"))
    except ServiceError as err:
        return _error_page(request, pk, err)
    target = allowed_redirect(change_request.redirect_url, change_request.system_user.system)
    return redirect(target or page_url(change_request))


def _error_page(request, pk: uuid.UUID, err: ServiceError) -> HttpResponse:
    try:
        change_request = change_services.get_change_request(pk)
        change_services.check_may_act_for(change_request, request.person)
    except ServiceError as refusal:
        return _refusal(request, refusal)
    context = _context(request, change_request, error_code=err.code)
    if err.code == "AUTH-00053":
        context["failures"] = _failure_rows(err.items, change_request)
    return render(request, "approvals/change_request.html", context, status=err.status)


def page_url(change_request: ChangeRequest) -> str:
    return f"{reverse('approvals:changerequest')}?id={change_request.pk}"
