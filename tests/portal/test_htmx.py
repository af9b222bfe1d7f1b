"""Every portal page that answers htmx with a part of itself: the fragment for htmx, the whole page for
a browser and for a history restore (back button after a live search), and a Vary header that keeps a
cache from giving one for the other (portal.htmx.partial_or_page)."""

import pytest
from django.test import Client

from registry.services import clients
from tests.portal.systemusers_helpers import HTMX, act_for, make_system_user

RESTORE = {"HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}


@pytest.fixture
def pages(client, manager, customer, system, client_admin, accounting_firm, agent, firm_clients):
    """(name, logged-in client, url, htmx headers) for each page that chooses."""
    su = make_system_user(manager, customer, system)
    org = firm_clients[0]
    clients.add_clients(system_user_id=agent.pk, orgnos=[org.orgno], by=client_admin)
    as_manager = act_for(client, manager, customer)
    as_client_admin = act_for(Client(), client_admin, accounting_firm)
    return {
        "actor": (as_manager, "/actor/?q=bak", HTMX),
        "overview": (as_manager, "/systemuser/?q=fak", HTMX),
        "create": (as_manager, "/systemuser/new/?q=fak", HTMX),
        "details": (as_manager, f"/systemuser/{su.pk}/?q=x", HTMX | {"HTTP_HX_TARGET": "clients"}),
        "delete": (as_manager, f"/systemuser/{su.pk}/delete/", HTMX),
        "add clients": (as_client_admin, f"/systemuser/{agent.pk}/clients/?q=aur", HTMX),
        "remove client": (as_client_admin, f"/systemuser/{agent.pk}/clients/{org.orgno}/remove/", HTMX),
    }


NAMES = ["actor", "overview", "create", "details", "delete", "add clients", "remove client"]


@pytest.mark.parametrize("name", NAMES)
def test_htmx_gets_the_fragment_and_a_browser_the_whole_page(pages, name):
    client, url, headers = pages[name]
    fragment = client.get(url, **headers)
    page = client.get(url)
    assert fragment.status_code == page.status_code == 200
    assert "<html" not in fragment.content.decode() and "<html" in page.content.decode()
    for response in (fragment, page):
        assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("name", NAMES)
def test_a_history_restore_gets_the_whole_page(pages, name):
    client, url, headers = pages[name]
    response = client.get(url, **(headers | RESTORE))
    assert response.status_code == 200 and "<html" in response.content.decode()
