import pytest
from django.test import Client

from approvals.models import Request, RequestStatus
from lib.identifiers import grouped_orgno
from registry.models import PolicyRule, SystemUser
from tests import factories as f

pytestmark = pytest.mark.django_db


def page(req):
    return f"/systemuser/request?id={req.id}"


@pytest.fixture
def as_manager(client, manager):
    return login(client, manager)


def login(client, person):
    response = client.post("/login/test/", {"pid": person.pid})
    assert response.status_code == 302
    return client


def test_it_sends_an_anonymous_visitor_to_login_and_back(client, vendor_request):
    response = client.get(page(vendor_request))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert str(vendor_request.id) in response["Location"]


def test_it_shows_who_asks_for_what_in_plain_words(as_manager, vendor, customer, vendor_request):
    response = as_manager.get(page(vendor_request))
    text = response.content.decode()
    assert response.status_code == 200
    assert vendor.name in text and grouped_orgno(vendor.orgno) in text  # "310 000 035", as people read it
    assert "Fakturering" in text  # the system's name
    assert customer.name in text and grouped_orgno(customer.orgno) in text
    assert "Skatt næring" in text  # the package's name, not its code
    assert "Krav og betalinger" in text and "lese" in text  # the single right
    assert "Godkjenn systemtilgang" in text and "Avvis forespørselen" in text
    assert "Du kan når som helst trekke tilbake systemtilgangen" in text


def test_it_says_what_each_package_allows_before_approval(as_manager, vendor_request):
    """The services a package gives access to and the actions, signing included, before approving."""
    text = as_manager.get(page(vendor_request)).content.decode()
    services = text.split('data-testid="grant-services"')[1].split("</details>")[0]
    assert "Hva «Skatt næring» gir tilgang til" in services
    rules = PolicyRule.objects.filter(package_id="skatt-naering", resource__delegable=True).select_related("resource")
    assert rules and all(rule.resource.title in services for rule in rules)
    assert "signere" in services and 'data-testid="signs"' in services  # Skattemelding næring: sign
    hidden = PolicyRule.objects.filter(package_id="skatt-naering", resource__delegable=False)
    assert all(rule.resource.title not in text for rule in hidden)  # internal services never reach the page


def test_rejecting_asks_once_before_the_real_button(as_manager, vendor_request):
    text = as_manager.get(page(vendor_request)).content.decode()
    reject = text.split('data-testid="reject"')[1].split("</details>")[0]
    assert "<summary>Avvis forespørselen</summary>" in reject
    assert "Ja, avvis forespørselen" in reject and "får beskjed" in reject


def test_it_shows_package_names_in_english_when_asked(as_manager, vendor_request):
    as_manager.cookies["django_language"] = "en"
    text = as_manager.get(page(vendor_request)).content.decode()
    assert "Business tax" in text and "Claims and payments" in text
    assert "Skatt næring" not in text


def test_it_switches_act_for_to_the_requests_organisation_and_says_so(as_manager, manager, customer, vendor_request):
    other = f.make_org("Nordmann Holding AS")
    f.give_role(manager, "DAGL", other)
    session = as_manager.session
    session["actor_orgno"] = other.orgno  # acting for the other organisation when the link is opened
    session.save()
    text = as_manager.get(page(vendor_request)).content.decode()
    assert as_manager.session["actor_orgno"] == customer.orgno
    assert 'data-testid="switched"' in text and "Du representerer nå Bakeriet Nordmann AS" in text
    again = as_manager.get(page(vendor_request)).content.decode()
    assert 'data-testid="switched"' not in again and "Du representerer nå Bakeriet Nordmann AS" not in again


def test_acting_for_another_organisation_does_not_open_a_request_of_one_the_person_cannot_act_for(
    client, vendor, vendor_request
):
    """Whether a person may see a request is their authority for the request's organisation, not for
    the one they act for now (the page would otherwise show another organisation's request)."""
    elsewhere = f.make_person("Kåre Annensted")
    f.give_role(elsewhere, "DAGL", f.make_org("Annen Bedrift AS"))
    login(client, elsewhere)
    client.get("/")  # acts for their only organisation
    acting_for = client.session["actor_orgno"]
    response = client.get(page(vendor_request))
    text = response.content.decode()
    assert response.status_code == 403 and "AUTH-00041" in text
    assert vendor.name not in text and vendor_request.party.name not in text
    assert client.session["actor_orgno"] == acting_for


def test_it_refuses_a_person_who_may_not_act_for_the_org_and_shows_nothing(client, outsider, vendor, vendor_request):
    login(client, outsider)
    response = client.get(page(vendor_request))
    text = response.content.decode()
    assert response.status_code == 403
    assert "AUTH-00041" in text and "ikke tilgang" in text
    for secret in (vendor.name, vendor_request.party.name, vendor_request.party.orgno, "Fakturering"):
        assert secret not in text
    assert "actor_orgno" not in client.session


@pytest.mark.parametrize("raw_id", ["abc", "", "00000000-0000-0000-0000-000000000000"])
def test_it_answers_not_found_for_bad_or_unknown_ids(as_manager, vendor_request, raw_id):
    response = as_manager.get(f"/systemuser/request?id={raw_id}")
    text = response.content.decode()
    assert response.status_code == 404
    assert "Fant ikke forespørselen" in text and "Feilkode: AUTH-00010" in text
    assert "Kari Nordmann" in text  # the portal's page, with the person logged in at the top
    assert vendor_request.integration_title not in text  # not some other request instead


def test_agent_requests_open_at_their_own_path_only(as_manager, agent_request):
    assert as_manager.get(page(agent_request)).status_code == 404
    response = as_manager.get(f"/systemuser/agentrequest?id={agent_request.id}")
    assert response.status_code == 200
    assert "Regnskapsfører med signeringsrettighet" in response.content.decode()


def test_approving_sends_the_person_to_the_redirect_url(as_manager, vendor_request):
    response = as_manager.post(f"/systemuser/request/{vendor_request.id}/approve/")
    assert response.status_code == 302
    assert response["Location"] == "https://vendor.example/callback?state=42"
    assert SystemUser.objects.filter(pk=vendor_request.id).exists()


def test_without_a_redirect_url_the_person_sees_the_accepted_request(as_manager, vendor_request):
    Request.objects.filter(pk=vendor_request.pk).update(redirect_url="")
    response = as_manager.post(f"/systemuser/request/{vendor_request.id}/approve/", follow=True)
    text = response.content.decode()
    assert response.redirect_chain[-1][0] == page(vendor_request)
    assert "er godkjent" in text
    assert "Godkjenn</button>" not in text


def test_the_redirect_url_is_followed_when_it_names_the_default_port(as_manager, system, vendor_request):
    # The same rule as when the vendor made the request (lib/redirect_urls.py): the port is compared as a
    # number, 443 when absent; the page once compared the text of the host and port, and sent the person
    # back to the page instead.
    Request.objects.filter(pk=vendor_request.pk).update(redirect_url="https://vendor.example:443/callback?state=42")
    response = as_manager.post(f"/systemuser/request/{vendor_request.id}/approve/")
    assert response["Location"] == "https://vendor.example:443/callback?state=42"


def test_a_plain_http_redirect_to_the_vendor_is_never_followed(as_manager, system, vendor_request):
    system.allowed_redirect_urls = ["http://vendor.example/callback"]  # stored before the rule, or by hand
    system.save(update_fields=["allowed_redirect_urls"])
    Request.objects.filter(pk=vendor_request.pk).update(redirect_url="http://vendor.example/callback?state=42")
    response = as_manager.post(f"/systemuser/request/{vendor_request.id}/reject/")
    assert response["Location"] == page(vendor_request)


def test_a_redirect_url_no_longer_allowed_on_the_system_is_not_followed(as_manager, system, vendor_request):
    system.allowed_redirect_urls = ["https://vendor.example/other"]
    system.save(update_fields=["allowed_redirect_urls"])
    response = as_manager.post(f"/systemuser/request/{vendor_request.id}/reject/")
    assert response["Location"] == page(vendor_request)
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.REJECTED


@pytest.mark.parametrize(
    "status,words",
    [
        (RequestStatus.ACCEPTED, "er godkjent"),
        (RequestStatus.REJECTED, "er avvist"),
        (RequestStatus.TIMEDOUT, "er utløpt"),
    ],
)
def test_a_decided_request_shows_its_state_instead_of_buttons(as_manager, vendor_request, status, words):
    Request.objects.filter(pk=vendor_request.pk).update(status=status)
    text = as_manager.get(page(vendor_request)).content.decode()
    assert words in text
    assert "/approve/" not in text and "/reject/" not in text


def test_approving_twice_tells_the_person_it_is_already_decided(as_manager, vendor_request):
    as_manager.post(f"/systemuser/request/{vendor_request.id}/approve/")
    response = as_manager.post(f"/systemuser/request/{vendor_request.id}/approve/")
    assert response.status_code == 409
    assert "allerede behandlet" in response.content.decode()
    assert SystemUser.objects.count() == 1


def test_an_approver_who_cannot_delegate_sees_what_and_why(client, customer, vendor_request):
    admin = f.make_person("Tilgang Styrer")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=admin)
    login(client, admin)
    text = client.get(page(vendor_request)).content.decode()
    assert "Du kan ikke godkjenne denne forespørselen" in text
    assert "Tilgangspakken «Skatt næring»" in text and "du har den ikke selv for virksomheten" in text
    assert "/approve/" not in text and "Send til tilgangsstyrer" in text
    response = client.post(f"/systemuser/request/{vendor_request.id}/approve/")
    text = response.content.decode()
    assert response.status_code == 400
    assert "AUTH-00053" in text and "Tilgang Styrer" in text
    failures = text.split('data-testid="failures"')[1].split("</div>")[0]
    assert "Skatt næring" in failures
    error = text.split('data-testid="error"')[1].split("</div>")[0]
    assert "<li>" not in error  # what is missing is said once, in the failures box, not again under the error
    assert not SystemUser.objects.exists()


def test_a_refused_approval_names_what_the_system_no_longer_has(as_manager, system, vendor_request):
    """The vendor took a package off the system after asking: approving is refused (AUTH-00063), and the
    page names the package as people know it, not by its code."""
    system.packages.filter(package_id="skatt-naering").delete()
    response = as_manager.post(f"/systemuser/request/{vendor_request.id}/approve/")
    text = response.content.decode()
    assert response.status_code == 400
    assert "AUTH-00063" in text and "Systemtilgangen har ikke, eller kan ikke få, dette:" in text
    assert "<li>Skatt næring</li>" in text and "skatt-naering" not in text
    assert "Kari Nordmann" in text  # the portal's page, with the person logged in at the top
    assert not SystemUser.objects.exists()


def test_an_employee_may_forward_but_not_decide(client, employee, manager, vendor_request, mailoutbox):
    login(client, employee)
    text = client.get(page(vendor_request)).content.decode()
    assert "/approve/" not in text and "/reject/" not in text
    assert "Bare en tilgangsstyrer" in text
    response = client.post(f"/systemuser/request/{vendor_request.id}/reject/")
    assert response.status_code == 403
    response = client.post(f"/systemuser/request/{vendor_request.id}/escalate/", follow=True)
    assert "sendt videre til tilgangsstyrerne" in response.content.decode()
    vendor_request.refresh_from_db()
    assert vendor_request.escalated and vendor_request.status == RequestStatus.NEW


def test_an_outsider_posting_a_decision_is_refused_and_nothing_changes(client, outsider, vendor, vendor_request):
    login(client, outsider)
    response = client.post(f"/systemuser/request/{vendor_request.id}/approve/")
    text = response.content.decode()
    assert response.status_code == 403
    assert "Du har ikke tilgang til denne forespørselen" in text and "Feilkode: AUTH-00041" in text
    assert "Per Utenfor" in text  # the portal's page, with the person logged in at the top
    assert vendor.name not in text
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.NEW


def test_decisions_are_only_taken_by_post(as_manager, vendor_request):
    assert as_manager.get(f"/systemuser/request/{vendor_request.id}/approve/").status_code == 405
    assert as_manager.post(page(vendor_request)).status_code == 405
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.NEW


def test_a_decision_without_csrf_token_is_refused(manager, vendor_request):
    client = Client(enforce_csrf_checks=True)
    client.force_login(_user_of(manager))
    response = client.post(f"/systemuser/request/{vendor_request.id}/approve/")
    assert response.status_code == 403
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.NEW and not SystemUser.objects.exists()


def test_the_page_may_not_be_framed_and_has_a_csp(as_manager, vendor_request):
    response = as_manager.get(page(vendor_request))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def _user_of(person):
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=f"pid:{person.pid}")
    person.user = user
    person.save(update_fields=["user"])
    return user


def test_the_page_needs_a_fixed_number_of_queries(as_manager, vendor_request, django_assert_max_num_queries):
    as_manager.get(page(vendor_request))  # switches act-for once
    with django_assert_max_num_queries(16):
        assert as_manager.get(page(vendor_request)).status_code == 200
