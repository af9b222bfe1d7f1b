"""docs/vendor-guide.md is executed, block by block, against a live server: the guide can not rot."""

import os
import re
import subprocess
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings

from approvals.change_requests import reject_change_request
from approvals.models import Request, RequestStatus
from approvals.system_user_requests import approve_request
from tests.maskinporten.helpers import client_private_key, make_client

GUIDE = Path(settings.BASE_DIR) / "docs" / "vendor-guide.md"
APPROVAL_MARK = "<!-- customer approves -->"
SCOPES = [
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
    "altinn:authentication/systemuser.events",
]


def run_blocks(markdown: str, namespace: dict, *, first_line: int = 1) -> int:
    ran = 0
    for match in re.finditer(r"```(python|sh)\n(.*?)```", markdown, re.S):
        language, code = match.groups()
        if language == "python":
            # Padded so that a failure points at the right line of the guide.
            line = first_line + markdown.count("\n", 0, match.start(2))
            exec(compile("\n" * (line - 1) + code, str(GUIDE), "exec"), namespace)
        else:
            env = {
                **os.environ,
                "BASE_URL": namespace["BASE_URL"],
                "ACCESS_TOKEN": namespace["token"],
                "SYSTEM_ID": namespace["SYSTEM_ID"],
                "REQUEST_ID": namespace.get("REQUEST_ID", ""),
            }
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], env=env, capture_output=True, timeout=30)
            assert result.returncode == 0, (code, result.stderr)
            assert result.stdout.startswith((b"{", b"[")), result.stdout
        ran += 1
    return ran


def approve_as_the_customer(request_id: str, manager) -> None:
    """What the customer's access manager does on the approval page (the same service)."""
    approve_request(request_id=request_id, by=manager)


@pytest.fixture
def webhook_url(settings):
    """A loopback server for the guide's webhook receiver (step 7): it serves whatever WSGI app the guide
    made last (`receiver_app`), so it can start before the guide runs. Loopback is allowed for the test."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.EVENTS_FEED_SETTLE_SECONDS = 0
    served: dict = {}

    def app(environ, start_response):
        return served["app"](environ, start_response)

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/systembruker", served
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_the_vendor_guide_runs_from_registration_to_approval(
    live_server, vendor, customer, manager, tmp_path, webhook_url
):
    key_file = tmp_path / "vendor.pem"
    key_file.write_bytes(
        client_private_key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    client, kid = make_client(vendor, *SCOPES)
    namespace = {
        "BASE_URL": live_server.url,
        "CLIENT_ID": client.client_id,
        "KID": kid,
        "PRIVATE_KEY_PEM": str(key_file),
        "VENDOR_ORGNO": vendor.orgno,
        "CUSTOMER_ORGNO": customer.orgno,
        "WEBHOOK_URL": webhook_url[0],
        "print": lambda *args: None,
    }
    before, after = GUIDE.read_text(encoding="utf-8").split(APPROVAL_MARK)
    ran = run_blocks(before, namespace)
    approve_as_the_customer(namespace["REQUEST_ID"], manager)
    ran += run_blocks(after, namespace, first_line=before.count("\n") + 1)
    assert ran >= 10
    assert Request.objects.get(pk=namespace["REQUEST_ID"]).status == RequestStatus.ACCEPTED
    # Step 7's receiver: the customer rejects the change request of step 6, and the guide's own receiver
    # gets the event, its signature verified.
    webhook_url[1]["app"] = namespace["receiver_app"]
    reject_change_request(namespace["change_id"], by=manager)
    [event] = namespace["received"]
    assert (event["type"], event["subject"]) == ("no.systembruker.changerequest.rejected", namespace["change_id"])
