"""The catalog file: access packages and resources with their policies (CONTRACT §5).

Packages in the file add to or update the built-in ones (only the fields given are changed). A
resource in the file replaces the stored resource with that id, policy included.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from registry import audit
from registry.catalog import save_resources
from registry.importers.common import (
    Checker,
    Counts,
    Fields,
    InvalidImport,
    Summary,
    action_problem,
    package_code_problem,
    resource_id_problem,
    run_import,
    type_name,
)
from registry.models import AccessPackage, Area, PolicyRule, Resource

RESOURCE_URN_PREFIX = "urn:altinn:resource:"
ENTITY_TYPES = ("Organization", "Person")


@dataclass
class CatalogRows:
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> model fields given
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> save_resources() shape


def _names_into(row: dict, check: Checker, f: Fields, name: str, prefix: str, max_length: int) -> None:
    # Only the languages given: an update keeps the other translations (a new package fills them from nb).
    names = check.names(f, name, max_length=max_length, fill=False)
    if names is not None:
        row.update({f"{prefix}_{lang}": text for lang, text in names.items()})


def _read_package(
    check: Checker, f: Fields, codes: set[str], urns: dict[str, str], areas: set[str]
) -> tuple[str, dict] | None:
    """One package entry → (code, model fields given), or None after noting its problems."""
    before = len(check.problems)
    code = check.string(f, "code", max_length=100)
    if code and package_code_problem(code):
        check.add(f.at("code"), package_code_problem(code), f.line_of("code"))
    row: dict[str, Any] = {}
    if "name" in f.values:
        _names_into(row, check, f, "name", "name", 200)
    elif code and code not in codes:
        check.add(f.at("name"), "missing field (needed for a new package)", f.line)
    if "description" in f.values:
        _names_into(row, check, f, "description", "description", 5000)
    if "area" in f.values:
        area = f.values["area"]
        if area is not None and (not isinstance(area, str) or area not in areas):
            shown = repr(area) if isinstance(area, str) else type_name(area)
            check.add(f.at("area"), f"unknown area {shown}", f.line_of("area"))
        row["area_id"] = area
    for flag in ("delegable", "assignable"):
        if flag in f.values:
            row[flag] = check.boolean(f, flag)
    if "entityType" in f.values:
        row["entity_type"] = f.values["entityType"]
        if row["entity_type"] not in ENTITY_TYPES:
            check.add(f.at("entityType"), f"must be one of {', '.join(ENTITY_TYPES)}", f.line_of("entityType"))
    urn = None
    if "urn" in f.values:
        urn = check.string(f, "urn", max_length=200)
        if urn and not urn.startswith(AccessPackage.URN_PREFIX):
            check.add(f.at("urn"), f"must start with {AccessPackage.URN_PREFIX}", f.line_of("urn"))
    elif code and code not in codes:
        urn = AccessPackage.URN_PREFIX + code
    if urn and urns.get(urn, code) != code:
        check.add(
            f.at("urn") if "urn" in f.values else f.at("code"),
            f"the URN {urn} belongs to package {urns[urn]!r}",
            f.line_of("urn"),
        )
    elif urn:
        row["urn"] = urn
    if len(check.problems) != before or not code:
        return None
    return code, row


def _read_packages(check: Checker, top: Fields, rows: CatalogRows) -> None:
    urns = dict(AccessPackage.objects.values_list("urn", "code"))
    codes = set(urns.values())
    areas = set(Area.objects.values_list("code", flat=True))
    seen: dict[str, str] = {}
    optional = ("name", "description", "area", "delegable", "assignable", "entityType", "urn")
    for path, line, entry in check.items(top, "packages"):
        f = check.fields(entry, path, line, required=("code",), optional=optional)
        if f is None or "code" not in f.values:
            continue
        read = _read_package(check, f, codes, urns, areas)
        if read is None:
            continue
        code, row = read
        if code in seen:
            check.add(f.at("code"), f"package {code!r} is also at {seen[code]}", f.line_of("code"))
            continue
        seen[code] = path
        rows.packages[code] = row
        if "urn" in row:
            urns[row["urn"]] = code


def _read_policy(check: Checker, f: Fields, packages: set[str]) -> dict[str, list[str]] | None:
    policy = f.values.get("policy")
    path, line = f.at("policy"), f.line_of("policy")
    if not isinstance(policy, dict):
        check.add(path, f"must be an object (package code → list of actions), got {type_name(policy)}", line)
        return None
    if not policy:
        check.add(path, "must name at least one package", line)
        return None
    result: dict[str, list[str]] = {}
    for key, actions in policy.items():
        code = key.removeprefix(AccessPackage.URN_PREFIX)
        at = f"{path}.{key}"
        line_of_key = policy.line_of(key) if hasattr(policy, "line_of") else line
        if code not in packages:
            check.add(at, f"unknown access package {key!r}", line_of_key)
        if not isinstance(actions, list) or not actions:
            got = "an empty list" if actions == [] else type_name(actions)
            check.add(at, f"must be a non-empty list of actions, got {got}", line_of_key)
            continue
        for i, action in enumerate(actions):
            problem = action_problem(action)
            if problem:
                check.add(f"{at}[{i}]", problem, line_of_key)
        if code in result:
            check.add(at, f"package {code!r} is named twice", line_of_key)
        result[code] = sorted({a.strip() for a in actions if isinstance(a, str)})
    return result


def _read_resources(check: Checker, top: Fields, rows: CatalogRows) -> None:
    packages = set(AccessPackage.objects.values_list("code", flat=True)) | set(rows.packages)
    seen: dict[str, str] = {}
    for path, line, entry in check.items(top, "resources"):
        f = check.fields(
            entry,
            path,
            line,
            required=("id", "title", "owner", "policy"),
            optional=("ownerName", "delegable"),
        )
        if f is None or "id" not in f.values:
            continue
        before = len(check.problems)
        resource_id = check.string(f, "id", max_length=200 + len(RESOURCE_URN_PREFIX))
        resource_id = resource_id.removeprefix(RESOURCE_URN_PREFIX) if resource_id else None
        if resource_id and resource_id_problem(resource_id):
            check.add(f.at("id"), resource_id_problem(resource_id), f.line_of("id"))
        if resource_id and resource_id in seen:
            check.add(f.at("id"), f"resource {resource_id!r} is also at {seen[resource_id]}", f.line_of("id"))
        title = check.names(f, "title", max_length=300) if "title" in f.values else None
        owner = check.orgno(f, "owner") if "owner" in f.values else None
        owner_name = check.string(f, "ownerName", max_length=200, allow_empty=True) if "ownerName" in f.values else ""
        delegable = check.boolean(f, "delegable") if "delegable" in f.values else True
        policy = _read_policy(check, f, packages) if "policy" in f.values else None
        if len(check.problems) != before or not resource_id:
            continue
        seen[resource_id] = path
        rows.resources[resource_id] = {
            "id": resource_id,
            "title": title,
            "owner": owner,
            "ownerName": owner_name,
            "delegable": delegable,
            "policy": policy,
        }


def validate_catalog(data: Any) -> CatalogRows:
    """Check a catalog document (CONTRACT §5); raises InvalidImport naming every problem."""
    check = Checker()
    top = check.fields(data, "", 1, required=(), optional=("packages", "resources"))
    if top is None:
        raise InvalidImport(check.problems)
    rows = CatalogRows()
    _read_packages(check, top, rows)
    _read_resources(check, top, rows)
    if check.problems:
        raise InvalidImport(check.problems)
    return rows


def _apply_packages(rows: CatalogRows) -> Counts:
    existing = AccessPackage.objects.in_bulk(list(rows.packages))
    counts = Counts()
    for code, row in rows.packages.items():
        package = existing.get(code)
        if package is None:
            for field_name in ("name", "description"):
                if f"{field_name}_nb" in row:
                    for lang in ("nn", "en"):
                        row.setdefault(f"{field_name}_{lang}", row[f"{field_name}_nb"])
            AccessPackage.objects.create(code=code, **row)
            counts.created += 1
            continue
        changed = [name for name, value in row.items() if getattr(package, name) != value]
        for name in changed:
            setattr(package, name, row[name])
        if changed:
            package.save(update_fields=changed)
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


def _stored_resource(resource: Resource, policy: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "id": resource.id,
        "title": {"nb": resource.title_nb, "nn": resource.title_nn, "en": resource.title_en},
        "owner": resource.owner_orgno,
        "ownerName": resource.owner_name,
        "delegable": resource.delegable,
        "policy": policy,
    }


def _apply_resources(rows: CatalogRows) -> Counts:
    existing = Resource.objects.in_bulk(list(rows.resources))
    policies: dict[str, dict[str, list[str]]] = {}
    for resource_id, package, action in PolicyRule.objects.filter(resource_id__in=list(existing)).values_list(
        "resource_id", "package_id", "action"
    ):
        policies.setdefault(resource_id, {}).setdefault(package, []).append(action)
    to_save, counts = [], Counts()
    for resource_id, row in rows.resources.items():
        stored = existing.get(resource_id)
        if stored is None:
            counts.created += 1
            to_save.append(row)
            continue
        policy = {code: sorted(actions) for code, actions in policies.get(resource_id, {}).items()}
        if _stored_resource(stored, policy) == row:
            counts.unchanged += 1
        else:
            counts.updated += 1
            to_save.append(row)
    if to_save:
        save_resources(to_save)
    return counts


@transaction.atomic
def apply_catalog(rows: CatalogRows, *, actor: str) -> Summary:
    """Write validated catalog rows (one transaction; only what differs). Audited when anything changed."""
    summary = Summary({"packages": _apply_packages(rows), "resources": _apply_resources(rows)})
    if summary.changed:
        audit.record("catalog.imported", actor=actor, object_type="catalog", data=summary.as_data())
    return summary


def import_catalog(data: Any, *, actor: str, dry_run: bool = False) -> Summary:
    """Validate and apply a catalog document, all in one transaction (rolled back when dry_run)."""
    return run_import(validate_catalog, apply_catalog, data, actor=actor, dry_run=dry_run)
