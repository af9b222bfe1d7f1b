"""A small Maskinporten-style client: sign a JWT-bearer grant with our key and trade it for a token.

Used by both sides of the demo: the vendor (system-user tokens, vendor API tokens) and the resource
owner (its PDP token). Only the standard library, PyJWT and cryptography; no Django.
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TIMEOUT = 10  # seconds for every HTTP call of the demo


class HttpError(Exception):
    def __init__(self, status: int, body: object, url: str):
        super().__init__(f"{url} answered {status}: {body}")
        self.status = status
        self.body = body


def http_json(method: str, url: str, *, body=None, token: str | None = None, form: dict | None = None):
    """(status, parsed JSON or text) of one HTTP call; raises HttpError for 4xx/5xx."""
    headers = {"Accept": "application/json"}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, _parse(response.read())
    except urllib.error.HTTPError as error:
        raise HttpError(error.code, _parse(error.read()), url) from None


def _parse(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA key at `path`, made (mode 0600) on first use."""
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return key


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def org_id(orgno: str) -> dict:
    return {"authority": "iso6523-actorid-upis", "ID": f"0192:{orgno}"}


@dataclass
class TokenClient:
    """Gets access tokens from `server`'s token endpoint for one registered client."""

    server: str  # base URL, e.g. http://127.0.0.1:8000
    client_id: str
    kid: str
    private_key: rsa.RSAPrivateKey
    _metadata: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def metadata(self) -> dict:
        if not self._metadata:
            _, self._metadata = http_json("GET", self.server.rstrip("/") + "/.well-known/oauth-authorization-server")
        return self._metadata

    def grant(self, scope: str, authorization_details: list | None = None) -> str:
        now = int(time.time())
        claims = {
            "aud": self.metadata()["issuer"],
            "iss": self.client_id,
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
            "scope": scope,
        }
        if authorization_details is not None:
            claims["authorization_details"] = authorization_details
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def token(self, scope: str, *, systemuser_org: str | None = None) -> str:
        """An access token (cached until 10 s before it expires); a system-user token with `systemuser_org`."""
        cached = self._cache.get((scope, systemuser_org))
        if cached and cached[1] > time.time() + 10:
            return cached[0]
        details = None
        if systemuser_org:
            details = [{"type": "urn:altinn:systemuser", "systemuser_org": org_id(systemuser_org)}]
        form = {"grant_type": GRANT_TYPE, "assertion": self.grant(scope, details)}
        _, body = http_json("POST", self.metadata()["token_endpoint"], form=form)
        self._cache[(scope, systemuser_org)] = (body["access_token"], time.time() + int(body.get("expires_in", 60)))
        return body["access_token"]
