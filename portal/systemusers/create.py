"""End-user-driven creation: choose a registered system, see what it will get, confirm."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lib.errors import ServiceError
from portal.access import NeedRights, actor_required
from portal.actor import authority
from portal.htmx import partial_or_page
from portal.systemusers.common import client_ip, package_grant, right_grant
from portal.words import error_text
from registry.models import RegisteredSystem
from registry.services.system_users import create_system_user

SHOWN_SYSTEMS = 50


@actor_required
def choose_system(request):
    if not authority(request).is_access_manager:
        raise NeedRights()
    query = request.GET.get("q", "").strip()[:100]
    systems = list(RegisteredSystem.objects.for_creation(request.actor, query)[: SHOWN_SYSTEMS + 1])
    context = {"systems": systems[:SHOWN_SYSTEMS], "more": len(systems) > SHOWN_SYSTEMS, "q": query}
    page = "portal/systemusers/create.html"
    return partial_or_page(request, page, f"{page}#results", context)


def _fingerprint(system) -> str:
    """What the person was shown; if the system's rights change before they confirm, they look again."""
    items = [p.package_id for p in system.packages.all()] + [f"{r.resource_id}:{r.action}" for r in system.rights.all()]
    return "|".join(sorted(items))


def _names(grants) -> dict[str, str]:
    names = {g.package: g.name for g in grants if g.package}
    return names | {f"{g.resource}:{g.action or '*'}": g.name for g in grants if g.resource}


def _precheck(request, system, grants) -> tuple[str, list[str]]:
    """Tell the person before they confirm what they may not delegate (the service checks again)."""
    failures = authority(request).delegation_check(
        packages=[sp.package_id for sp in system.packages.all()],
        rights=[{"resource": r.resource_id, "action": r.action} for r in system.rights.all()],
    )
    if not failures:
        return "", []
    return error_text(ServiceError("AUTH-00053", "", items=failures), _names(grants))


@actor_required
@require_http_methods(["GET", "POST"])
def confirm(request, system_uuid):
    if not authority(request).is_access_manager:
        raise NeedRights()
    systems = RegisteredSystem.objects.for_creation(request.actor).with_grants()
    system = get_object_or_404(systems, pk=system_uuid)
    grants = [package_grant(sp.package) for sp in system.packages.all()]
    grants += [right_grant(r) for r in system.rights.all()]
    context = {"system": system, "grants": grants, "fingerprint": _fingerprint(system)}
    if request.method == "GET":
        context["error"], context["error_lines"] = _precheck(request, system, grants)
        return render(request, "portal/systemusers/confirm.html", context)
    if request.POST.get("fingerprint") != context["fingerprint"]:
        context["error"] = _("Systemet har fått endrede rettigheter siden du så på det. Se over på nytt.")
        return render(request, "portal/systemusers/confirm.html", context, status=409)
    if not grants:
        context["error"] = _("Systemet ber ikke om noen rettigheter, så det er ingenting å opprette.")
        return render(request, "portal/systemusers/confirm.html", context, status=400)
    try:
        system_user = create_system_user(
            by=request.person,
            party=request.actor,
            system=system,
            packages=[sp.package_id for sp in system.packages.all()],
            rights=[{"resource": r.resource_id, "action": r.action} for r in system.rights.all()],
            ip=client_ip(request),
        )
    except ServiceError as error:
        context["error"], context["error_lines"] = error_text(error, _names(grants))
        return render(request, "portal/systemusers/confirm.html", context, status=error.status)
    messages.success(request, _("Systemtilgangen for %(system)s er opprettet.") % {"system": system.display_name})
    return redirect("systemusers:details", pk=system_user.pk)
