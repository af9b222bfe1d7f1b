"""A running server (pytest-django's live server) and the demo API provider beside it, on loopback."""

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from demo.maskinporten_client import TokenClient
from demo.provider import PDP_SCOPE, build_app
from tests import factories as f
from tests.maskinporten.helpers import client_private_key, make_client


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(live_server, settings):
    """The live server's URL, with the token issuer and metadata naming it."""
    settings.PORTAL_BASE_URL = live_server.url
    settings.TOKEN_ISSUER = live_server.url + "/"
    return live_server.url


@pytest.fixture
def demo_api(server, transactional_db):
    """The provider as `python -m demo.provider` builds it, with a PDP client of its own."""
    owner = f.make_org("Skatteetaten")
    client, kid = make_client(owner, PDP_SCOPE)
    httpd = make_server(
        "127.0.0.1",
        0,
        build_app(TokenClient(server, client.client_id, kid, client_private_key())),
        handler_class=_Quiet,
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
