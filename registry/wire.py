"""Rights and access packages in the wire shape of CONTRACT §2, read and written in one place.

On the wire a right is `{"action": null | "read" | …, "resource": [{"id": "urn:altinn:resource",
"value": "<resource id>"}]}` and a package is its URN `urn:altinn:accesspackage:<code>`. Inside we
keep a right as `{"resource": "<resource id>", "action": "" | "read" | …}` ("" is every action) and a
package as its code. Registering a system, a vendor's request and a change request all read them here,
so the same body means the same thing in each.
"""

from lib.errors import ServiceError
from registry.models import AccessPackage, Resource

RESOURCE_ATTRIBUTE = Resource.URN_ATTRIBUTE
PACKAGE_PREFIX = AccessPackage.URN_PREFIX


def right_key(right: dict) -> tuple[str, str] | None:
    """(resource id, action) of a wire right, or None when it has not exactly one `urn:altinn:resource`
    attribute with a value."""
    # The same attribute twice is the one attribute: Altinn's own example for PUT …/rights sends that.
    attributes = list({(a.get("id"), a.get("value")): a for a in right.get("resource") or []}.values())
    if len(attributes) != 1 or attributes[0].get("id") != RESOURCE_ATTRIBUTE or not attributes[0].get("value"):
        return None
    return attributes[0]["value"], right.get("action") or ""


def package_code(urn: str) -> str | None:
    """The code of a package URN, or None when it is not `urn:altinn:accesspackage:<code>`."""
    return urn[len(PACKAGE_PREFIX) :] if urn.startswith(PACKAGE_PREFIX) and len(urn) > len(PACKAGE_PREFIX) else None


def normalize_rights(rights: list[dict]) -> list[dict]:
    """[{"resource": id, "action": "" or action}] without duplicates, in a stable order."""
    seen = {(r["resource"], r.get("action") or "") for r in rights}
    return [{"resource": res, "action": act} for res, act in sorted(seen)]


def requested_rights(wire: list[dict]) -> list[dict]:
    """The rights a request or change request asks for, normalised; a right that names no single
    resource is AUTH-00001 (as a right the system does not have)."""
    keys = [right_key(right) for right in wire]
    if None in keys:
        raise ServiceError("AUTH-00001", "A right must name one resource with the id urn:altinn:resource")
    return normalize_rights([{"resource": resource, "action": action} for resource, action in keys])


def requested_packages(urns: list[str]) -> list[str]:
    """The package codes a request or change request asks for, sorted and without duplicates; a URN
    that is no package URN is AUTH-00063 (as a package the system does not have)."""
    bad = [urn for urn in urns if package_code(urn) is None]
    if bad:
        raise ServiceError("AUTH-00063", "The system does not have these packages: " + ", ".join(bad), items=bad)
    return sorted({package_code(urn) for urn in urns})


def wire_right(resource_id: str, action: str) -> dict:
    return {"action": action or None, "resource": [{"id": RESOURCE_ATTRIBUTE, "value": resource_id}]}


def package_urn(code: str) -> str:
    return PACKAGE_PREFIX + code
