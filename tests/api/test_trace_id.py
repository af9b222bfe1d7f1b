"""A problem's traceId is the request id of the call's log lines (lib/logs.py), so support can find a
vendor's failed call in the logs from the traceId the vendor quotes."""

import json
import logging

import pytest

from lib.logs import RequestIdFilter
from tests.api.conftest import BASE
from tests.wsgi_calls import (
    call,
    keep_the_test_connection,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]


@pytest.fixture
def request_log():
    """The django.request records of the calls, with the request id the JSON log would write."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = records.append
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def _problem_and_log(request_log, **headers) -> tuple[dict, logging.LogRecord]:
    status, _, body = call(BASE + "systemregister/vendor", "GET", **headers)  # no token: 401, logged
    assert status.startswith("401")
    (record,) = request_log
    return json.loads(body), record


def test_the_trace_id_is_the_request_id_of_the_log_line(request_log):
    problem, record = _problem_and_log(request_log)
    assert len(problem["traceId"]) == 32
    assert record.request_id == problem["traceId"]


def test_a_sent_traceparent_is_both_the_trace_id_and_the_logs_request_id(request_log):
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    problem, record = _problem_and_log(request_log, HTTP_TRACEPARENT=traceparent, HTTP_X_REQUEST_ID="edge-1")
    assert problem["traceId"] == record.request_id == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_without_a_traceparent_the_proxys_request_id_is_the_trace_id(request_log):
    problem, record = _problem_and_log(request_log, HTTP_X_REQUEST_ID="edge-7f3a.91")
    assert problem["traceId"] == record.request_id == "edge-7f3a.91"


def test_each_call_gets_its_own_trace_id(request_log):
    first, _ = _problem_and_log(request_log)
    request_log.clear()
    second, _ = _problem_and_log(request_log)
    assert first["traceId"] != second["traceId"]


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{}", {}, "401"),  # no token
        (b"not json", {"HTTP_AUTHORIZATION": "Bearer x"}, "401"),
    ],
)
def test_the_pdps_problems_carry_the_log_request_id_too(request_log, body, headers, status):
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    answer, _, content = call(
        "/authorization/api/v1/authorize",
        "POST",
        body,
        "application/json",
        HTTP_TRACEPARENT=traceparent,
        **headers,
    )
    assert answer.startswith(status)
    (record,) = request_log
    assert json.loads(content)["traceId"] == record.request_id == "0af7651916cd43dd8448eb211c80319c"
