import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.models import Person
from tests.test_settings import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]


def _logged_in_person(client):
    return Person.objects.filter(user_id=client.session.get("_auth_user_id")).first()


def test_a_known_person_is_logged_in_and_asked_whom_to_act_for(client, manager):
    from tests import factories as f

    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))  # one organisation would need no choice
    response = client.post("/login/test/", {"pid": manager.pid})
    assert response.status_code == 302
    assert response["Location"] == "/actor/"
    assert _logged_in_person(client) == manager
    page = client.get("/actor/")
    assert manager.name in page.content.decode()


def test_spaces_in_the_number_are_ignored(client, manager):
    pid = f"{manager.pid[:6]} {manager.pid[6:]}"
    response = client.post("/login/test/", {"pid": pid})
    assert response.status_code == 302
    assert _logged_in_person(client) == manager


@pytest.mark.parametrize(
    ("pid", "message"),
    [
        ("", "Skriv inn fødselsnummeret (11 siffer)."),
        ("123", "Fødselsnummeret må være 11 siffer."),
        ("abcdefghijk", "Fødselsnummeret må være 11 siffer."),
        ("01017012346", "Dette er ikke et gyldig fødselsnummer."),
    ],
)
def test_an_invalid_number_is_refused_with_a_clear_error(client, manager, pid, message):
    response = client.post("/login/test/", {"pid": pid})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_person_is_refused_with_a_clear_error(client, db):
    from tests.factories import next_pid

    response = client.post("/login/test/", {"pid": next_pid()})
    assert response.status_code == 400
    assert "Vi finner ingen person med dette fødselsnummeret i registeret." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_test_login_is_a_404_when_disabled(client, manager, settings):
    settings.TEST_LOGIN_ENABLED = False
    assert client.get("/login/test/").status_code == 404
    assert client.post("/login/test/", {"pid": manager.pid}).status_code == 404
    assert "_auth_user_id" not in client.session
    assert "Testinnlogging" not in client.get("/login/").content.decode()


def test_the_test_login_is_off_by_default_in_production_mode():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SYSTEMBRUKER_", "TEST_LOGIN"))}
    env.update(PRODUCTION_ENV, DATABASE_URL="sqlite:///:memory:")
    code = "from django.conf import settings; print(settings.TEST_LOGIN_ENABLED)"
    command = [sys.executable, "manage.py", "shell", "-c", code]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stdout + result.stderr


def test_after_login_the_person_returns_to_the_page_they_came_from(client, manager):
    response = client.post("/login/test/", {"pid": manager.pid, "next": "/systemuser/request?id=abc"})
    assert response.status_code == 302
    assert response["Location"] == "/systemuser/request?id=abc"


def test_a_page_that_needs_login_sends_the_person_back_there_after_login(client, manager):
    response = client.get("/actor/?q=bak")
    assert response.status_code == 302
    login_page = client.get(response["Location"])
    assert "next=/actor/%3Fq%3Dbak" in login_page.content.decode().replace("&amp;", "&")
    form = client.get("/login/test/?next=/actor/%3Fq%3Dbak")
    assert 'name="next" value="/actor/?q=bak"' in form.content.decode()
    response = client.post("/login/test/", {"pid": manager.pid, "next": "/actor/?q=bak"})
    assert response["Location"] == "/actor/?q=bak"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "\\\\evil.example",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/logout/",
    ],
)
def test_next_never_leads_off_the_site(client, manager, target):
    response = client.post("/login/test/", {"pid": manager.pid, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/systemuser/"  # the only organisation's overview, as with no next


def test_the_login_form_does_not_echo_an_unsafe_next(client, db):
    page = client.get("/login/test/?next=https://evil.example/").content.decode()
    assert 'name="next" value="https://evil.example/"' not in page
