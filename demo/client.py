"""The demo client: a vendor's program that gets a system user from a customer and calls an API with it.

Against a running Systembruker (the embedded default by default), it
1. registers its key as a token client (`manage.py create_client`, as an operator would; once),
2. registers its system in the system register (vendor API; once),
3. subscribes a webhook to its own small receiver on loopback (demo/webhook_inbox.py) and asks the
   customer for a system user (a vendor request), printing the approval link,
4. waits until someone who may act for the customer approves it: the "accepted" event arrives by
   webhook, signed (with a rare look at the request as a safety net, and plain polling when the server
   does not allow webhooks to loopback or the client has no events scope),
5. gets a system-user token from the token endpoint, and
6. calls the demo API (demo/provider.py), which asks the PDP and answers 200 or 403.

    python -m demo.client --vendor 311000039 --party 311000004   (see docs/demo-api.md)

Only HTTP towards the server, except the one-time key registration.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from demo.maskinporten_client import HttpError, TokenClient, http_json, org_id
from demo.provider import API_SCOPE, RESOURCE, register_client, registered_client
from demo.webhook_inbox import WebhookInbox

VENDOR_SCOPES = [
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
]
EVENTS_SCOPE = "altinn:authentication/systemuser.events"
DECIDED = [f"no.systembruker.request.{outcome}" for outcome in ("accepted", "rejected", "timedout")]
PACKAGE = "skatt-naering"
API = "/authentication/api/v1/"


class DemoClient:
    def __init__(self, tokens: TokenClient, *, vendor: str, out: Callable[[str], None] = print):
        self.tokens = tokens
        self.vendor = vendor
        self.system_id = f"{vendor}_demo_krav"
        self.out = out

    def _url(self, path: str) -> str:
        return self.tokens.server.rstrip("/") + API + path

    def _call(self, method: str, path: str, body=None):
        token = self.tokens.token(" ".join(VENDOR_SCOPES))
        return http_json(method, self._url(path), body=body, token=token)

    def ensure_system(self) -> None:
        """Register the system once; on later runs make sure it lists this client id."""
        body = {
            "id": self.system_id,
            "vendor": org_id(self.vendor),
            "name": {"nb": "Demo: Krav og betalinger", "nn": "Demo: Krav og betalingar", "en": "Demo: Claims"},
            "description": {"nb": "Henter krav og betalinger for kunden", "en": "Reads the customer's claims"},
            "rights": [{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": RESOURCE}]}],
            "accessPackages": [{"urn": f"urn:altinn:accesspackage:{PACKAGE}"}],
            "clientId": [self.tokens.client_id],
            "allowedRedirectUrls": [],
            "isVisible": True,
        }
        try:
            _, existing = self._call("GET", f"systemregister/vendor/{self.system_id}")
        except HttpError as error:
            if error.status != 404:
                raise
            self._call("POST", "systemregister/vendor", body)
            self.out(f"Registered the system {self.system_id}")
            return
        client_ids = [c for c in (existing.get("clientId") or []) if isinstance(c, str)]
        if self.tokens.client_id not in client_ids:
            body["clientId"] = [*client_ids, self.tokens.client_id]
            self._call("PUT", f"systemregister/vendor/{self.system_id}", body)
        self.out(f"The system {self.system_id} is registered")

    def request_system_user(self, party: str) -> dict | None:
        """Create (or find) the vendor request; None when the customer already has a system user."""
        body = {
            "systemId": self.system_id,
            "partyOrgNo": party,
            "integrationTitle": "Demo: Krav og betalinger",
            "accessPackages": [{"urn": f"urn:altinn:accesspackage:{PACKAGE}"}],
        }
        try:
            _, request = self._call("POST", "systemuser/request/vendor", body)
        except HttpError as error:
            if isinstance(error.body, dict) and error.body.get("code") == "AUTH-00004":
                self.out(f"{party} already has a system user for {self.system_id}")
                return None
            raise
        return request

    def subscribe(self, inbox: WebhookInbox) -> str | None:
        """Subscribe `inbox` to the decisions on requests; its id, or None (then we poll)."""
        try:
            token = self.tokens.token(EVENTS_SCOPE)
            _, subscription = http_json(
                "POST", self._url("systemuser/vendor/webhooks"), body={"url": inbox.url, "eventTypes": DECIDED},
                token=token,
            )  # fmt: skip
        except HttpError as error:
            self.out(f"No webhook ({error.status}): polling instead")
            return None
        inbox.secret = subscription["secret"]
        self.out(f"Subscribed a webhook at {inbox.url}")
        return subscription["id"]

    def unsubscribe(self, subscription_id: str) -> None:
        try:
            http_json(
                "DELETE",
                self._url(f"systemuser/vendor/webhooks/{subscription_id}"),
                token=self.tokens.token(EVENTS_SCOPE),
            )
        except HttpError:
            pass  # the demo's state, not the user's problem

    def _status(self, request: dict) -> str:
        _, request = self._call("GET", f"systemuser/request/vendor/{request['id']}")
        return request.get("status", "New")

    def wait_until_decided(
        self, request: dict, *, timeout: float, interval: float = 2.0, inbox: WebhookInbox | None = None
    ) -> str:
        """The request's status once decided (or "New" after `timeout`). With an inbox subscribed, the
        webhook tells; the request is looked at only every 30 s, in case a delivery is late."""
        deadline = time.monotonic() + timeout
        status = request.get("status", "New")
        if inbox is not None:
            while status == "New" and (left := deadline - time.monotonic()) > 0:
                event = inbox.wait_for(lambda e: e["subject"] == request["id"], min(left, 30))
                if event is not None:
                    self.out(f"Webhook: {event['type']}")
                    return event["data"]["status"]
                status = self._status(request)
            return status
        while status == "New" and time.monotonic() < deadline:
            time.sleep(interval)
            status = self._status(request)
        return status

    def call_api(self, api: str, party: str) -> tuple[int, object]:
        token = self.tokens.token(API_SCOPE, systemuser_org=party)
        try:
            return http_json("GET", f"{api.rstrip('/')}/krav-og-betalinger/{party}", token=token)
        except HttpError as error:
            return error.status, error.body

    def run(self, *, party: str, api: str, timeout: float) -> int:
        self.ensure_system()
        inbox = WebhookInbox().start()
        subscription_id = self.subscribe(inbox)
        try:
            request = self.request_system_user(party)
            if request is not None:
                self.out(f"Request {request['id']}: {request.get('status')}")
                self.out(f"Open this link, log in as someone who may act for {party}, and approve:")
                self.out(f"    {request['confirmUrl']}")
                status = self.wait_until_decided(request, timeout=timeout, inbox=inbox if subscription_id else None)
                if status != "Accepted":
                    self.out(f"The request ended as {status}; nothing to call the API with.")
                    return 1
                self.out("Approved: the system user exists")
        finally:
            if subscription_id:
                self.unsubscribe(subscription_id)
            inbox.stop()
        status, body = self.call_api(api, party)
        self.out(f"GET /krav-og-betalinger/{party} → {status}")
        self.out(json.dumps(body, ensure_ascii=False, indent=2))
        return 0 if status == 200 else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="http://127.0.0.1:8000", help="Systembruker's base URL")
    parser.add_argument("--api", default="http://127.0.0.1:8001", help="the demo API's base URL")
    parser.add_argument("--vendor", default="311000039", help="the vendor's orgno (demo: Fakturaprogrammet AS)")
    parser.add_argument("--party", default="311000004", help="the customer's orgno (demo: Bakeriet Nordmann AS)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the approval")
    parser.add_argument("--state", default="var/demo/vendor-{vendor}.json", help="where the client id and kid are kept")
    args = parser.parse_args(argv)
    repo = Path(__file__).resolve().parent.parent
    state_file = repo / args.state.format(vendor=args.vendor)
    key_file = state_file.with_suffix(".key.pem")
    scopes = " ".join([*VENDOR_SCOPES, EVENTS_SCOPE, API_SCOPE])
    tokens = registered_client(
        args.server,
        state_file,
        key_file,
        " ".join(VENDOR_SCOPES),
        lambda: register_client(repo, args.vendor, key_file, scopes),
    )
    try:
        return DemoClient(tokens, vendor=args.vendor).run(party=args.party, api=args.api, timeout=args.timeout)
    except HttpError as error:
        print(f"Stopped: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
