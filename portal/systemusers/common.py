"""What the system-access views share: grants in plain words (portal.words)."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.utils.translation import gettext as _

from portal.words import ACTIONS, action_word
from registry.models import AccessPackage, Resource


def _rank(order: list[str], action: str) -> int:
    return order.index(action) if action in order else len(order)


@dataclass
class Grant:
    """One package or single right, in plain words: its name and what it lets the system do."""

    kind: str  # "package" or "right"
    name: str
    allows: list[str] = field(default_factory=list)
    package: str = ""
    resource: str = ""
    action: str = ""
    # (service title, the actions in words) for each service: what the page lists under the name.
    services: list[tuple[str, list[str]]] = field(default_factory=list)
    signs: bool = False  # may sign (send in on the organisation's behalf): the page says so plainly

    @property
    def key(self) -> str:
        """Tells two grants apart on one page (ids of confirmation slots)."""
        return self.package or f"{self.resource}-{self.action or 'all'}"


def package_grant(package) -> Grant:
    """A package and the services in our catalog it gives access to (needs policy_rules__resource
    prefetched). Services that cannot be delegated (the service owner's own case handling) are left
    out: a system never gets them through the package, and their names are not for businesses."""
    by_resource: dict[str, tuple[str, list[str]]] = {}
    order = list(ACTIONS)
    rules = sorted(package.policy_rules.all(), key=lambda r: (r.resource_id, _rank(order, r.action)))
    signs = False
    for rule in rules:
        if not rule.resource.delegable:
            continue
        signs = signs or rule.action == "sign"
        by_resource.setdefault(rule.resource_id, (rule.resource.title, []))[1].append(action_word(rule.action))
    services = list(by_resource.values())
    allows = [f"{title} ({', '.join(words)})" for title, words in services]
    return Grant("package", package.name, allows, package=package.code, services=services, signs=signs)


def right_grant(right) -> Grant:
    """A single right on a resource (SystemRight or SystemUserRight, with resource selected)."""
    resource = right.resource
    owner = f" – {resource.owner_name}" if resource.owner_name else ""
    words = action_word(right.action)
    allows = [_("Kan %(what)s i %(title)s") % {"what": words, "title": resource.title}]
    return Grant(
        "right",
        f"{resource.title}{owner}",
        allows,
        resource=resource.id,
        action=right.action,
        services=[(resource.title, [words])],
        signs=right.action in {"sign", "", "*"},
    )


def grants_for(packages: list[str], rights: list[dict]) -> list[Grant]:
    """Packages (codes) and rights (wire dicts: resource, action) as a request lists them, in plain
    words, the same way the details page shows what a system access has."""
    found = AccessPackage.objects.filter(code__in=packages).prefetch_related("policy_rules__resource")
    by_code = {p.code: p for p in found}
    grants = [package_grant(by_code[code]) for code in packages if code in by_code]
    resources = Resource.objects.in_bulk({r["resource"] for r in rights})
    for right in rights:
        resource = resources.get(right["resource"])
        if resource is not None:
            grants.append(right_grant(SimpleNamespace(resource=resource, action=right.get("action") or "")))
    return grants


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
