"""`load_demo`: the synthetic demo dataset and its personas."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from approvals.models import Request, RequestKind, RequestStatus
from demo import data as demo
from lib.identifiers import is_valid_orgno, is_valid_pid
from registry import access
from registry.models import (
    AuditEvent,
    ClientDelegation,
    Organisation,
    PackageDelegation,
    Person,
    RegisteredSystem,
    RoleAssignment,
    SystemUser,
)
from registry.services.lifecycle import delete_system_user

ROOT = Path(__file__).resolve().parents[2]


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def org(orgno: str) -> Organisation:
    return Organisation.objects.get(orgno=orgno)


def person(pid: str) -> Person:
    return Person.objects.get(pid=pid)


def counts():
    return [
        model.objects.count()
        for model in (
            Organisation,
            Person,
            RoleAssignment,
            PackageDelegation,
            RegisteredSystem,
            SystemUser,
            ClientDelegation,
            Request,
            AuditEvent,
        )
    ]


@pytest.fixture
def loaded(db):
    return load()


def test_it_prints_every_persona_with_their_number(loaded):
    assert "/login/test/" in loaded
    for persona in demo.PERSONAS:
        assert persona.pid in loaded
        assert persona.name in loaded


def test_it_prints_the_links_to_the_pending_requests(loaded):
    assert f"/systemuser/request?id={demo.REQUEST_BAKERIET}" in loaded
    assert f"/systemuser/agentrequest?id={demo.REQUEST_REGNSKAP_AGENT}" in loaded


def test_loading_twice_changes_nothing(loaded):
    before = counts()

    output = load()

    assert counts() == before
    assert "organisations: 0 created, 0 updated" in output


def test_loading_again_leaves_what_people_did_in_the_portal(loaded):
    delete_system_user(system_user_id=demo.BAKERIET_LONN_USER, by=person(demo.KARI))
    Request.objects.filter(pk=demo.REQUEST_BAKERIET).update(status=RequestStatus.REJECTED)

    load()

    assert SystemUser.objects.get(pk=demo.BAKERIET_LONN_USER).is_deleted
    assert not SystemUser.objects.live().filter(owner__orgno=demo.BAKERIET, system__system_id=demo.LONN_SYSTEM).exists()
    assert Request.objects.get(pk=demo.REQUEST_BAKERIET).status == RequestStatus.REJECTED


def test_every_number_is_valid_and_persons_are_synthetic(loaded):
    assert all(is_valid_orgno(o) for o in Organisation.objects.values_list("orgno", flat=True))
    for pid in Person.objects.values_list("pid", flat=True):
        assert is_valid_pid(pid)
        assert int(pid[2:4]) > 80  # synthetic: +80 on the month


def test_organisations_have_notification_addresses(loaded):
    assert all(o.emails for o in Organisation.objects.all())
    assert org(demo.BAKERIET_TORGET).parent == org(demo.BAKERIET)


def test_the_general_manager_is_access_manager_who_may_delegate(loaded):
    kari, bakeriet = person(demo.KARI), org(demo.BAKERIET)

    assert access.is_access_manager(kari, bakeriet)
    assert access.packages_for(kari, bakeriet)["merverdiavgift"].can_delegate


def test_the_employee_may_act_for_the_company_but_not_manage_access(loaded):
    ola, bakeriet = person(demo.OLA), org(demo.BAKERIET)

    assert access.may_act_for(ola, bakeriet)
    assert not access.is_access_manager(ola, bakeriet)
    assert not access.is_client_admin(ola, bakeriet)


def test_the_accounting_firm_has_at_least_25_clients_by_regn(loaded):
    firm = org(demo.REGNSKAP)
    clients = Organisation.objects.filter(roles_given__holder_org=firm, roles_given__role__legacy_code="REGN")

    assert clients.count() >= 25
    grants = access.packages_of_org_for(firm, clients.first())
    assert grants["regnskapsforer-med-signeringsrettighet"].has_access
    assert not grants["regnskapsforer-med-signeringsrettighet"].can_delegate


def test_the_client_administrator_is_client_admin_but_not_access_manager(loaded):
    kristian, firm = person(demo.KRISTIAN), org(demo.REGNSKAP)

    assert access.is_client_admin(kristian, firm)
    assert not access.is_access_manager(kristian, firm)


def test_the_accounting_firms_manager_manages_its_access_and_clients(loaded):
    regine, firm = person(demo.REGINE), org(demo.REGNSKAP)

    assert access.is_access_manager(regine, firm)
    assert access.is_client_admin(regine, firm)


def test_the_auditor_firm_holds_revi_for_its_clients(loaded):
    firm = org(demo.REVISJON)
    audited = Organisation.objects.filter(roles_given__holder_org=firm, roles_given__role__legacy_code="REVI")

    assert audited.count() == 11
    assert "ansvarlig-revisor" in access.packages_of_org_for(firm, org(demo.BAKERIET))
    assert access.is_access_manager(person(demo.ROLF), firm)


def test_the_board_chair_has_many_organisations(loaded):
    stine = person(demo.STINE)

    assert access.orgs_for_person(stine).count() == 12
    assert all(access.is_access_manager(stine, o) for o in access.orgs_for_person(stine))


def test_the_outsider_may_act_for_nobody(loaded):
    assert not access.orgs_for_person(person(demo.PER)).exists()


def test_vendors_have_registered_systems_with_rights_packages_clients_and_redirects(loaded, settings):
    vendors = Organisation.objects.filter(systems__isnull=False).distinct()
    assert vendors.count() == 2
    for system in RegisteredSystem.objects.all():
        assert system.packages.exists()
        assert system.clients.exists()
        assert any(u.startswith("https://") for u in system.allowed_redirect_urls)
        assert f"{settings.PORTAL_BASE_URL}/systemuser/" in system.allowed_redirect_urls  # the portal's overview
        assert system.changelog.exists()
    assert RegisteredSystem.objects.get(system_id=demo.FAKTURA_SYSTEM).rights.count() == 3


def test_there_are_example_system_users_made_through_the_service(loaded):
    standard = SystemUser.objects.get(pk=demo.BAKERIET_LONN_USER)
    agent = SystemUser.objects.get(pk=demo.REGNSKAP_AGENT_USER)

    assert standard.owner.orgno == demo.BAKERIET and standard.user_type == "standard"
    assert agent.user_type == "agent" and agent.client_delegations.count() == 3
    assert AuditEvent.objects.filter(action="systemuser.created", object_id=str(standard.pk)).exists()


def test_there_are_pending_requests_the_access_managers_may_approve(loaded):
    standard = Request.objects.get(pk=demo.REQUEST_BAKERIET)
    agent = Request.objects.get(pk=demo.REQUEST_REGNSKAP_AGENT)

    assert standard.status == agent.status == RequestStatus.NEW
    assert agent.kind == RequestKind.AGENT
    kari = person(demo.KARI)
    assert (
        access.delegation_check(kari, standard.party, packages=standard.access_packages, rights=standard.rights) == []
    )


def test_links_and_redirect_urls_name_the_address_the_portal_serves(db, settings):
    """`make run ADDR=…` sets PORTAL_BASE_URL: the printed links, the systems' local redirect URL and the
    pending requests' redirect URL name it (the portal's own overview, a page that exists)."""
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8123"
    output = load()
    assert f"http://127.0.0.1:8123/systemuser/request?id={demo.REQUEST_BAKERIET}" in output
    assert ":8000" not in output
    for system in RegisteredSystem.objects.all():
        assert system.allowed_redirect_urls[0] == "http://127.0.0.1:8123/systemuser/"
    for request_id in (demo.REQUEST_BAKERIET, demo.REQUEST_REGNSKAP_AGENT):
        assert Request.objects.get(pk=request_id).redirect_url == "http://127.0.0.1:8123/systemuser/"


def test_loaded_again_at_another_address_the_redirect_urls_follow(loaded, settings):
    """Loaded at :8000 (the default) before, run at :8123 now: the old loopback URL is replaced (it would lead nowhere),
    the vendors' own URLs stay, the change is logged, and a decided request is left alone."""
    Request.objects.filter(pk=demo.REQUEST_REGNSKAP_AGENT).update(status=RequestStatus.REJECTED)
    before = f"{settings.PORTAL_BASE_URL}/systemuser/"
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8123"
    load()
    faktura = RegisteredSystem.objects.get(system_id=demo.FAKTURA_SYSTEM)
    assert faktura.allowed_redirect_urls == [
        "http://127.0.0.1:8123/systemuser/",
        "https://fakturaprogrammet.example/systemtilgang/ferdig",
    ]
    assert faktura.changelog.filter(change_type="updated").count() == 1
    assert Request.objects.get(pk=demo.REQUEST_BAKERIET).redirect_url == "http://127.0.0.1:8123/systemuser/"
    assert Request.objects.get(pk=demo.REQUEST_REGNSKAP_AGENT).redirect_url == before
    rows = counts()
    load()  # and again at the same address: nothing changes
    assert counts() == rows and faktura.changelog.filter(change_type="updated").count() == 1


@pytest.mark.parametrize("doc", ["docs/demo.md", "README.md"])
def test_the_docs_name_every_persona(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")

    for persona in demo.PERSONAS:
        assert persona.pid in text, persona.name


@pytest.mark.django_db
def test_a_production_installation_refuses_the_demo_without_force(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production installation"):
        load()
    assert not Organisation.objects.exists()
    out = StringIO()
    call_command("load_demo", "--force", stdout=out)
    assert Organisation.objects.exists()
