"""Security review, regression guards: the session key changes at login (no session fixation), and
every state-changing portal form refuses a POST without the CSRF token and changes nothing.

Some forms had their own CSRF test already; this one covers all of them in one place, so a new form
that forgets the token (or a view marked csrf_exempt) shows up here.
"""

import uuid

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from approvals.models import ChangeRequest, Request, RequestStatus
from registry.models import AuditEvent, ClientDelegation, SystemUser, SystemUserPackage, SystemUserRight
from tests import factories as f
from tests.approvals.conftest import make_request
from tests.portal.systemusers_helpers import act_for, make_system_user


def _session_the_attacker_holds() -> str:
    """A live, anonymous session's key — as the attacker gets one by starting a login on the site — to
    be planted in the victim's browser. (A key the server does not know would be replaced anyway.)"""
    store = SessionStore()
    store["oidc_state"] = "started by the attacker"
    store.create()
    return store.session_key


def test_logging_in_gives_a_new_session_key(manager):
    planted = _session_the_attacker_holds()
    victim = Client()
    victim.cookies["sessionid"] = planted
    response = victim.post("/login/test/", {"pid": manager.pid})
    assert response.status_code == 302
    assert victim.cookies["sessionid"].value != planted
    manager.refresh_from_db()
    assert victim.session["_auth_user_id"] == str(manager.user_id)
    assert not SessionStore().exists(planted)  # the planted session is gone, not merely left behind


def test_a_session_key_known_before_login_does_not_log_anyone_in(manager):
    planted = _session_the_attacker_holds()
    victim = Client()
    victim.cookies["sessionid"] = planted
    victim.post("/login/test/", {"pid": manager.pid})
    assert victim.get("/actor/").status_code == 200  # the victim is logged in
    attacker = Client()
    attacker.cookies["sessionid"] = planted
    response = attacker.get("/actor/")
    assert response.status_code == 302 and response.url.startswith("/login/")  # off to log in


@pytest.fixture
def forms(manager, customer, system):
    """(url, data) of every state-changing portal form, with objects it would change."""
    f.delegate_package("klientadministrator", from_org=customer, to=manager)
    su = make_system_user(manager, customer, system)
    agent = f.make_agent_system_user(customer, f.make_system(system.vendor, "byraa"), ["regnskapsforer-lonn"])
    client_org = f.make_org("Klienten AS")
    f.give_role(customer, "REGN", client_org)
    ClientDelegation.objects.create(system_user=agent, client=client_org, role_code="REGN", packages=[])
    req = make_request(system, customer, external_ref="ny")
    change = ChangeRequest.objects.create(
        id=uuid.uuid4(), system_user=su, required_access_packages=[], unwanted_access_packages=["skatt-naering"]
    )
    other = f.make_system(system.vendor, "annet", rights=[], packages=["skatt-naering"])
    return [
        (f"/systemuser/request/{req.pk}/approve/", {}),
        (f"/systemuser/request/{req.pk}/reject/", {}),
        (f"/systemuser/request/{req.pk}/escalate/", {}),
        (f"/systemuser/changerequest/{change.pk}/approve/", {}),
        (f"/systemuser/changerequest/{change.pk}/reject/", {}),
        (f"/systemuser/new/{other.pk}/", {"fingerprint": "skatt-naering"}),
        (f"/systemuser/{su.pk}/delete/", {}),
        (f"/systemuser/{su.pk}/revoke/package/", {"package": "skatt-naering"}),
        (f"/systemuser/{su.pk}/revoke/right/", {"resource": "ske-krav-og-betalinger", "action": "read"}),
        (f"/systemuser/{agent.pk}/clients/", {"orgno": [client_org.orgno]}),
        (f"/systemuser/{agent.pk}/clients/{client_org.orgno}/remove/", {}),
        ("/actor/", {"orgno": customer.orgno}),
        ("/i18n/setlang/", {"language": "en"}),
        ("/logout/", {}),
    ]


def test_every_portal_form_needs_the_csrf_token(forms, manager, customer):
    client = act_for(Client(enforce_csrf_checks=True), manager, customer)
    counts = lambda: [  # noqa: E731
        m.objects.count() for m in (SystemUser, SystemUserPackage, SystemUserRight, ClientDelegation, AuditEvent)
    ]
    before = counts()
    for url, data in forms:
        response = client.post(url, data)
        assert response.status_code == 403, url
    assert counts() == before
    assert not Request.objects.exclude(status=RequestStatus.NEW).exists()
    assert not Request.objects.filter(escalated=True).exists()
    assert not ChangeRequest.objects.exclude(status=RequestStatus.NEW).exists()
    assert "_auth_user_id" in client.session
    assert "django_language" not in client.cookies
