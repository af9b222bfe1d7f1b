"""Overview of the organisation's system accesses and pending requests."""

from django.shortcuts import render

from approvals.models import ChangeRequest, Request
from portal.systemusers.common import actor_required
from registry import access
from registry.models import SystemUser, SystemUserType


@actor_required
def overview(request):
    org = request.actor
    is_manager = access.is_access_manager(request.person, org)
    is_client_admin = access.is_client_admin(request.person, org)
    context = {"is_manager": is_manager, "is_client_admin": is_client_admin}
    if is_manager or is_client_admin:
        system_users = list(SystemUser.objects.for_overview(org))
        context["agent"] = [su for su in system_users if su.user_type == SystemUserType.AGENT]
        context["standard"] = [su for su in system_users if su.user_type == SystemUserType.STANDARD]
    if is_manager:
        context["requests"] = list(Request.objects.for_overview(org))
        context["change_requests"] = list(ChangeRequest.objects.for_overview(org))
    return render(request, "portal/systemusers/overview.html", context)
