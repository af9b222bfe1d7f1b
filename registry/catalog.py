"""The built-in catalog: areas, access packages, roles and role→package rules from `registry/data/`
(copied from Altinn's public constants), plus a starter set of resources with policies.

Loading is idempotent and takes a handful of bulk queries, so it runs after every migrate/flush.
"""

import json
from functools import cache
from pathlib import Path

from django.db import transaction

from registry.models import AccessPackage, Area, PolicyRule, Resource, Role, RolePackage

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def _read(name: str):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _upsert(model, rows: list, unique_fields: list[str]) -> None:
    if not rows:
        return
    update = [f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in unique_fields]
    model.objects.bulk_create(rows, update_conflicts=True, unique_fields=unique_fields, update_fields=update)


def _names(obj: dict, field: str = "name") -> dict[str, str]:
    names = obj[field]
    return {
        f"{field}_nb": names["nb"],
        f"{field}_nn": names.get("nn") or names["nb"],
        f"{field}_en": names.get("en") or names["nb"],
    }


@transaction.atomic
def load_builtin_catalog() -> None:
    _upsert(
        Area,
        [Area(code=a["code"], urn=a["urn"], group=a["group"], **_names(a)) for a in _read("areas.json")],
        ["code"],
    )
    _upsert(
        AccessPackage,
        [
            AccessPackage(
                code=p["code"],
                urn=p["urn"],
                area_id=p["area"],
                delegable=p["delegable"],
                assignable=p["assignable"],
                entity_type=p["entityType"],
                **_names(p),
            )
            for p in _read("access-packages.json")
        ],
        ["code"],
    )
    _upsert(
        Role,
        [
            Role(code=r["code"], urn=r["urn"], legacy_code=r["legacyCode"] or "", **_names(r))
            for r in _read("roles.json")
        ],
        ["code"],
    )
    _upsert(
        RolePackage,
        [
            RolePackage(
                role_id=rp["role"],
                package_id=rp["package"],
                has_access=rp["hasAccess"],
                can_delegate=rp["canDelegate"],
                entity_variants=rp["entityVariants"],
            )
            for rp in _read("role-packages.json")
        ],
        ["role", "package"],
    )
    save_resources(_read("resources.json")["resources"])


def save_resources(resources: list[dict]) -> None:
    """Create or update resources and replace their policies (input already validated)."""
    _upsert(
        Resource,
        [
            Resource(
                id=r["id"],
                owner_orgno=r["owner"],
                owner_name=r.get("ownerName", ""),
                delegable=r.get("delegable", True),
                **_names(r, "title"),
            )
            for r in resources
        ],
        ["id"],
    )
    PolicyRule.objects.filter(resource_id__in=[r["id"] for r in resources]).delete()
    PolicyRule.objects.bulk_create(
        [
            PolicyRule(resource_id=r["id"], package_id=code, action=action)
            for r in resources
            for code, actions in r["policy"].items()
            for action in actions
        ]
    )
