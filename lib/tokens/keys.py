"""Our signing keys, loaded once per process: two rings, one per kind of token we sign.

`TOKEN`: access tokens (POST /token) and person tokens, published in /jwk. `PLATFORM`: platform tokens
(GET exchange/maskinporten), published at the OpenID metadata's jwks_uri. Each ring is loaded the same way.
Production: a setting (`TOKEN_SIGNING_KEY_FILES`, `PLATFORM_SIGNING_KEY_FILES`) names PEM files with RSA
private keys; the first one signs, all of them are published so that tokens signed with an older key stay
verifiable while it is rotated out. Embedded default: one RSA key per ring is created under `VAR_DIR` on
first start and kept, so that tokens survive a restart and every worker process of one installation signs
with the same key. The two rings never share a key.
"""

import base64
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwt.algorithms import RSAAlgorithm

SIGNING_ALG = "RS256"
DEFAULT_KEY_FILE = "token-signing-key.pem"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    public_jwk: dict


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 thumbprint (SHA-256) of an RSA JWK: a stable `kid` derived from the key itself."""
    members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    return _b64url(hashlib.sha256(canonical).digest())


def public_jwk_of(public_key: rsa.RSAPublicKey) -> dict:
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


@functools.cache
def _loaded(ring: KeyRing) -> tuple[SigningKey, ...]:
    files = list(getattr(settings, ring.files_setting))
    if files:
        loaded = tuple(_signing_key(_load_pem(Path(f))) for f in files)
    else:
        loaded = (_signing_key(_embedded_default_key(Path(settings.VAR_DIR), ring.default_file)),)
    if ring is not TOKEN and {key.kid for key in loaded} & {key.kid for key in TOKEN.signing_keys()}:
        raise ImproperlyConfigured(
            f"{ring.files_setting} names a key of {TOKEN.files_setting}: the {ring.name} keys must be other keys"
        )
    return loaded


@functools.cache
def _by_kid(ring: KeyRing) -> dict[str, SigningKey]:
    return {key.kid: key for key in ring.signing_keys()}


# The token endpoint's ring, under the names its callers have always used.
def signing_keys() -> tuple[SigningKey, ...]:
    return TOKEN.signing_keys()


def current_key() -> SigningKey:
    return TOKEN.current_key()


def verification_key(kid: object) -> rsa.RSAPublicKey | None:
    return TOKEN.verification_key(kid)


def jwks() -> dict:
    return TOKEN.jwks()


def reset() -> None:
    """Forget the loaded keys of every ring (tests that change the key settings)."""
    _loaded.cache_clear()
    _by_kid.cache_clear()
