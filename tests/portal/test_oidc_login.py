"""Login with ID-porten against a real OpenID provider (oidc-provider on loopback), driven without a
browser: the test plays the person at the provider's login page and hands the answer to the portal."""

import pytest
from django.test import Client

from registry.models import AuditEvent, Person
from tests import factories as f
from tests.oidc_provider.fixtures import ProviderVisit, free_port, pid_of, query_of

pytestmark = pytest.mark.django_db

KARI = pid_of("Kari")  # substantial
HANS = pid_of("Hans")  # high
LISE = pid_of("Lise")  # low
NINA = pid_of("Nina")  # not in the register before her first login
OLA = pid_of("given_name")  # name only as given_name + family_name


def log_in(client, pid, *, next_url="", visit=None, cancel=False):
    """Start at the portal, log in at the provider, come back: the portal's answer to the callback."""
    start = client.get("/login/oidc/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.content
    callback = (visit or ProviderVisit()).login(start["Location"], pid, cancel=cancel)
    return client.get(callback)


def test_the_login_page_offers_id_porten_when_it_is_configured(client, oidc_settings):
    page = client.get("/login/?next=/systemuser/")
    assert "Logg inn med ID-porten" in page.content.decode()
    assert 'href="/login/oidc/?next=/systemuser/"' in page.content.decode()


def test_without_id_porten_only_the_test_login_is_offered(client, settings):
    settings.OIDC_ENABLED = False
    page = client.get("/login/")
    assert "ID-porten" not in page.content.decode()
    assert "Testinnlogging" in page.content.decode()
    assert client.get("/login/oidc/").status_code == 404
    assert client.get("/login/oidc/callback/?code=x&state=y").status_code == 404


def test_the_login_asks_for_pkce_state_nonce_the_minimum_level_and_the_portal_language(client, oidc_settings):
    client.cookies["django_language"] = "en"
    location = client.get("/login/oidc/")["Location"]
    params = query_of(location)
    assert location.startswith(oidc_settings.OIDC_ISSUER + "/auth?")
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert params["acr_values"] == "idporten-loa-substantial"
    assert params["ui_locales"] == "en"
    assert params["scope"] == "openid profile"
    assert params["redirect_uri"] == "http://testserver/login/oidc/callback/"


def test_a_known_person_logs_in_and_is_sent_to_choose_an_organisation(client, oidc_settings, customer):
    kari = f.make_person("Kari Nordmann", pid=KARI)
    f.give_role(kari, "DAGL", customer)
    f.give_role(kari, "DAGL", f.make_org("Annen Bedrift AS"))  # one organisation would need no choice
    response = log_in(client, KARI)
    assert response.status_code == 302 and response["Location"] == "/actor/"
    page = client.get("/actor/")
    assert customer.name in page.content.decode()
    assert page.wsgi_request.person == kari
    login = AuditEvent.objects.get(action="person.login")
    assert login.actor == f"person:{KARI}" and login.data == {"method": "oidc", "acr": "idporten-loa-substantial"}


def test_a_person_with_one_organisation_logs_in_straight_to_it(client, oidc_settings, customer):
    f.give_role(f.make_person("Kari Nordmann", pid=KARI), "DAGL", customer)
    assert log_in(client, KARI)["Location"] == "/systemuser/"
    assert client.session["actor_orgno"] == customer.orgno


def test_after_login_the_person_reaches_the_page_they_asked_for(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    assert log_in(client, KARI, next_url="/systemuser/")["Location"] == "/systemuser/"


def test_a_next_target_on_another_site_is_ignored(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    assert log_in(client, KARI, next_url="https://evil.example/")["Location"] == "/actor/"


def test_a_person_new_to_the_register_is_created_and_told_they_may_act_for_no_one_yet(client, oidc_settings):
    response = log_in(client, NINA)
    assert response["Location"] == "/actor/"
    nina = Person.objects.get(pid=NINA)
    assert nina.name == "Nina Ny Person"
    page = client.get("/actor/").content.decode()
    assert "Velkommen! Du er nå registrert i Systemtilgang." in page
    assert "Du kan ikke representere noen virksomhet ennå" in page
    assert AuditEvent.objects.filter(action="person.created", object_id=str(nina.pk)).count() == 1


def test_a_name_given_as_given_and_family_name_is_used(client, oidc_settings):
    log_in(client, OLA)
    assert Person.objects.get(pid=OLA).name == "Ola Fornavn-Etternavn"


def test_a_known_person_without_a_name_gets_the_name_from_the_login(client, oidc_settings):
    f.make_person("", pid=NINA)
    log_in(client, NINA)
    assert Person.objects.get(pid=NINA).name == "Nina Ny Person"
    assert not AuditEvent.objects.filter(action="person.created").exists()


def test_a_login_without_any_name_claims_still_creates_the_person(client, oidc_settings):
    unnamed = pid_of("no name claims")
    assert log_in(client, unnamed)["Location"] == "/actor/"
    assert Person.objects.get(pid=unnamed).name == ""


def test_a_second_login_does_not_create_the_person_again(client, oidc_settings):
    visit = ProviderVisit()
    log_in(client, NINA, visit=visit)
    client.post("/logout/")
    log_in(client, NINA)
    assert Person.objects.filter(pid=NINA).count() == 1
    assert AuditEvent.objects.filter(action="person.created").count() == 1
    assert AuditEvent.objects.filter(action="person.login").count() == 2


@pytest.mark.parametrize("client_id", ["systembruker-post", "systembruker-jwt"])
def test_the_portal_authenticates_with_a_posted_secret_or_a_signed_key(client, settings, oidc_provider, client_id):
    for name, value in oidc_provider.settings_for(client_id).items():
        setattr(settings, name, value)
    f.make_person("Kari Nordmann", pid=KARI)
    assert log_in(client, KARI)["Location"] == "/actor/"


def test_a_wrong_client_secret_is_a_clear_error_not_a_login(client, oidc_settings):
    oidc_settings.OIDC_CLIENT_SECRET = "not-the-secret"
    response = log_in(client, KARI)
    assert response.status_code == 502
    assert "Innloggingen feilet hos ID-porten" in response.content.decode()
    assert response.wsgi_request.user.is_anonymous


def test_a_login_below_the_minimum_level_is_refused(client, oidc_settings):
    response = log_in(client, LISE)
    assert response.status_code == 403
    assert "Du må logge inn med et høyere sikkerhetsnivå" in response.content.decode()
    assert "minst betydelig sikkerhetsnivå" in response.content.decode()
    assert not Person.objects.filter(pid=LISE).exists()
    assert client.get("/actor/").status_code == 302  # still not logged in


def test_with_level_high_required_substantial_is_refused_and_high_is_accepted(client, oidc_settings):
    oidc_settings.OIDC_ACR_MIN = "idporten-loa-high"
    refused = log_in(client, KARI)
    assert refused.status_code == 403 and "minst høyt sikkerhetsnivå" in refused.content.decode()
    accepted = log_in(client, HANS)
    assert accepted.status_code == 302 and accepted["Location"] == "/actor/"
    assert AuditEvent.objects.get(action="person.login").data["acr"] == "idporten-loa-high"


def test_a_cancelled_login_says_so_and_logs_no_one_in(client, oidc_settings):
    response = log_in(client, None, cancel=True)
    assert response.status_code == 400
    assert "Innloggingen ble avbrutt" in response.content.decode()
    assert response.wsgi_request.user.is_anonymous
    assert not AuditEvent.objects.filter(action="person.login").exists()


def test_a_replayed_callback_is_refused(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    start = client.get("/login/oidc/")
    callback = ProviderVisit().login(start["Location"], KARI)
    assert client.get(callback).status_code == 302
    client.post("/logout/")
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "Innloggingen er utløpt eller allerede brukt" in replay.content.decode()
    assert replay.wsgi_request.user.is_anonymous


def test_a_callback_for_a_login_started_in_another_browser_is_refused(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    start = client.get("/login/oidc/")
    callback = ProviderVisit().login(start["Location"], KARI)
    other_browser = Client()
    response = other_browser.get(callback)
    assert response.status_code == 400
    assert "hører ikke til en innlogging som pågår i denne nettleseren" in response.content.decode()
    assert AuditEvent.objects.filter(action="person.login").count() == 0


def test_a_callback_with_a_tampered_state_is_refused(client, oidc_settings):
    start = client.get("/login/oidc/")
    callback = ProviderVisit().login(start["Location"], KARI)
    tampered = callback.replace("state=", "state=x")
    assert client.get(tampered).status_code == 400


def test_an_unreachable_provider_is_a_clear_page(client, settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.OIDC_CLIENT_ID = "systembruker"
    settings.OIDC_CLIENT_SECRET = "secret"
    settings.OIDC_CLIENT_AUTH_METHOD = "client_secret_basic"
    response = client.get("/login/oidc/")
    assert response.status_code == 502
    assert "ID-porten svarer ikke" in response.content.decode()


def test_logout_ends_the_session_at_the_provider_too_and_returns_to_the_portal(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    visit = ProviderVisit()
    log_in(client, KARI, visit=visit)
    logout = client.post("/logout/")
    assert logout["Location"].startswith(oidc_settings.OIDC_ISSUER + "/session/end?")
    params = query_of(logout["Location"])
    assert params["post_logout_redirect_uri"] == "http://testserver/login/oidc/logged-out/"
    assert params["id_token_hint"].count(".") == 2
    back = visit.follow_to_portal(logout["Location"])
    assert back.startswith("/login/oidc/logged-out/")
    home = client.get(back, follow=True)
    assert "Du er logget ut, også fra ID-porten." in home.content.decode()
    assert home.wsgi_request.user.is_anonymous
    # The provider forgot the person: the next login asks for the national identity number again.
    start = client.get("/login/oidc/")
    page = visit.session.get(start["Location"], timeout=10)
    assert "Fødselsnummer" in page.text


def test_logout_after_the_test_login_stays_in_the_portal(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    assert client.post("/login/test/", {"pid": KARI})["Location"] == "/actor/"
    assert client.post("/logout/")["Location"] == "/"


def test_logout_when_the_provider_is_gone_still_ends_the_portal_session(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    log_in(client, KARI)
    oidc_settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"  # the provider vanished
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/actor/").status_code == 302  # logged out: sent to the login page
