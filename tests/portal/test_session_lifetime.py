"""A portal session ends SESSION_COOKIE_AGE (default eight hours) after login, however it is used."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.portal.conftest import choose

HOURS = 60 * 60


@pytest.fixture
def clock(monkeypatch):
    """Move the clock Django's sessions read; returns `at(**timedelta)` relative to the test's start."""
    start = timezone.now()
    current = {"now": start}
    monkeypatch.setattr(timezone, "now", lambda: current["now"])

    def at(**offset):
        current["now"] = start + timedelta(**offset)

    return at


def _logged_in(client) -> bool:
    response = client.get("/actor/")
    return response.status_code == 200  # else a redirect to the login page


def test_the_default_lifetime_is_a_working_day(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * HOURS


def test_the_session_cookie_lasts_as_long_as_the_session(login, manager, clock):
    client = login(manager)
    assert client.cookies["sessionid"]["max-age"] == 8 * HOURS


def test_a_session_older_than_the_age_no_longer_counts_as_logged_in(login, manager, clock):
    client = login(manager)
    clock(hours=7, minutes=59)
    assert _logged_in(client)
    clock(hours=8, seconds=1)
    response = client.get("/actor/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_using_the_session_does_not_make_it_last_longer(login, manager, customer, clock):
    client = login(manager)
    clock(hours=7)
    assert choose(client, customer).status_code == 302  # saves the session: Django would move its expiry on
    clock(hours=8, seconds=1)
    assert not _logged_in(client)


def test_the_age_comes_from_the_environment(login, manager, settings, clock):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client = login(manager)
    clock(minutes=29)
    assert _logged_in(client)
    clock(minutes=30, seconds=1)
    assert not _logged_in(client)
