"""After a decision the person has a way onward: the outcome first, a link to the system access just
made and to the overview; a redirect back into this portal (the demo's) tells the outcome."""

import uuid

import pytest

from approvals.models import ChangeRequest, RequestKind
from registry.models import SystemPackage, SystemUser
from tests.approvals.conftest import make_request

pytestmark = pytest.mark.django_db


def login(client, person):
    assert client.post("/login/test/", {"pid": person.pid}).status_code == 302
    return client


def page(req):
    name = "agentrequest" if req.kind == RequestKind.AGENT else "request"
    return f"/systemuser/{name}?id={req.id}"


@pytest.mark.parametrize(
    ("lang", "see", "overview"),
    [
        ("nb", "Se systemtilgangen for Fakturering", "Til oversikten over systemtilganger"),
        ("en", "See the system access for Fakturering", "To the overview of system accesses"),
    ],
)
def test_an_approved_request_links_the_new_system_access_and_the_overview(
    client, manager, system, customer, lang, see, overview
):
    req = make_request(system, customer, redirect_url="")
    login(client, manager).cookies["django_language"] = lang
    response = client.post(f"/systemuser/request/{req.id}/approve/", follow=True)
    text = response.content.decode()
    assert response.redirect_chain[-1][0] == page(req)
    assert see in text and f'href="/systemuser/{req.id}/"' in text
    assert overview in text and 'href="/systemuser/"' in text
    # The outcome comes before the details, where the person lands.
    assert text.index('data-testid="state"') < text.index('data-testid="facts"')


def test_an_approved_agent_request_names_the_next_step(client, manager, customer, agent_request):
    agent_request.redirect_url = ""
    agent_request.save(update_fields=["redirect_url"])
    login(client, manager)
    text = client.post(f"/systemuser/request/{agent_request.id}/approve/", follow=True).content.decode()
    assert "Neste steg er å velge hvilke klienter systemet skal jobbe for." in text
    assert f'href="/systemuser/{agent_request.id}/"' in text


def test_a_rejected_request_links_the_overview_but_no_system_access(client, manager, system, customer):
    req = make_request(system, customer, redirect_url="")
    login(client, manager)
    text = client.post(f"/systemuser/request/{req.id}/reject/", follow=True).content.decode()
    assert "Forespørselen er avvist." in text and "Systemet ba om disse tilgangene" in text
    assert 'data-testid="onward"' not in text and 'href="/systemuser/"' in text


def test_a_system_access_deleted_since_is_not_linked(client, manager, system, customer):
    req = make_request(system, customer, redirect_url="")
    login(client, manager).post(f"/systemuser/request/{req.id}/approve/")
    SystemUser.objects.filter(pk=req.id).update(is_deleted=True)
    text = client.get(page(req)).content.decode()
    assert "Forespørselen er godkjent" in text and 'data-testid="onward"' not in text


def test_a_redirect_back_into_the_portal_tells_the_outcome(client, manager, system, customer):
    system.allowed_redirect_urls = ["https://testserver/systemuser/"]
    system.save(update_fields=["allowed_redirect_urls"])
    req = make_request(system, customer, redirect_url="https://testserver/systemuser/")
    login(client, manager).get(page(req))  # opening the link acts for the organisation
    response = client.post(f"/systemuser/request/{req.id}/approve/", follow=True)
    assert response.redirect_chain[-1][0] == "https://testserver/systemuser/"
    assert "Forespørselen er godkjent, og systemtilgangen for Fakturering er opprettet." in response.content.decode()


OWN_OVERVIEW = "https://testserver/systemuser/"  # a redirect URL on this portal, as the demo's


def change_request_back_to_the_portal(system_user: SystemUser) -> ChangeRequest:
    SystemPackage.objects.create(system=system_user.system, package_id="merverdiavgift")
    return ChangeRequest.objects.create(
        id=uuid.uuid4(), system_user=system_user, required_access_packages=["merverdiavgift"], redirect_url=OWN_OVERVIEW
    )


@pytest.mark.parametrize(
    ("lang", "approved", "changed"),
    [
        (
            "nb",
            "Forespørselen er godkjent, og systemtilgangen for Fakturering er opprettet.",
            "Endringen av systemtilgangen for Fakturering er godkjent.",
        ),
        (
            "nn",
            "Førespurnaden er godkjend, og systemtilgangen for Fakturering er oppretta.",
            "Endringa av systemtilgangen for Fakturering er godkjend.",
        ),
        (
            "en",
            "The request is approved, and the system access for Fakturering is created.",
            "The change to the system access for Fakturering is approved.",
        ),
    ],
)
def test_back_in_the_portal_after_approving_a_request_or_a_change_the_person_is_told_so(
    client, manager, system, customer, lang, approved, changed
):
    system.allowed_redirect_urls = [OWN_OVERVIEW]
    system.save(update_fields=["allowed_redirect_urls"])
    req = make_request(system, customer, redirect_url=OWN_OVERVIEW)
    login(client, manager).cookies["django_language"] = lang
    client.get(page(req))  # opening the link acts for the organisation
    response = client.post(f"/systemuser/request/{req.id}/approve/", follow=True)
    assert response.redirect_chain[-1][0] == OWN_OVERVIEW
    assert approved in response.content.decode()

    change = change_request_back_to_the_portal(SystemUser.objects.get(pk=req.id))  # the access just made
    client.get(f"/systemuser/changerequest?id={change.id}")
    response = client.post(f"/systemuser/changerequest/{change.id}/approve/", follow=True)
    assert response.redirect_chain[-1][0] == OWN_OVERVIEW
    assert changed in response.content.decode()
    assert approved not in response.content.decode()  # each message once


def test_a_redirect_to_the_vendor_leaves_no_message_behind(client, manager, system, customer):
    req = make_request(system, customer)  # https://vendor.example/callback?state=42
    login(client, manager).get(page(req))
    response = client.post(f"/systemuser/request/{req.id}/approve/")
    assert response["Location"].startswith("https://vendor.example/callback")
    overview = client.get("/systemuser/")
    assert overview.status_code == 200 and "Fakturering" in overview.content.decode()
    assert "er opprettet" not in overview.content.decode()


DEMO_REDIRECT = "http://127.0.0.1:8000/systemuser/"  # demo/data.py: the embedded default's own overview


def demo_request(system, customer):
    system.allowed_redirect_urls = [DEMO_REDIRECT, "https://vendor.example/callback"]
    system.save(update_fields=["allowed_redirect_urls"])
    return make_request(system, customer, redirect_url=DEMO_REDIRECT)


def test_the_demo_s_plain_http_loopback_redirect_is_followed_outside_production(
    client, manager, system, customer, settings
):
    settings.PRODUCTION = False
    req = demo_request(system, customer)
    response = login(client, manager).post(f"/systemuser/request/{req.id}/approve/")
    assert response["Location"] == DEMO_REDIRECT


def test_in_production_a_plain_http_redirect_is_not_followed_the_person_sees_the_outcome(
    client, manager, system, customer, settings
):
    settings.PRODUCTION = True
    req = demo_request(system, customer)
    response = login(client, manager).post(f"/systemuser/request/{req.id}/approve/", follow=True)
    assert response.redirect_chain[-1][0] == page(req)
    assert "Forespørselen er godkjent" in response.content.decode()
