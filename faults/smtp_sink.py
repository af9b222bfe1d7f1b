"""A minimal SMTP server on loopback that keeps every mail it is given (recipient, subject), for the
fault suite: enough of RFC 5321 for Django's SMTP backend without TLS or authentication. Each DATA is
answered after `delay` seconds, so that a worker killed "mid-delivery" has a delivery to be in."""

import asyncio
import threading
import time
from email.parser import BytesHeaderParser


class SmtpSink:
    def __init__(self, host: str = "127.0.0.1", delay: float = 0.3):
        self.host, self.delay = host, delay
        self.mails: list[tuple[float, str, str]] = []  # (time, recipient, subject)
        self.in_data = threading.Event()  # set while a DATA is being received or answered
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def start(self) -> "SmtpSink":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the SMTP sink did not start")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._session, self.host, 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        recipients: list[str] = []
        try:
            say("220 faults-sink ESMTP")
            await writer.drain()
            while True:
                line = await asyncio.wait_for(reader.readline(), 60)
                if not line:
                    break
                command = line.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    say("250-faults-sink" if verb == "EHLO" else "250 faults-sink")
                    if verb == "EHLO":
                        say("250 8BITMIME")
                elif verb == "MAIL":
                    recipients = []
                    say("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                    say("250 OK")
                elif verb == "DATA":
                    say("354 go ahead")
                    await writer.drain()
                    self.in_data.set()
                    data = bytearray()
                    while True:
                        chunk = await asyncio.wait_for(reader.readline(), 60)
                        if not chunk or chunk in (b".\r\n", b".\n"):
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    await asyncio.sleep(self.delay)
                    subject = str(BytesHeaderParser().parsebytes(bytes(data)).get("Subject", ""))
                    now = time.time()
                    self.mails.extend((now, r, subject) for r in recipients)
                    self.in_data.clear()
                    say("250 OK queued")
                elif verb == "RSET":
                    recipients = []
                    say("250 OK")
                elif verb == "NOOP":
                    say("250 OK")
                elif verb == "QUIT":
                    say("221 bye")
                    await writer.drain()
                    break
                else:
                    say("502 not implemented")
                await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            self.in_data.clear()
            writer.close()
