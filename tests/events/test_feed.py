"""The event feed: the vendor's own events, oldest first, read on with a stable cursor."""

import pytest

from registry.models import VendorEvent
from tests import factories as f
from tests.api.conftest import Api, assert_problem, validation_codes
from tests.events.conftest import reject_one
from tests.maskinporten.helpers import bearer_for

FEED = "systemuser/vendor/events"


def test_the_feed_lists_the_vendors_events_as_cloudevents(events_api, manager, system, customer):
    request = reject_one(manager, system, customer)
    response = events_api.get(FEED)
    assert response.status_code == 200, response.content
    body = response.json()
    [event] = body["data"]
    assert event["specversion"] == "1.0" and event["type"] == "no.systembruker.request.rejected"
    assert event["subject"] == str(request.id) and event["data"]["id"] == str(request.id)
    assert body["hasMore"] is False
    assert body["cursor"] == str(VendorEvent.objects.get().seq)
    assert body["links"]["next"].endswith(f"?after={body['cursor']}&pageSize=100")


def test_reading_on_from_the_cursor_gives_each_event_once_in_order(events_api, manager, system, customer):
    parties = [f.make_org(f"Klient {i} AS") for i in range(5)]
    for party in parties:
        f.give_role(manager, "DAGL", party)
    for party in parties[:3]:
        reject_one(manager, system, party)
    first = events_api.get(FEED, pageSize=2).json()
    assert len(first["data"]) == 2 and first["hasMore"] is True
    second = events_api.get(FEED, after=first["cursor"], pageSize=2).json()
    assert len(second["data"]) == 1 and second["hasMore"] is False
    # Nothing new: the same cursor, an empty page; new events appear after it.
    empty = events_api.get(FEED, after=second["cursor"]).json()
    assert empty["data"] == [] and empty["cursor"] == second["cursor"] and empty["hasMore"] is False
    for party in parties[3:]:
        reject_one(manager, system, party)
    third = events_api.get(FEED, after=second["cursor"]).json()
    seen = [e["data"]["partyOrgNo"] for e in first["data"] + second["data"] + third["data"]]
    assert seen == [p.orgno for p in parties]


def test_no_vendor_ever_sees_another_vendors_events(
    events_api, other_events_api, manager, system, customer, other_vendor
):
    other_system = f.make_system(other_vendor, "annet")
    reject_one(manager, other_system, customer)
    mine = reject_one(manager, system, customer)
    assert [e["subject"] for e in events_api.get(FEED).json()["data"]] == [str(mine.id)]
    theirs = other_events_api.get(FEED).json()["data"]
    assert [e["data"]["systemId"] for e in theirs] == [other_system.system_id]
    # A cursor taken from the other vendor's feed shows nothing of theirs either.
    assert events_api.get(FEED, after=0, pageSize=500).json()["data"][0]["subject"] == str(mine.id)


def test_an_event_not_yet_settled_is_held_back(events_api, manager, system, customer, settings):
    """A transaction that commits a lower sequence number late would be passed over by a cursor: the
    feed shows events only after EVENTS_FEED_SETTLE_SECONDS."""
    settings.EVENTS_FEED_SETTLE_SECONDS = 60
    reject_one(manager, system, customer)
    assert events_api.get(FEED).json()["data"] == []


@pytest.mark.parametrize("params", [{"after": "abc"}, {"after": "-1"}, {"after": "1" * 30}, {"pageSize": "0"},
                                    {"pageSize": "501"}, {"pageSize": "²"}])  # fmt: skip
def test_bad_cursor_or_page_size_is_a_400_problem(events_api, params):
    assert validation_codes(events_api.get(FEED, **params)) == ["STD.VLD-00001"]


def test_the_feed_needs_the_events_scope(client, vendor):
    assert_problem(
        Api(client, bearer_for(vendor, "altinn:authentication/systemregister.write")).get(FEED), 403, "HTTP-403"
    )
    assert Api(client, None).get(FEED).status_code == 401
