from django.conf import settings

from tests import factories as f
from tests.portal.conftest import choose


def test_logout_by_get_does_not_log_out_but_offers_a_button(login, manager):
    client = login(manager)
    response = client.get("/logout/")
    assert response.status_code == 200
    assert 'method="post" action="/logout/"' in response.content.decode()
    assert "_auth_user_id" in client.session


def test_logout_by_post_logs_out_and_forgets_the_actor(login, manager, customer):
    client = login(manager)
    choose(client, customer)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "Du er logget ut." in page
    assert customer.name not in page
    assert client.get("/actor/").status_code == 302  # back to login


def test_logout_needs_the_csrf_token(manager):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.post("/login/test/", {"pid": manager.pid})  # refused too: no token
    assert "_auth_user_id" not in client.session
    page = client.get("/login/test/")
    token = page.cookies["csrftoken"].value
    client.post("/login/test/", {"pid": manager.pid, "csrfmiddlewaretoken": token})
    assert "_auth_user_id" in client.session
    assert client.post("/logout/").status_code == 403
    assert "_auth_user_id" in client.session


def test_the_header_has_a_skip_link_landmarks_and_a_post_logout(login, manager):
    page = login(manager).get("/actor/").content.decode()
    assert '<a class="ds-skip-link" href="#main">Hopp til hovedinnhold</a>' in page
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in page
    assert '<form method="post" action="/logout/"' in page


def test_the_portal_speaks_bokmal_by_default(client, db):
    page = client.get("/").content.decode()
    assert '<html lang="nb"' in page
    assert "Logg inn" in page


def test_choosing_english_renders_english_and_is_remembered(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    page = client.get("/").content.decode()
    assert '<html lang="en"' in page
    assert "Log in" in page
    assert "Skip to main content" in page


def test_choosing_nynorsk_renders_nynorsk(login, outsider):
    client = login(outsider)
    client.post("/i18n/setlang/", {"language": "nn", "next": "/actor/"})
    page = client.get("/actor/").content.decode()
    assert '<html lang="nn"' in page
    assert "Kven vil du representere?" in page
    assert "Du kan ikkje representere nokon verksemd enno" in page


def test_error_texts_are_translated_too(client, db):
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.post("/login/test/", {"pid": "123"}).content.decode()
    assert "The national identity number must be 11 digits." in page


def test_pages_send_the_security_headers(client, db):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_styles(login, manager, customer):
    client = login(manager)
    choose(client, customer)
    for url in ("/", "/login/", "/login/test/", "/actor/", "/logout/"):
        page = client.get(url).content.decode()
        assert "<style" not in page
        assert " style=" not in page
        assert "<script>" not in page and "<script type" not in page
        assert " on" + "click=" not in page


def test_the_front_page_sends_a_logged_in_person_on(login, manager, customer):
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))  # one organisation would need no choice
    client = login(manager)
    assert client.get("/")["Location"] == "/actor/"
    choose(client, customer)
    assert client.get("/")["Location"] == "/systemuser/"


def test_an_unknown_page_gets_a_helpful_404_in_the_portal_layout(client, db):
    response = client.get("/finnes-ikke/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Fant ikke siden" in page
    assert 'class="ds-skip-link"' in page


def test_an_expired_form_gets_a_clear_csrf_page(manager):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/test/", {"pid": manager.pid})
    assert response.status_code == 403
    assert "Skjemaet er utløpt" in response.content.decode()


def test_the_500_page_renders_without_a_request_or_database():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Noe gikk galt hos oss" in page
