"""Small builders for test data: organisations with valid numbers, persons, roles, systems."""

import itertools

from lib.identifiers import make_orgno, make_pid
from registry.models import (
    Organisation,
    PackageDelegation,
    Person,
    RegisteredSystem,
    RoleAssignment,
    SystemClient,
    SystemPackage,
    SystemRight,
)

SIGNING = "regnskapsforer-med-signeringsrettighet"  # the package an accounting firm's agent system user gets

_org_seq = itertools.count(31000000)
_pid_seq = itertools.count(1)


def next_orgno() -> str:
    while True:
        orgno = make_orgno(str(next(_org_seq)))
        if orgno and not Organisation.objects.filter(orgno=orgno).exists():
            return orgno


def next_pid() -> str:
    # Synthetic numbers: +80 on the month (born in January 1970 → 018170xxxxx, 028170xxxxx, …): a
    # thousand individual numbers a day, then the next day, so a long run never makes a 12-digit one.
    while True:
        n = next(_pid_seq)
        day, individual = 1 + (n // 1000) % 28, n % 1000
        pid = make_pid(f"{day:02d}8170{individual:03d}")
        if pid and not Person.objects.filter(pid=pid).exists():
            return pid


def make_org(
    name: str = "Eksempel AS", *, form: str = "AS", email: str = "", orgno: str | None = None, parent=None
) -> Organisation:
    """An organisation; with `parent`, a subunit (underenhet, form BEDR unless told) of that main unit."""
    orgno = orgno or next_orgno()
    form = "BEDR" if parent is not None and form == "AS" else form
    email = email or f"post@{orgno}.example"
    return Organisation.objects.create(orgno=orgno, name=name, form=form, email=email, parent=parent)


def make_person(name: str = "Kari Nordmann", *, pid: str | None = None) -> Person:
    pid = pid or next_pid()
    return Person.objects.create(pid=pid, name=name, email=f"{pid}@person.example")


def give_role(holder, code: str, of: Organisation) -> RoleAssignment:
    """`code` is an ER legacy code (DAGL, REGN…) or a role code (hovedadministrator)."""
    from registry.models import Role

    role = Role.objects.filter(legacy_code=code).first() or Role.objects.get(code=code)
    if isinstance(holder, Person):
        return RoleAssignment.objects.create(role=role, of=of, holder_person=holder)
    return RoleAssignment.objects.create(role=role, of=of, holder_org=holder)


def delegate_package(code: str, *, from_org: Organisation, to) -> PackageDelegation:
    if isinstance(to, Person):
        return PackageDelegation.objects.create(package_id=code, from_org=from_org, to_person=to)
    return PackageDelegation.objects.create(package_id=code, from_org=from_org, to_org=to)


def make_system(
    vendor: Organisation,
    name: str = "regnskap",
    *,
    rights: list[tuple[str, str]] = (("ske-krav-og-betalinger", "read"),),
    packages: list[str] = ("skatt-naering",),
    client_ids: list[str] = (),
    redirect_urls: list[str] = ("https://vendor.example/callback",),
    visible: bool = True,
) -> RegisteredSystem:
    system = RegisteredSystem.objects.create(
        system_id=f"{vendor.orgno}_{name}",
        vendor=vendor,
        name={"nb": name.title(), "nn": name.title(), "en": name.title()},
        description={"nb": f"{name} fra {vendor.name}"},
        allowed_redirect_urls=list(redirect_urls),
        is_visible=visible,
    )
    SystemRight.objects.bulk_create([SystemRight(system=system, resource_id=r, action=a) for r, a in rights])
    SystemPackage.objects.bulk_create([SystemPackage(system=system, package_id=p) for p in packages])
    SystemClient.objects.bulk_create([SystemClient(system=system, client_id=c) for c in client_ids])
    return system


def make_agent_system_user(owner: Organisation, system: RegisteredSystem, packages: list[str], **fields):
    """An agent system user of `owner` requiring `packages`, without clients (as approving a request makes it)."""
    from registry.models import SystemUser, SystemUserPackage, SystemUserType

    system_user = SystemUser.objects.create(
        integration_title=fields.pop("integration_title", "Byråsystemet"),
        owner=owner,
        system=system,
        user_type=SystemUserType.AGENT,
        **({"external_ref": owner.orgno} | fields),
    )
    SystemUserPackage.objects.bulk_create([SystemUserPackage(system_user=system_user, package_id=p) for p in packages])
    return system_user
