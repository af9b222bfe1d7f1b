"""Reading a JWT-bearer grant strictly, by hand, before and instead of trusting any JWT library defaults.

We split and decode the compact JWS ourselves so that we can refuse what libraries quietly accept:
duplicate JSON members (two parsers could read two different claims), NaN/Infinity, `alg` outside the
allow-list in any spelling (RS256/384/512; ES256 with an EC key), key sources in the header (`jku`, `x5u`,
`jwk`, `x5c` — never fetched or used), and non-canonical base64url. The signature is then checked with the
key registered on the client, with an algorithm of that key's type.
"""

import base64
import binascii
import functools
import json
import re
import threading

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm, get_default_algorithms

from lib.tokens.access import GRANT_ALGS
from lib.unstorable import unstorable

_VERIFIERS = {alg: get_default_algorithms()[alg] for alg in GRANT_ALGS}  # CONTRACT §1's RS list, and ES256
FORBIDDEN_HEADERS = {"jku", "x5u", "jwk", "x5c", "crit", "b64", "zip"}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
KID_PATTERN = re.compile(r"[A-Za-z0-9._:@+/=-]{1,200}")  # printable, no spaces, quotes or control characters


class BadAssertion(Exception):
    """The assertion is not a well-formed, acceptable JWS. The message says why (for the audit)."""


class DuplicateMember(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateMember(f"duplicate JSON member {key!r}")
        result[key] = value
    return result


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def strict_json(data: bytes) -> object:
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
        refused = unstorable(value)  # the claims reach the database (client, jti, audit) around the signature check
    except DuplicateMember as exc:
        raise BadAssertion(str(exc)) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadAssertion("not valid JSON") from None
    if refused:
        raise BadAssertion("NUL or a lone surrogate in the JSON")
    return value


def b64url_decode(segment: str) -> bytes:
    if not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise BadAssertion("malformed base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise BadAssertion("malformed base64url") from None


def parse(token: object) -> "Assertion":
    """Assertion(token), parsed once per request: the rate limit reads the claimed issuer, then the grant
    reads the rest of the same string (the last parse is kept per thread, for that very string object;
    nothing else is cached, and a refused string is parsed, and refused, every time)."""
    last = getattr(_last_parsed, "value", None)
    if last is not None and last[0] is token:
        return last[1]
    assertion = Assertion(token)
    _last_parsed.value = (token, assertion)
    return assertion


_last_parsed = threading.local()


def unverified_issuer(token: object) -> str | None:
    """The `iss` (client id) a grant claims, unverified: for counting requests per client id, nothing else."""
    try:
        issuer = parse(token).claims.get("iss")
    except BadAssertion:
        return None
    return issuer if isinstance(issuer, str) else None


class Assertion:
    """A parsed, not yet verified, compact JWS."""

    def __init__(self, token: str):
        if not isinstance(token, str) or not token.isascii():
            raise BadAssertion("not a compact JWS")
        parts = token.split(".")
        if len(parts) != 3:
            raise BadAssertion(f"a signed JWT has 3 segments, this has {len(parts)}")
        header = strict_json(b64url_decode(parts[0]))
        claims = strict_json(b64url_decode(parts[1]))
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise BadAssertion("header and claims must be JSON objects")
        self.header: dict = header
        self.claims: dict = claims
        self.signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        self.signature = b64url_decode(parts[2])

    def check_header(self) -> None:
        alg = self.header.get("alg")
        if alg not in GRANT_ALGS:
            raise BadAssertion(f"algorithm {str(alg)[:20]!r} is not allowed")
        forbidden = FORBIDDEN_HEADERS & set(self.header)
        if forbidden:
            raise BadAssertion("header key sources or extensions are not accepted: " + ", ".join(sorted(forbidden)))
        kid = self.header.get("kid")
        if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
            raise BadAssertion("kid is missing or malformed")

    @property
    def kid(self) -> str:
        return self.header["kid"]

    def verify_signature(self, jwk: dict) -> None:
        """The algorithm picks the key type, and with it the JWK members read (an EC JWK has no n and e, an
        RSA JWK no crv, x and y): an RS* grant verifies only with an RSA key, an ES256 grant only with an EC
        key on P-256."""
        alg = self.header["alg"]
        if GRANT_ALGS[alg] == "EC":
            crv, x, y = jwk.get("crv"), jwk.get("x"), jwk.get("y")
            usable = all(isinstance(value, str) for value in (crv, x, y))
            key = ec_public_key_from_jwk(crv, x, y) if usable else None
        else:
            n, e = jwk.get("n"), jwk.get("e")
            key = public_key_from_jwk(n, e) if isinstance(n, str) and isinstance(e, str) else None
        if key is None:
            raise BadAssertion(f"the registered key is not a usable {GRANT_ALGS[alg]} key")
        if not _VERIFIERS[alg].verify(self.signing_input, key, self.signature):
            raise BadAssertion("signature does not verify")


@functools.lru_cache(maxsize=2048)
def public_key_from_jwk(n: str, e: str) -> rsa.RSAPublicKey | None:
    """Built once per process and key: parsing a JWK on every grant is wasted work on the hot path."""
    try:
        key = RSAAlgorithm.from_jwk({"kty": "RSA", "n": n, "e": e})
    except Exception:  # noqa: BLE001 - PyJWT raises several types for a bad key
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


@functools.lru_cache(maxsize=2048)
def ec_public_key_from_jwk(crv: str, x: str, y: str) -> ec.EllipticCurvePublicKey | None:
    """An EC key on P-256 (the one curve of ES256), built once per process and key; None for any other."""
    try:
        key = ECAlgorithm.from_jwk({"kty": "EC", "crv": crv, "x": x, "y": y})
    except Exception:  # noqa: BLE001 - PyJWT raises several types for a bad key
        return None
    return key if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1) else None
