"""The vendor's API with the events scope, a loopback receiver, and events made by real triggers."""

import pytest

from approvals import system_user_requests
from registry.api.base import SCOPE_EVENTS
from tests.api.conftest import Api
from tests.approvals.conftest import make_request
from tests.events.receiver import Receiver
from tests.maskinporten.helpers import bearer_for


@pytest.fixture(autouse=True)
def _feed_settles_at_once(settings):
    settings.EVENTS_FEED_SETTLE_SECONDS = 0


@pytest.fixture
def events_api(client, vendor):
    return Api(client, bearer_for(vendor, SCOPE_EVENTS))


@pytest.fixture
def other_events_api(client, other_vendor):
    return Api(client, bearer_for(other_vendor, SCOPE_EVENTS))


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def loopback_allowed(settings):
    """The test receiver is on loopback; production refuses it (WEBHOOK_ALLOW_PRIVATE_ADDRESSES)."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_ALLOW_HTTP = True


def reject_one(manager, system, customer, **fields):
    """A rejected request: one `no.systembruker.request.rejected` event for the system's vendor."""
    request = make_request(system, customer, **fields)
    system_user_requests.reject_request(request_id=request.id, by=manager)
    return request
