"""The demo program's webhook receiver: a small HTTP server on loopback that verifies each delivery's
Standard Webhooks signature (the `standardwebhooks` package, as docs/vendor-guide.md step 7 shows) and
keeps the events it has not seen before (de-duplicated on the event id)."""

import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class WebhookInbox:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.secret = ""  # known once subscribed; until then deliveries are answered 503 (and retried)
        self.events: queue.Queue = queue.Queue()
        self.seen: set[str] = set()
        self.refused = 0
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(inbox.receive(body, dict(self.headers.items())))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/webhooks/systembruker"

    def receive(self, body: bytes, headers: dict) -> int:
        if not self.secret:
            return 503
        try:
            event = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            self.refused += 1
            return 401
        if event["id"] not in self.seen:
            self.seen.add(event["id"])
            self.events.put(event)
        return 204

    def start(self) -> "WebhookInbox":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, wanted, timeout: float) -> dict | None:
        """The first event for which `wanted(event)` is true, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if wanted(event):
                return event
        return None
