"""A webhook receiver on loopback for the tests: records every POST (headers and body) and answers from a
script — a status per request (the last one repeats), optionally after a delay, with a redirect, or sent
a byte at a time (`drip`: the pause between bytes)."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict
    body: bytes
    path: str


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=lambda: [204])
    delay: float = 0.0
    location: str = ""
    drip: float = 0.0
    received: list[Received] = field(default_factory=list)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body, self.path))
                index = min(len(receiver.received), len(receiver.statuses)) - 1
                status = receiver.statuses[index]
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.drip:
                    return self.drip(status)
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def drip(self, status: int) -> None:
                answer = f"HTTP/1.1 {status} OK\r\nX-Slow: {'a' * 8}\r\nContent-Length: 0\r\n\r\n".encode()
                try:
                    for byte in answer:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(receiver.drip)
                except OSError:  # the sender hung up
                    pass
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/systembruker"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
