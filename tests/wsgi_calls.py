"""Calling config.wsgi.application directly, as gunicorn does: no test client in between."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.db import close_old_connections

from config import wsgi


@pytest.fixture
def keep_the_test_connection():
    # As Django's test client does: a real request would close the connection the test's
    # transaction lives on.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def call(
    path: str,
    method: str = "GET",
    body: bytes = b"",
    content_type: str = "",
    host: str = "127.0.0.1",
    remote_addr: str = "127.0.0.1",
    **headers: str,
) -> tuple[str, dict, bytes]:
    """(status line, headers, body); `headers` as WSGI keys, e.g. HTTP_X_FORWARDED_FOR="…"."""
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(
        PATH_INFO=path,
        REQUEST_METHOD=method,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(body)),
        HTTP_HOST=host,
        SERVER_NAME="127.0.0.1",
        REMOTE_ADDR=remote_addr,
        **headers,
    )
    environ["wsgi.input"] = io.BytesIO(body)
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(response_headers)

    content = b"".join(wsgi.application(environ, start_response))
    return seen["status"], seen["headers"], content
