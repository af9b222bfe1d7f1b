"""The demo client end to end against a running server: register the system, ask for a system user,
wait for the approval, get a system-user token and call the demo API, which asks the PDP."""

import threading
import time

import pytest

from approvals.system_user_requests import approve_request, reject_request
from demo.client import EVENTS_SCOPE, VENDOR_SCOPES, DemoClient
from demo.maskinporten_client import TokenClient
from demo.provider import API_SCOPE
from registry.models import SystemUser, WebhookSubscription
from tests.maskinporten.helpers import client_private_key, make_client


@pytest.fixture
def demo_client(server, vendor):
    client, kid = make_client(vendor, *VENDOR_SCOPES, EVENTS_SCOPE, API_SCOPE)
    lines = []
    demo = DemoClient(
        TokenClient(server, client.client_id, kid, client_private_key()), vendor=vendor.orgno, out=lines.append
    )
    demo.lines = lines
    return demo


def test_the_demo_client_gets_its_system_user_approved_and_reads_the_claims(demo_client, demo_api, customer, manager):
    demo_client.ensure_system()
    request = demo_client.request_system_user(customer.orgno)
    assert request["confirmUrl"].endswith(f"/systemuser/request?id={request['id']}")
    approve_request(request_id=request["id"], by=manager, party=customer)
    assert demo_client.wait_until_decided(request, timeout=10, interval=0.2) == "Accepted"
    status, body = demo_client.call_api(demo_api, customer.orgno)
    assert status == 200
    assert body["organisasjonsnummer"] == customer.orgno
    assert body["systembruker"] == request["id"]
    assert SystemUser.objects.filter(pk=request["id"], is_deleted=False).exists()


def test_a_rejected_request_leaves_nothing_to_call_with(demo_client, demo_api, customer, manager):
    demo_client.ensure_system()
    request = demo_client.request_system_user(customer.orgno)
    reject_request(request_id=request["id"], by=manager, party=customer)
    assert demo_client.wait_until_decided(request, timeout=10, interval=0.2) == "Rejected"


def test_running_again_reuses_the_system_and_the_system_user(demo_client, demo_api, customer, manager):
    demo_client.ensure_system()
    request = demo_client.request_system_user(customer.orgno)
    approve_request(request_id=request["id"], by=manager, party=customer)
    demo_client.ensure_system()
    assert demo_client.request_system_user(customer.orgno) is None
    assert demo_client.call_api(demo_api, customer.orgno)[0] == 200


def approve_while_it_waits(demo_client, demo_api, customer, manager) -> int:
    """Run the whole program as `python -m demo.client` does; approve once it prints the link."""

    def approve_once_asked():
        for _ in range(600):  # up to 30 s on a busy machine
            links = [line for line in demo_client.lines if "/systemuser/request?id=" in line]
            if links:
                approve_request(request_id=links[0].rsplit("=", 1)[1], by=manager, party=customer)
                return
            time.sleep(0.05)

    approver = threading.Thread(target=approve_once_asked)
    approver.start()
    code = demo_client.run(party=customer.orgno, api=demo_api, timeout=60)
    approver.join()
    return code


def test_run_is_told_of_the_approval_by_webhook_and_calls_the_api(demo_client, demo_api, customer, manager, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # as demo/run-demo.sh sets it: the receiver is on loopback
    assert approve_while_it_waits(demo_client, demo_api, customer, manager) == 0
    assert "Webhook: no.systembruker.request.accepted" in demo_client.lines
    assert "Approved: the system user exists" in demo_client.lines
    assert f"GET /krav-og-betalinger/{customer.orgno} → 200" in demo_client.lines
    assert not WebhookSubscription.objects.filter(is_deleted=False).exists()  # it cleans up after itself


def test_run_polls_when_the_server_refuses_a_webhook_on_loopback(demo_client, demo_api, customer, manager):
    assert approve_while_it_waits(demo_client, demo_api, customer, manager) == 0
    assert "No webhook (400): polling instead" in demo_client.lines
    assert "Approved: the system user exists" in demo_client.lines
