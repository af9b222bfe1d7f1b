"""A vendor's subscriptions made at the same moment count each other against the limit: a program that
retries its subscribe call can not go past WEBHOOK_MAX_SUBSCRIPTIONS.

Real threads, each with its own connection, truly racing: PostgreSQL only (tests/races.py); CI runs it.
"""

import pytest

from registry import webhooks
from registry.models import WebhookSubscription
from tests.races import race

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_allowed"),
]


def test_subscriptions_made_at_once_stop_at_the_limit(vendor, receiver, settings):
    settings.WEBHOOK_MAX_SUBSCRIPTIONS = 2
    webhooks.create_subscription(vendor=vendor, url=receiver.url, event_types=[], actor="t")
    make = lambda: webhooks.create_subscription(vendor=vendor, url=receiver.url, event_types=[], actor="t")  # noqa: E731
    outcomes = race([make] * 4, result=lambda made: "created")
    assert sorted(outcomes) == ["HTTP-409"] * 3 + ["created"]
    assert WebhookSubscription.objects.filter(vendor=vendor).count() == 2
