"""Tokens for tests: `bearer_for(org, *scopes)` gives an Authorization header value for any API test.

    client.get(url, HTTP_AUTHORIZATION=bearer_for(vendor, "altinn:authentication/systemregister.write"))

`bearer_for_system_user(system_user)` gives a system-user token (as the token endpoint would issue it),
`exchanged(bearer)` the platform token GET exchange/maskinporten gives for either, and `make_client` /
`sign_grant` build real grants for tests of the token endpoint itself.
"""

import base64
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from lib.identifiers import org_identifier
from lib.tokens.access import issue_access_token, systemuser_authorization_details
from lib.tokens.keys import jwk_thumbprint, public_jwk_of
from maskinporten.models import Client, ClientKey
from registry.models import SystemUser

_test_key = None


# The EC public key of RFC 7517, appendix A.1, and its RFC 7638 thumbprint (SHA-256 over
# {"crv","kty","x","y"} in that order, computed outside our code).
RFC7517_EC = {
    "kty": "EC",
    "crv": "P-256",
    "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
    "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
}
RFC7517_EC_THUMBPRINT = "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"


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


def exchanged(bearer: str) -> str:
    """'Bearer <platform token>' for an access token's 'Bearer …', from GET exchange/maskinporten itself."""
    from django.test import Client as HttpClient

    response = HttpClient().get("/authentication/api/v1/exchange/maskinporten", HTTP_AUTHORIZATION=bearer)
    assert response.status_code == 200, response.content
    return "Bearer " + response.content.decode()


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


DEMO_SCOPE = "altinn:demo/krav.read"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def systemuser_details(orgno: str, **extra) -> list[dict]:
    return [{"type": "urn:altinn:systemuser", "systemuser_org": org_identifier(orgno), **extra}]


@dataclass
class GrantSetup:
    """A vendor's client on its system, and a customer's system user for that system: a grant that works."""

    client: Client
    kid: str
    system_user: SystemUser

    @property
    def owner_orgno(self) -> str:
        return self.system_user.owner.orgno

    def grant(self, *, details: list | None | bool = True, **overrides) -> str:
        """A good system-user grant; `details=False` for a plain grant; overrides as in sign_grant."""
        if details is True:
            details = systemuser_details(self.owner_orgno)
        overrides.setdefault("scope", DEMO_SCOPE)
        return sign_grant(
            self.client.client_id,
            overrides.pop("kid", self.kid),
            audience=overrides.pop("audience", settings.TOKEN_ISSUER),
            authorization_details=details or None,
            **overrides,
        )

    @staticmethod
    def post(http, assertion: str, **form):
        data = {"grant_type": GRANT_TYPE, "assertion": assertion, **form}
        return http.post("/token", data=urlencode(data), content_type="application/x-www-form-urlencoded")


def grant_setup(vendor, customer, system, *, client_id: str = "client-fakturering") -> GrantSetup:
    """`system` must list `client_id` (the `system` persona fixture lists client-fakturering)."""
    client, kid = make_client(vendor, DEMO_SCOPE, "altinn:demo/other", client_id=client_id)
    system_user = SystemUser.objects.create(
        integration_title="Fakturering", owner=customer, system=system, external_ref=customer.orgno
    )
    return GrantSetup(client, kid, system_user)


def b64url(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jws(header: str | dict, payload: str | dict, *, key=None, alg_hash=None) -> str:
    """A compact JWS built by hand (raw JSON text allowed, e.g. with duplicate members), RSA-signed with
    `key` (default: the test client key) or unsigned when key is False."""
    h = header if isinstance(header, str) else json.dumps(header)
    p = payload if isinstance(payload, str) else json.dumps(payload)
    signing_input = f"{b64url(h)}.{b64url(p)}"
    if key is False:
        return signing_input + "."
    key = key or client_private_key()
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), alg_hash or hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def good_claims(setup: "GrantSetup", **overrides) -> dict:
    now = int(time.time())
    claims = {
        "aud": settings.TOKEN_ISSUER,
        "iss": setup.client.client_id,
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
        "scope": DEMO_SCOPE,
        "authorization_details": systemuser_details(setup.owner_orgno),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def assert_refused(response, error: str, description: str | None = None) -> dict:
    """400 in the CONTRACT §1 error format, no token counted, and no audit event (refusals are usage)."""
    from registry.models import AuditEvent, SystemUserUsage

    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    if description is not None:
        assert body["error_description"] == description, body
    assert not SystemUserUsage.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="token.").exists()
    return body


def maskinporten_token(key, orgno, **overrides):
    """A token as the external Maskinporten (conftest.external_maskinporten) signs them: its key, kid "mp-key"."""
    claims = {
        "iss": "https://test.maskinporten.no/",
        "client_amr": "private_key_jwt",
        "token_type": "Bearer",
        "client_id": "mp-client",
        "scope": "altinn:authentication/systemregister.write",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{orgno}"},
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
        "jti": "x",
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "mp-key"})
