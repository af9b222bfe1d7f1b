"""The system register: register, replace, change rights or packages of, and soft-delete a system.

One validator (`validate_system`) for every way in: the vendor API and the staff admin both call these
functions. Every change writes a change-log row and an audit event in the same transaction; a change
that changes nothing (a vendor's retried PUT) writes neither.
Changing a system's rights never touches existing system users: that is what change requests are for.
"""

import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from lib.errors import FieldError, ServiceError, ValidationFailed
from lib.redirect_urls import is_redirect_url
from lib.vendor_text import text_errors
from registry import audit, events
from registry.models import (
    AccessPackage,
    Organisation,
    RegisteredSystem,
    Resource,
    SystemChangeLog,
    SystemClient,
    SystemPackage,
    SystemRight,
)
from registry.wire import PACKAGE_PREFIX, package_code, right_key, wire_right

P = "/registersystemrequest/"


@dataclass
class SystemSpec:
    """A system as the vendor describes it (the API body, or the admin form, already type-checked).

    `rights` are in the wire shape: {"action": str | None, "resource": [{"id": ..., "value": ...}]}.
    `access_packages` are URNs. `vendor_orgno` is None when the vendor identifier was not valid.
    """

    id: str
    vendor_orgno: str | None
    name: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    rights: list[dict] = field(default_factory=list)
    access_packages: list[str] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)
    redirect_urls: list[str] = field(default_factory=list)
    is_visible: bool = True
    is_self_developed: bool = False


# --- validation ---------------------------------------------------------------------------------


def rights_errors(rights: list[dict]) -> list[FieldError]:
    errors, seen = [], set()
    path = [P + "rights/resource"]
    keys = []
    for right in rights:
        key = right_key(right)
        if key is None:
            errors.append(FieldError("AUTH.VLD-00009", "A right needs one attribute urn:altinn:resource", path))
            continue
        if key in seen:
            errors.append(FieldError("AUTH.VLD-00006", f"The right {key[0]}:{key[1] or '*'} is listed twice", path))
        seen.add(key)
        keys.append(key)
    resources = {r.id: r for r in Resource.objects.filter(id__in={k[0] for k in keys})}
    for resource_id in dict.fromkeys(k[0] for k in keys):
        resource = resources.get(resource_id)
        if resource is None:
            errors.append(FieldError("AUTH.VLD-00003", f"The resource {resource_id} does not exist", path))
        elif not resource.delegable:
            errors.append(FieldError("AUTH.VLD-00017", f"The resource {resource_id} is not delegable", path))
    return errors


def packages_errors(urns: list[str], *, is_visible: bool) -> list[FieldError]:
    errors, path = [], [P + "accesspackages"]
    codes = [package_code(u) for u in urns]
    found = {p.code: p for p in AccessPackage.objects.filter(code__in=[c for c in codes if c])}
    seen = set()
    for urn, code in zip(urns, codes):
        if urn in seen:
            errors.append(FieldError("AUTH.VLD-00007", f"The access package {urn} is listed twice", path))
            continue
        seen.add(urn)
        package = found.get(code)
        if package is None:
            errors.append(FieldError("AUTH.VLD-00008", f"The access package {urn} does not exist", path))
        elif not package.delegable and not package.assignable:
            errors.append(FieldError("AUTH.VLD-00008", f"The access package {urn} can not be given to a system", path))
        elif is_visible and not package.assignable:
            errors.append(
                FieldError(
                    "AUTH.VLD-00018",
                    f"A visible system may not have {urn}: it can not be given to a standard system user",
                    path,
                )
            )
    return errors


def _identity_errors(spec: SystemSpec, existing: RegisteredSystem | None) -> list[FieldError]:
    errors = []
    if spec.vendor_orgno is None:
        errors.append(FieldError("AUTH.VLD-00000", "The vendor is not a valid organisation identifier", [P + "vendor"]))
    elif not Organisation.objects.live().filter(orgno=spec.vendor_orgno).exists():
        errors.append(FieldError("AUTH.VLD-00000", "The vendor organisation does not exist", [P + "vendor"]))
    id_path = [P + "systemid"]
    if re.search(r"\s", spec.id):
        errors.append(FieldError("AUTH.VLD-00013", "The system id may not contain spaces", id_path))
    if spec.vendor_orgno and (not spec.id.startswith(spec.vendor_orgno + "_") or spec.id == spec.vendor_orgno + "_"):
        errors.append(FieldError("AUTH.VLD-00001", "The system id must start with the vendor's orgno and _", id_path))
    if existing is None and RegisteredSystem.objects.filter(system_id=spec.id).exists():
        errors.append(FieldError("AUTH.VLD-00002", "The system id already exists", id_path))
    return errors


def _client_errors(client_ids: list[str], existing: RegisteredSystem | None) -> list[FieldError]:
    errors, path = [], [P + "clientid"]
    if len(set(client_ids)) != len(client_ids):
        errors.append(FieldError("AUTH.VLD-00011", "A client id is listed twice", path))
    taken = SystemClient.objects.filter(client_id__in=client_ids)
    if existing is not None:
        taken = taken.exclude(system=existing)
    for client_id in taken.values_list("client_id", flat=True):
        errors.append(FieldError("AUTH.VLD-00004", f"The client id {client_id} is used by another system", path))
    return errors


def _redirect_errors(urls: list[str]) -> list[FieldError]:
    return [
        FieldError("AUTH.VLD-00005", f"Not an absolute https URL: {url[:200]}", [P + "allowedredirecturls"])
        for url in urls
        if not is_redirect_url(url)
    ]


def _text_errors(spec: SystemSpec) -> list[FieldError]:
    """Names are one line, descriptions may break lines; neither may hide anything (lib/vendor_text.py)."""
    names = {f"{P}systemid": spec.id} | {f"{P}name/{lang}": text for lang, text in spec.name.items()}
    descriptions = {f"{P}description/{lang}": text for lang, text in spec.description.items()}
    return text_errors(names) + text_errors(descriptions, multiline=True)


def validate_system(spec: SystemSpec, *, existing: RegisteredSystem | None = None) -> list[FieldError]:
    """Every rule a system must meet (AUTH.VLD codes), all at once; [] when it is valid."""
    return (
        _identity_errors(spec, existing)
        + _text_errors(spec)
        + rights_errors(spec.rights)
        + packages_errors(spec.access_packages, is_visible=spec.is_visible)
        + _client_errors(spec.client_ids, existing)
        + _redirect_errors(spec.redirect_urls)
    )


# --- reading a system back in the wire shape -------------------------------------------------------


def rights_of(system: RegisteredSystem) -> list[dict]:
    return [wire_right(r.resource_id, r.action) for r in system.rights.all()]


def package_urns_of(system: RegisteredSystem) -> list[str]:
    return [PACKAGE_PREFIX + p.package_id for p in system.packages.all()]


def snapshot(system: RegisteredSystem) -> dict:
    """The system as a dict, for the change log."""
    return {
        "name": system.name,
        "description": system.description,
        "rights": sorted(f"{r.resource_id}:{r.action or '*'}" for r in system.rights.all()),
        "accessPackages": sorted(package_urns_of(system)),
        "clientId": sorted(system.clients.values_list("client_id", flat=True)),
        "allowedRedirectUrls": system.allowed_redirect_urls,
        "isVisible": system.is_visible,
    }


# --- writes ---------------------------------------------------------------------------------------


def _write_rights(system: RegisteredSystem, rights: list[dict]) -> None:
    system.rights.all().delete()
    keys = [right_key(r) for r in rights]
    SystemRight.objects.bulk_create([SystemRight(system=system, resource_id=res, action=act) for res, act in keys])


def _write_packages(system: RegisteredSystem, urns: list[str]) -> None:
    system.packages.all().delete()
    SystemPackage.objects.bulk_create([SystemPackage(system=system, package_id=package_code(u)) for u in urns])


def _write_clients(system: RegisteredSystem, client_ids: list[str]) -> None:
    """The rows in the vendor's order (read back by id, as Altinn returns the list as stored)."""
    have = list(system.clients.order_by("id").values_list("client_id", flat=True))
    if have == client_ids:
        return
    system.clients.all().delete()
    SystemClient.objects.bulk_create([SystemClient(system=system, client_id=c) for c in client_ids])


def _log(system: RegisteredSystem, change_type: str, actor: str, data: dict, ip: str | None) -> None:
    """The change-log row and the audit event of every change; and, for a change the system's vendor did
    not make itself (operator staff, or a caller with the systemregister.admin scope), the vendor event
    `no.systembruker.system.changed`. A self-developed system is changed by its own organisation."""
    SystemChangeLog.objects.create(system=system, changed_by=actor[:200], change_type=change_type, data=data)
    if actor != f"vendor:{system.vendor.orgno}" and not system.is_self_developed:  # its owner made that
        events.emit(
            events.SYSTEM_CHANGED,
            vendor_id=system.vendor_id,
            subject=system.system_id,
            data={"systemId": system.system_id, "changeType": change_type, "changes": data},
        )
    audit.record(
        f"system.{change_type}",
        actor=actor,
        object_type="system",
        object_id=system.system_id,
        party_orgno=system.vendor.orgno,
        data=data,
        ip=ip,
    )


def _diff(before: dict, after: dict) -> dict:
    return {k: {"old": before[k], "new": after[k]} for k in after if before.get(k) != after[k]}


def _log_changes(system: RegisteredSystem, change_type: str, actor: str, before: dict, ip: str | None) -> bool:
    """Log what changed since the snapshot `before`; True if anything did. A change that changes nothing
    (a vendor's retry of the same PUT) leaves no trace: no change-log row, no audit event, no vendor event.
    The snapshot sorts rights and packages: a new order alone is written (the API answers in it), not logged."""
    changes = _diff(before, snapshot(system))
    if changes:
        _log(system, change_type, actor, changes, ip)
    return bool(changes)


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def _live(system: RegisteredSystem) -> RegisteredSystem:
    """The system, live, its row locked until the change commits: two changes of one system at once (a
    vendor's retry while the first still runs) take turns, the second reading what the first wrote,
    instead of both inserting the same rows."""
    live = RegisteredSystem.objects.select_for_update(of=("self",)).select_related("vendor")
    system = live.filter(pk=system.pk, is_deleted=False).first()
    if system is None:
        raise ServiceError("AUTH-00011", "The system is not in the system register", status=404)
    return system


@transaction.atomic
def register_system(*, spec: SystemSpec, actor: str, ip: str | None = None) -> RegisteredSystem:
    """Register a new system. `actor` is "vendor:<orgno>" or "staff:<username>"."""
    _raise_if(validate_system(spec))
    try:
        with transaction.atomic():
            system = RegisteredSystem.objects.create(
                system_id=spec.id,
                vendor=Organisation.objects.get(orgno=spec.vendor_orgno),
                name=spec.name,
                description=spec.description,
                allowed_redirect_urls=spec.redirect_urls,
                is_visible=spec.is_visible and not spec.is_self_developed,
                is_self_developed=spec.is_self_developed,
            )
            _write_clients(system, spec.client_ids)
    except IntegrityError:
        # Lost a race: the same id or a client id was registered a moment ago.
        raise ValidationFailed(
            [FieldError("AUTH.VLD-00002", "The system id or a client id is already registered", [P + "systemid"])]
        ) from None
    _write_rights(system, spec.rights)
    _write_packages(system, spec.access_packages)
    _log(system, "created", actor, snapshot(system), ip)
    return system


@transaction.atomic
def update_system(*, system: RegisteredSystem, spec: SystemSpec, actor: str, ip: str | None = None) -> RegisteredSystem:
    """Replace every field of a live system. The id and the vendor can not change."""
    system = _live(system)
    errors = []
    if spec.id != system.system_id:
        errors.append(FieldError("AUTH.VLD-00012", "The body's id differs from the path's", [P + "systemid"]))
    elif spec.vendor_orgno is not None and spec.vendor_orgno != system.vendor.orgno:
        errors.append(FieldError("AUTH.VLD-00001", "The vendor of a system can not change", [P + "vendor"]))
    _raise_if(errors or validate_system(spec, existing=system))
    before = snapshot(system)
    system.name, system.description = spec.name, spec.description
    system.allowed_redirect_urls, system.is_visible = spec.redirect_urls, spec.is_visible
    try:
        with transaction.atomic():
            _write_clients(system, spec.client_ids)
    except IntegrityError:
        raise ValidationFailed(
            [FieldError("AUTH.VLD-00004", "A client id is used by another system", [P + "clientid"])]
        ) from None
    _write_rights(system, spec.rights)
    _write_packages(system, spec.access_packages)
    if _log_changes(system, "updated", actor, before, ip):
        # Saved only then, so that `updated` (the staff admin lists it) stays put on a retry.
        system.save(update_fields=["name", "description", "allowed_redirect_urls", "is_visible", "updated"])
    return system


@transaction.atomic
def replace_rights(*, system: RegisteredSystem, rights: list[dict], actor: str, ip: str | None = None) -> None:
    system = _live(system)
    _raise_if(rights_errors(rights))
    before = snapshot(system)
    _write_rights(system, rights)
    _log_changes(system, "rights_changed", actor, before, ip)


@transaction.atomic
def replace_packages(*, system: RegisteredSystem, urns: list[str], actor: str, ip: str | None = None) -> None:
    system = _live(system)
    _raise_if(packages_errors(urns, is_visible=system.is_visible))
    before = snapshot(system)
    _write_packages(system, urns)
    _log_changes(system, "accesspackages_changed", actor, before, ip)


@transaction.atomic
def delete_system(*, system: RegisteredSystem, actor: str, ip: str | None = None) -> None:
    """Soft-delete (compare-and-set, so two deletes give one log row) and free the client ids."""
    changed = RegisteredSystem.objects.filter(pk=system.pk, is_deleted=False).update(
        is_deleted=True, updated=timezone.now()
    )
    if not changed:
        raise ServiceError("AUTH-00011", "The system is not in the system register", status=404)
    client_ids = sorted(system.clients.values_list("client_id", flat=True))
    system.clients.all().delete()
    system.refresh_from_db()
    _log(system, "deleted", actor, {"freedClientIds": client_ids}, ip)
