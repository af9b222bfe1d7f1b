"""Outbound HTTP to addresses a third party chose (vendors' webhook URLs), without SSRF.

`check_url` refuses, before anything is sent: another scheme than https (http only where allowed),
user-info, and a host that is, or resolves to, an address that is not public — loopback, private
(10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata address,
fe80::/10), shared, reserved, multicast, unspecified, and IPv6 forms that carry one of those (IPv4-mapped
::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4, Teredo). `post` resolves the host once, checks every address,
and connects to the checked address itself (TLS still verifies the host name), so a DNS answer that
changes between the check and the connection cannot reach another address. Redirects are never
followed; every attempt has a total time limit, kept by a watchdog that shuts the connection when it is
up (urllib3's timeouts bound each wait for bytes, not the whole answer: a receiver sending its headers
a byte at a time would otherwise hold the sender for hours).
"""

import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """The URL may not be called; the message says why (shown to the vendor)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    return None


def is_public(address: str) -> bool:
    """True for a globally routable unicast address; False for anything else, or not an address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_public(str(inner))
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (tests replace this to play DNS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeURL(f"The host {host} does not resolve") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def parse(url: str, *, allow_http: bool) -> Target:
    """The URL's parts, or UnsafeURL for a URL we will not call whatever it resolves to."""
    if not isinstance(url, str) or len(url) > 2000 or any(c.isspace() or ord(c) < 0x20 for c in url) or "\\" in url:
        raise UnsafeURL("The URL is not a valid absolute URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("The URL is not a valid absolute URL") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeURL("The URL must use https")
    if not parts.hostname or "@" in parts.netloc:
        raise UnsafeURL("The URL must name a host, without user name or password")
    if parts.fragment:
        raise UnsafeURL("The URL may not have a fragment")
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeURL("The URL may not point at this machine")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str, *, allow_http: bool, allow_private: bool) -> tuple[Target, list[str]]:
    """The target and its checked addresses, or UnsafeURL. With `allow_private` (tests, the demo on one
    machine) loopback and private addresses pass; the scheme and form are checked all the same."""
    target = parse(url, allow_http=allow_http)
    addresses = [target.host] if _literal(target.host) else resolve(target.host, target.port)
    if not addresses:
        raise UnsafeURL(f"The host {target.host} does not resolve")
    if not allow_private:
        bad = [a for a in addresses if not is_public(a)]
        if bad:
            raise UnsafeURL("The URL points at an address that is not public: " + ", ".join(bad))
    return target, addresses


class _Deadline:
    """Shuts every socket of an attempt when `seconds` have passed since it started, so that a blocked
    read ends with an error; `expired` says that it did."""

    def __init__(self, seconds: float):
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


def _watched(connection_cls, deadline: _Deadline):
    """The pool's connection class, handing each new socket to the deadline."""

    class Watched(connection_cls):
        def _new_conn(self):
            sock = super()._new_conn()
            deadline.watch(sock)
            return sock

    return Watched


def post(url: str, body: bytes, headers: dict, *, timeout: float, allow_http: bool, allow_private: bool) -> int:
    """POST `body` to `url` after `check_url`, to the checked address; the status code (a redirect is
    just a status: never followed). Raises UnsafeURL, TimeoutError when the whole exchange takes longer
    than `timeout` seconds, or urllib3's errors for other network failures."""
    target, addresses = check_url(url, allow_http=allow_http, allow_private=allow_private)
    address = addresses[0]
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host and target.port == default_port:
        host_header = f"[{target.host}]"
    options = {"timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, target.port, server_hostname=target.host, assert_hostname=target.host, **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, **options)
    with _Deadline(timeout) as deadline:
        pool.ConnectionCls = _watched(pool.ConnectionCls, deadline)
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Host": host_header},
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                response.read(65536, decode_content=False)  # a bounded look at the answer; the rest is dropped
            finally:
                response.release_conn()
            return response.status
        except Exception as exc:
            if deadline.expired:
                raise TimeoutError(f"Timeout: no complete answer within {timeout:g} s") from exc
            raise
        finally:
            pool.close()
