"""Our signing keys: two rings, one per kind of token we sign, read where tokens are signed and read again
when their files change.

`TOKEN`: access tokens (POST /token) and person tokens, published in /jwk. `PLATFORM`: platform tokens
(GET exchange/maskinporten), published at the OpenID metadata's jwks_uri. Each ring is loaded the same way.
Production: a setting (`TOKEN_SIGNING_KEY_FILES`, `PLATFORM_SIGNING_KEY_FILES`) names PEM files with RSA
private keys; the first one signs, all of them are published so that tokens signed with an older key stay
verifiable while it is rotated out. Embedded default: one RSA key per ring is created under `VAR_DIR` on
first start and kept, so that tokens survive a restart and every worker process of one installation signs
with the same key. The two rings never share a key. A file after a ring's first that does not exist is
skipped (a free slot for the next key: docs/operations.md "Token signing keys").

Nothing loads the keys at start but the web processes (config/wsgi.py: a bad key file stops a deploy
there); Celery's worker and beat and `manage.py` commands never read them. Each process looks at a
ring's files (inode, size, mtime) at most every RELOAD_CHECK_SECONDS and loads them again when one
changed, so a key is rotated by replacing files, without a restart. A replacement that cannot be read
(half written, not a key) keeps the keys in use and is logged as an error.
"""

import base64
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SIGNING_ALG = "RS256"
DEFAULT_KEY_FILE = "token-signing-key.pem"
RELOAD_CHECK_SECONDS = 5.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    public_jwk: dict


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 thumbprint (SHA-256) of an RSA or EC public JWK: a stable `kid` derived from the key itself.
    The required members only (RSA: e, kty, n; EC: crv, kty, x, y), in that order."""
    if jwk.get("kty") == "EC":
        members = {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    else:
        members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    return _b64url(hashlib.sha256(canonical).digest())


def public_jwk_of(public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> dict:
    """The public JWK of an RSA key ({kty, n, e}) or of an EC key ({kty, crv, x, y}); nothing else."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
        return {"kty": "EC", "crv": jwk["crv"], "x": jwk["x"], "y": jwk["y"]}
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}


def _signing_key(private_key) -> SigningKey:
    if not isinstance(private_key, rsa.RSAPrivateKey) or private_key.key_size < 2048:
        raise ImproperlyConfigured("Signing keys must be RSA private keys of at least 2048 bits")
    public_key = private_key.public_key()
    jwk = public_jwk_of(public_key)
    kid = jwk_thumbprint(jwk)
    return SigningKey(kid, private_key, public_key, {**jwk, "kid": kid, "use": "sig", "alg": SIGNING_ALG})


def _load_pem(path: Path):
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"Cannot read the signing key {path}: {exc}") from None


def _embedded_default_key(var_dir: Path, file_name: str):
    """Create the key once, atomically, even when several worker processes start at the same moment."""
    path = var_dir / file_name
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, tmp = tempfile.mkstemp(dir=var_dir, prefix=".signing-key-")
        try:
            os.write(fd, pem)
            os.close(fd)
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # fails if another process won the race: then its key is used
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return _load_pem(path)


@dataclass(frozen=True)
class KeyRing:
    """One set of signing keys: the PEM files a setting names (the first signs, all are published and
    verify), or else the embedded default, one key created under VAR_DIR on first use and kept."""

    name: str
    files_setting: str
    default_file: str

    def signing_keys(self) -> tuple[SigningKey, ...]:
        return _loaded(self)

    def current_key(self) -> SigningKey:
        return self.signing_keys()[0]

    def verification_key(self, kid: object) -> rsa.RSAPublicKey | None:
        """Our public key with this `kid` in this ring, or None when it is not one of them."""
        if not isinstance(kid, str):
            return None
        key = _by_kid(self).get(kid)
        return key.public_key if key else None

    def jwks(self) -> dict:
        return {"keys": [key.public_jwk for key in self.signing_keys()]}


# Access tokens (POST /token) and person tokens (exchange/id-porten): published at /jwk.
TOKEN = KeyRing("token", "TOKEN_SIGNING_KEY_FILES", DEFAULT_KEY_FILE)
# Platform tokens (exchange/maskinporten, refresh): published at the OpenID metadata's jwks_uri. A key of
# its own, so that nothing signed for one purpose can pass for the other: each verifier trusts one ring.
PLATFORM = KeyRing("platform", "PLATFORM_SIGNING_KEY_FILES", "platform-signing-key.pem")
RINGS = (TOKEN, PLATFORM)


def _file_identity(paths: list[Path]) -> tuple:
    identity = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            identity.append((str(path), None))
        else:
            identity.append((str(path), st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(identity)


@dataclass(frozen=True)
class _Loaded:
    identity: tuple
    value: object
    checked: float


class _Reloading:
    """What `load()` reads from the files `paths()` names: kept, and loaded again when one of those files
    changes (checked at most every RELOAD_CHECK_SECONDS). When a new load fails, the old result stays in
    use (logged); the first load's failure is raised."""

    def __init__(self, paths: Callable[[], list[Path]], load: Callable):
        self.paths, self.load = paths, load
        self.state: _Loaded | None = None

    def __call__(self):
        state, now = self.state, time.monotonic()
        if state is not None and now - state.checked < RELOAD_CHECK_SECONDS:
            return state.value
        identity = _file_identity(self.paths())
        if state is not None and identity == state.identity:
            self.state = _Loaded(identity, state.value, now)
            return state.value
        try:
            value = self.load()
        except ImproperlyConfigured:
            if state is None:
                raise
            log.exception("The changed key files could not be read; the keys in use stay in use")
            self.state = _Loaded(state.identity, state.value, now)
            return state.value
        self.state = _Loaded(identity, value, now)
        return value


def _ring_paths(ring: KeyRing) -> list[Path]:
    files = list(getattr(settings, ring.files_setting))
    return [Path(f) for f in files] if files else [Path(settings.VAR_DIR) / ring.default_file]


def _load_ring(ring: KeyRing) -> tuple[SigningKey, ...]:
    files = [Path(f) for f in getattr(settings, ring.files_setting)]
    if files:
        keys = {}
        for i, path in enumerate(files):
            if i > 0 and not path.exists():
                log.info("%s file %s does not exist (a free slot): skipped", ring.files_setting, path)
                continue
            key = _signing_key(_load_pem(path))
            keys.setdefault(key.kid, key)
        loaded = tuple(keys.values())
    else:
        loaded = (_signing_key(_embedded_default_key(Path(settings.VAR_DIR), ring.default_file)),)
    if ring is not TOKEN and {key.kid for key in loaded} & {key.kid for key in TOKEN.signing_keys()}:
        raise ImproperlyConfigured(
            f"{ring.files_setting} names a key of {TOKEN.files_setting}: the {ring.name} keys must be other keys"
        )
    return loaded


_rings: dict[str, _Reloading] = {}
_kid_index: dict[str, tuple[tuple, dict]] = {}


def _loaded(ring: KeyRing) -> tuple[SigningKey, ...]:
    reloading = _rings.get(ring.name)
    if reloading is None:
        reloading = _rings.setdefault(ring.name, _Reloading(lambda: _ring_paths(ring), lambda: _load_ring(ring)))
    return reloading()


def _by_kid(ring: KeyRing) -> dict[str, SigningKey]:
    current = ring.signing_keys()
    index = _kid_index.get(ring.name)
    if index is None or index[0] is not current:
        index = _kid_index[ring.name] = (current, {key.kid: key for key in current})
    return index[1]


# The token endpoint's ring, under the names its callers have always used.
def signing_keys() -> tuple[SigningKey, ...]:
    return TOKEN.signing_keys()


def current_key() -> SigningKey:
    return TOKEN.current_key()


def ring_files(ring: KeyRing) -> list[Path]:
    """The PEM files of a ring, the first signing (tokend reads them: maskinporten/tokend.py)."""
    ring.signing_keys()  # the embedded default is created on first use
    return _ring_paths(ring)


def verification_key(kid: object) -> rsa.RSAPublicKey | None:
    return TOKEN.verification_key(kid)


def jwks() -> dict:
    return TOKEN.jwks()


def reset() -> None:
    """Forget the loaded keys of every ring (tests that change the key settings)."""
    _rings.clear()
    _kid_index.clear()
