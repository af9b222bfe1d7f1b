"""Nothing on a page goes stale after an action: what the htmx answers bring along besides their target."""

from registry.services import clients
from tests.portal.systemusers_helpers import HTMX, act_for


def test_removing_a_client_in_place_updates_the_history_too(client, client_admin, accounting_firm, agent, firm_clients):
    act_for(client, client_admin, accounting_firm)
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    text = client.post(f"/systemuser/{agent.pk}/clients/{firm_clients[0].orgno}/remove/", **HTMX).content.decode()
    history = text.split('<div id="history" class="stack" hx-swap-oob="true">')[1]
    assert "Klient fjernet" in history and firm_clients[0].name in history
