import pytest


@pytest.fixture
def login(client):
    """Log a person in through the test login, as a browser would; returns the client."""

    def _login(person):
        response = client.post("/login/test/", {"pid": person.pid})
        assert response.status_code == 302, response.content
        return client

    return _login


def choose(client, org, **extra):
    return client.post("/actor/", {"orgno": org.orgno, **extra})
