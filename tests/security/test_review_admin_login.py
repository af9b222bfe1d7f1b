"""Security review: the staff admin's password login could be guessed at without limit.

/admin/ is reachable wherever the portal is, and a staff account can register systems, give clients
scopes and revoke system users. Failed logins are now counted per username (in the shared cache).
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def staff(db, settings):
    settings.ADMIN_LOGIN_MAX_FAILURES = 3
    cache.clear()
    yield get_user_model().objects.create_user("drift", password=PASSWORD, is_staff=True, is_superuser=True)
    cache.clear()


def login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_after_too_many_failures_even_the_right_password_is_refused(client, staff):
    for _ in range(3):
        assert login(client, "drift", "guess").status_code == 200
    response = login(client, "Drift", PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "For mange mislykkede innlogginger" in response.content.decode()


def test_the_right_password_works_below_the_limit_and_for_other_users(client, staff):
    get_user_model().objects.create_user("support", password=PASSWORD, is_staff=True)
    for _ in range(2):
        login(client, "drift", "guess")
    for _ in range(3):
        login(client, "support", "guess")
    assert login(client, "drift", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)
