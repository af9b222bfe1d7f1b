"""Tokens for tests: `bearer_for(org, *scopes)` gives an Authorization header value for any API test.

    client.get(url, HTTP_AUTHORIZATION=bearer_for(vendor, "altinn:authentication/systemregister.write"))

`bearer_for_system_user(system_user)` gives a system-user token (as the token endpoint would issue it),
and `make_client` / `sign_grant` build real grants for tests of the token endpoint itself.
"""

import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from maskinporten.keys import jwk_thumbprint, public_jwk_of
from maskinporten.models import Client, ClientKey
from maskinporten.tokens import issue_access_token, systemuser_authorization_details

_test_key = None


def client_private_key() -> rsa.RSAPrivateKey:
    """One RSA key per test run (generating keys is slow): the private half of every test client's key."""
    global _test_key
    if _test_key is None:
        _test_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _test_key


def make_client(org, *scopes: str, client_id: str | None = None, private_key=None) -> tuple[Client, str]:
    """A token client owned by `org` with these scopes and one registered key; returns (client, kid)."""
    private_key = private_key or client_private_key()
    client = Client.objects.create(client_id=client_id or str(uuid.uuid4()), owner=org, scopes=list(scopes))
    jwk = public_jwk_of(private_key.public_key())
    kid = f"{client.client_id}-{jwk_thumbprint(jwk)[:8]}"
    ClientKey.objects.create(client=client, kid=kid, public_jwk={**jwk, "kid": kid})
    return client, kid


def bearer_for(org, *scopes: str, client_id: str | None = None) -> str:
    """'Bearer <token>' for a fresh client of `org` with these scopes."""
    client, _ = make_client(org, *scopes, client_id=client_id)
    return "Bearer " + issue_access_token(client=client, scopes=list(scopes))["access_token"]


def bearer_for_system_user(system_user, *scopes: str, client_id: str | None = None) -> str:
    """'Bearer <token>' of a system-user token for `system_user`, from a client of its system's vendor."""
    client_id = client_id or system_user.system.clients.values_list("client_id", flat=True).first()
    client = Client.objects.filter(client_id=client_id).first() if client_id else None
    if client is None:
        client, _ = make_client(system_user.system.vendor, *scopes, client_id=client_id)
    details = systemuser_authorization_details(system_user)
    body = issue_access_token(client=client, scopes=list(scopes), authorization_details=details)
    return "Bearer " + body["access_token"]


def sign_grant(
    client_id: str,
    kid: str,
    /,
    *,
    audience: str,
    scope: str = "",
    authorization_details: list | None = None,
    private_key=None,
    alg: str = "RS256",
    headers: dict | None = None,
    **claims,
) -> str:
    """A JWT-bearer grant as a vendor would sign it; keyword claims override or add (None removes)."""
    now = int(time.time())
    payload = {"aud": audience, "iss": client_id, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
    if scope:
        payload["scope"] = scope
    if authorization_details is not None:
        payload["authorization_details"] = authorization_details
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(
        payload, private_key or client_private_key(), algorithm=alg, headers={"kid": kid, **(headers or {})}
    )
