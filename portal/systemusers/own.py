"""The business's own integration ("Egenutviklet system"): register it with its key and the rights it
needs, and get its system access at once; then see how to get a token and manage its keys.

The work is done by `maskinporten.self_developed`; these views parse, check authority, call it and
say in the person's language what went wrong. A private key is never echoed back into the page.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from lib.errors import ServiceError
from maskinporten import self_developed as service
from maskinporten.clients import ClientInputError
from portal.access import MANAGE, NeedRights, access_system_user, actor_required
from portal.actor import authority
from portal.systemusers.common import client_ip
from portal.words import OWN_INTEGRATION_INPUT, action_word, error_text
from registry.models import AccessPackage, PolicyRule, Resource, SystemUser

MAX_KEY_BYTES = 20_000

# The form field each refused input (maskinporten.clients.ClientInputError.reason) belongs to.
INPUT_FIELDS = {
    "private_key": "key",
    "malformed": "key",
    "unsupported": "key",
    "too_short": "key",
    "key_in_use": "key",
    "kid_taken": "key",
    "kid_malformed": "key",
    "client_id_taken": "client_id",
    "client_id_malformed": "client_id",
    "name_missing": "name_nb",
    "no_grants": "grants",
    "nothing_new": "grants",
    "last_key": "keys",
    "key_not_found": "keys",
}


@dataclass
class Choice:
    value: str
    label: str
    hint: str = ""


def grant_choices(request) -> tuple[list[Choice], list[Choice]]:
    """(packages, rights) the person may delegate for the organisation and a system access may get."""
    delegable = [code for code, grant in authority(request).packages.items() if grant.can_delegate]
    packages = [
        Choice(p.code, p.name, p.area.name if p.area_id else "")
        for p in AccessPackage.objects.filter(code__in=delegable, assignable=True).select_related("area")
    ]
    rules = PolicyRule.objects.filter(package_id__in=delegable, resource__delegable=True)
    pairs = sorted(set(rules.values_list("resource_id", "action")))
    resources = Resource.objects.in_bulk({resource_id for resource_id, _ in pairs})
    rights = [
        Choice(f"{resource_id}|{action}", resources[resource_id].title, action_word(action))
        for resource_id, action in pairs
    ]
    return sorted(packages, key=lambda c: (c.hint, c.label)), sorted(rights, key=lambda c: (c.label, c.hint))


def _key_text(request) -> str:
    """The key from the upload, else from the text field."""
    upload = request.FILES.get("key_file")
    if upload is not None and upload.size:
        return upload.read(MAX_KEY_BYTES).decode("utf-8", errors="replace")
    return request.POST.get("public_key", "")[:MAX_KEY_BYTES]


def _input_error(error: ClientInputError) -> tuple[str, str]:
    text = OWN_INTEGRATION_INPUT.get(error.reason)
    return INPUT_FIELDS.get(error.reason, "form"), str(text) if text else error_text(error)[0]


def _rights(values: list[str]) -> list[dict]:
    rights = []
    for value in values:
        resource, sep, action = value.partition("|")
        if resource and sep:
            rights.append({"resource": resource[:200], "action": action[:50]})
    return rights


def _names(error: ServiceError) -> dict[str, str]:
    """Plain names for the packages and rights a refusal lists (they need not be among the choices)."""
    items = [str(getattr(item, "item", item)) for item in error.items]
    names = {p.code: p.name for p in AccessPackage.objects.filter(code__in=items)}
    pairs = [item.partition(":") for item in items if ":" in item]
    titles = {r.id: r.title for r in Resource.objects.filter(id__in=[p[0] for p in pairs])}
    for resource_id, _sep, action in pairs:
        if resource_id in titles:
            names[f"{resource_id}:{action}"] = f"{titles[resource_id]} ({action_word(action.strip('*'))})"
    return names


@sensitive_post_parameters("public_key")
@actor_required
@require_http_methods(["GET", "POST"])
def new(request):
    if not authority(request).is_access_manager:
        raise NeedRights()
    packages, rights = grant_choices(request)
    context = {"packages": packages, "rights": rights, "values": {}, "errors": {}}
    if request.method == "GET":
        return render(request, "portal/systemusers/own_new.html", context)
    post = request.POST
    values = {
        name: post.get(name, "").strip()[:300] for name in ("name_nb", "name_nn", "name_en", "description", "client_id")
    }
    values["packages"], values["rights"] = post.getlist("package")[:300], post.getlist("right")[:300]
    spec = service.OwnIntegration(
        name={"nb": values["name_nb"], "nn": values["name_nn"], "en": values["name_en"]},
        description={"nb": values["description"]},
        public_key=_key_text(request),
        client_id=values["client_id"],
        packages=values["packages"],
        rights=_rights(values["rights"]),
    )
    try:
        system_user = service.create_own_integration(
            by=request.person, org=request.actor, spec=spec, ip=client_ip(request)
        )
    except ClientInputError as error:
        field, text = _input_error(error)
        context["errors"], status = {field: text}, error.status
    except ServiceError as error:
        text, lines = error_text(error, _names(error))
        context["errors"], status = {"grants": text, "grant_lines": lines}, error.status
    else:
        messages.success(request, _("Systemtilgangen for %(name)s er opprettet.") % {"name": spec.name["nb"]})
        return redirect("systemusers:own_integration", pk=system_user.pk)
    context["values"] = values  # never the key: a private key pasted by mistake is not shown again
    return render(request, "portal/systemusers/own_new.html", context, status=status)


def _own_system_user(request, pk) -> SystemUser:
    """A live system access of the organisation acted for, for one of its self-developed systems, if the
    person is its access manager (portal.access: 404 for any other, the need-rights page if not)."""
    system_user = access_system_user(request, pk, may=MANAGE)
    if not system_user.system.is_self_developed:
        raise Http404("System access not found")
    return system_user


def _more_choices(request, system_user: SystemUser) -> tuple[list[Choice], list[Choice]]:
    """What the person may still give the integration: their choices less what it holds."""
    packages, rights = grant_choices(request)
    held = set(system_user.packages.values_list("package_id", flat=True))
    held |= {f"{resource_id}|{action}" for resource_id, action in system_user.rights.values_list("resource", "action")}
    return [c for c in packages if c.value not in held], [c for c in rights if c.value not in held]


def integration_context(request, system_user: SystemUser) -> dict:
    packages, rights = _more_choices(request, system_user)
    client = service.own_integration_client(system_user)
    keys = list(client.keys.order_by("retired_at", "-created")) if client else []
    used = service.last_used(system_user, client) if client else {}
    live = [key for key in keys if key.retired_at is None]
    return {
        "su": system_user,
        "client": client,
        "keys": [(key, used.get(key.kid)) for key in keys],
        "live_keys": len(live),
        "recipe": service.token_recipe(system_user, client, live[0]) if client and live else None,
        "packages": packages,
        "rights": rights,
        "values": {},
        "errors": {},
    }


@actor_required
def integration(request, pk):
    system_user = _own_system_user(request, pk)
    return render(request, "portal/systemusers/own_integration.html", integration_context(request, system_user))


@sensitive_post_parameters("public_key")
@actor_required
@require_POST
def add_key(request, pk):
    system_user = _own_system_user(request, pk)
    try:
        key = service.add_key(
            by=request.person, system_user=system_user, public_key=_key_text(request), ip=client_ip(request)
        )
    except ClientInputError as error:
        context = integration_context(request, system_user)
        context["errors"] = {"key": _input_error(error)[1]}
        return render(request, "portal/systemusers/own_integration.html", context, status=400)
    except ServiceError as error:
        messages.error(request, error_text(error)[0])
    else:
        messages.success(request, _("Nøkkelen %(kid)s er lagt til.") % {"kid": key.kid})
    return redirect("systemusers:own_integration", pk=system_user.pk)


@actor_required
@require_POST
def remove_key(request, pk, key_id):
    system_user = _own_system_user(request, pk)
    try:
        key = service.remove_key(by=request.person, system_user=system_user, key_id=key_id, ip=client_ip(request))
    except ClientInputError as error:
        messages.error(request, _input_error(error)[1])
    except ServiceError as error:
        messages.error(request, error_text(error)[0])
    else:
        text = _("Nøkkelen %(kid)s er fjernet. Token som signeres med den, blir avvist fra nå av.") % {"kid": key.kid}
        messages.success(request, text)
    return redirect("systemusers:own_integration", pk=system_user.pk)


@actor_required
@require_POST
def add_grants(request, pk):
    system_user = _own_system_user(request, pk)
    packages, rights = request.POST.getlist("package")[:300], request.POST.getlist("right")[:300]
    try:
        service.add_grants(
            by=request.person, system_user=system_user, packages=packages, rights=_rights(rights), ip=client_ip(request)
        )
    except ClientInputError as error:
        errors, status = {"grants": _input_error(error)[1]}, error.status
    except ServiceError as error:
        text, lines = error_text(error, _names(error))
        errors, status = {"grants": text, "grant_lines": lines}, error.status
    else:
        messages.success(request, _("Systemtilgangen har fått de nye rettighetene."))
        return redirect("systemusers:own_integration", pk=system_user.pk)
    context = integration_context(request, system_user)
    context["errors"], context["values"] = errors, {"packages": packages, "rights": rights}
    return render(request, "portal/systemusers/own_integration.html", context, status=status)
