"""Webhook URLs that would make us call inside our own network are refused: when the vendor sets them,
and again at every delivery after DNS resolution (a DNS answer that changes later cannot reach them)."""

import pytest

from lib import outbound
from registry import webhooks
from registry.models import DeliveryStatus, WebhookDelivery
from tests.api.conftest import validation_codes
from tests.events.conftest import reject_one

HOOKS = "systemuser/vendor/webhooks"


@pytest.fixture
def dns(monkeypatch):
    """A DNS of the test's own: host → addresses (no lookup leaves the machine)."""
    table = {"hooks.vendor.example": ["93.184.216.34"]}

    def resolve(host, port):
        if host not in table:
            raise outbound.UnsafeURL(f"The host {host} does not resolve")
        return table[host]

    monkeypatch.setattr(outbound, "resolve", resolve)
    return table


UNSAFE = [
    "https://127.0.0.1/hook",
    "https://127.1.2.3:8443/hook",
    "https://localhost/hook",
    "https://app.localhost/hook",
    "https://10.0.0.5/hook",
    "https://172.16.3.4/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://[64:ff9b::a00:1]/hook",
    "https://[fe80::1]/hook",
    "https://[fd00:ec2::254]/hook",
    "https://0.0.0.0/hook",
    "https://100.64.0.1/hook",
    "https://private.vendor.example/hook",  # resolves to a private address (the dns fixture)
    "https://mixed.vendor.example/hook",  # one public and one private address
    "http://hooks.vendor.example/hook",  # http, where only https is allowed
    "https://user:pw@hooks.vendor.example/hook",
    "ftp://hooks.vendor.example/hook",
    "https://hooks.vendor.example/hook#x",
    "hooks.vendor.example/hook",
    "https://nowhere.vendor.example/hook",  # does not resolve
]


@pytest.mark.parametrize("url", UNSAFE)
def test_an_unsafe_webhook_url_is_refused_when_created(events_api, dns, settings, url):
    settings.WEBHOOK_ALLOW_HTTP = False
    dns["private.vendor.example"] = ["10.1.2.3"]
    dns["mixed.vendor.example"] = ["93.184.216.34", "192.168.0.10"]
    response = events_api.post(HOOKS, {"url": url})
    assert validation_codes(response) == ["STD.VLD-00001"]
    assert response.json()["validationErrors"][0]["paths"] == ["/url"]


def test_a_public_https_url_is_accepted(events_api, dns, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    response = events_api.post(HOOKS, {"url": "https://hooks.vendor.example/hook"})
    assert response.status_code == 201, response.content


def test_a_host_that_resolves_to_a_private_address_at_delivery_is_not_called(
    events_api, dns, manager, system, customer, monkeypatch
):
    """DNS rebinding: public when the vendor set it, private when we deliver. Nothing is sent."""
    assert events_api.post(HOOKS, {"url": "https://hooks.vendor.example/hook"}).status_code == 201
    reject_one(manager, system, customer)
    dns["hooks.vendor.example"] = ["169.254.169.254"]
    sent = []
    monkeypatch.setattr(outbound.urllib3.HTTPSConnectionPool, "urlopen", lambda *a, **k: sent.append(a))
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver(delivery.pk) == "retrying"
    assert sent == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_error.startswith("Refused: ")
    assert "169.254.169.254" in delivery.attempt_log.get().error


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fe80::1%eth0", "2002:a00:1::1",
     "2001:0:4136:e378:8000:63bf:f5ff:fffe", "ff02::1", "224.0.0.1", "not-an-address"],
)  # fmt: skip
def test_addresses_that_are_not_public(address):
    assert not outbound.is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"])
def test_public_addresses(address):
    assert outbound.is_public(address)
