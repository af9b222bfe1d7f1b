"""Person tokens: what GET /authentication/api/v1/exchange/id-porten gives for a person's ID-porten token.

A person token lets a vendor's program act for the logged-in person on the end-user client-delegation
API (registry/api/enduser.py), and nowhere else. It is signed with our token signing keys, so it must
never pass for one of our other tokens — nor they for it:

- header `typ` is PERSON_TOKEN_TYP, never `at+jwt`: tokens.verify_access_token (vendor API, PDP,
  byExternalId) refuses it, and verify_person_token refuses our access tokens;
- it carries no `client_id`, `consumer` or `authorization_details`: nothing a vendor token has;
- `aud` is PERSON_TOKEN_AUDIENCE, and `token_type` is "person";
- it cannot be a grant at POST /token: a grant must be signed by the client's own registered key.
"""

import time
import uuid

import jwt
from django.conf import settings

from lib.identifiers import is_valid_pid
from lib.tokens import keys
from lib.tokens.access import ALLOWED_ALGS, InvalidToken, read_header

PERSON_TOKEN_TYP = "person+jwt"
PERSON_TOKEN_TYPE = "person"
PERSON_TOKEN_AUDIENCE = "urn:systembruker:enduser-api"
SCOPE_CLIENTDELEGATIONS_READ = "altinn:clientdelegations.read"
SCOPE_CLIENTDELEGATIONS_WRITE = "altinn:clientdelegations.write"
PERSON_SCOPES = (SCOPE_CLIENTDELEGATIONS_READ, SCOPE_CLIENTDELEGATIONS_WRITE)
_REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti", "pid", "scope", "token_type"]
_VENDOR_CLAIMS = ("client_id", "consumer", "authorization_details", "client_amr")


def sign_person_token(*, pid: str, scopes: list[str], not_after: int, acr: str = "") -> tuple[str, dict]:
    """Sign a person token for `pid` with these scopes, expiring by `not_after` (epoch seconds) at the
    latest and within PERSON_TOKEN_LIFETIME_SECONDS. Returns (token, claims)."""
    now = int(time.time())
    claims = {
        "iss": settings.TOKEN_ISSUER,
        "aud": PERSON_TOKEN_AUDIENCE,
        "token_type": PERSON_TOKEN_TYPE,
        "pid": pid,
        "scope": " ".join(scope for scope in PERSON_SCOPES if scope in scopes),
        "iat": now,
        "exp": min(not_after, now + settings.PERSON_TOKEN_LIFETIME_SECONDS),
        "jti": str(uuid.uuid4()),
    }
    if acr:
        claims["acr"] = acr
    key = keys.current_key()
    token = jwt.encode(
        claims, key.private_key, algorithm=keys.SIGNING_ALG, headers={"kid": key.kid, "typ": PERSON_TOKEN_TYP}
    )
    return token, claims


def verify_person_token(token: str) -> dict:
    """The claims of a valid person token of ours. Raises InvalidToken for anything else."""
    header = read_header(token)
    key = keys.verification_key(header.get("kid"))
    if key is None:
        raise InvalidToken("Unknown signing key")
    if header.get("typ") != PERSON_TOKEN_TYP:
        raise InvalidToken("Not a person token (GET /authentication/api/v1/exchange/id-porten gives one)")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=ALLOWED_ALGS,
            issuer=settings.TOKEN_ISSUER,
            audience=PERSON_TOKEN_AUDIENCE,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("Token is expired") from None
    except jwt.PyJWTError:
        raise InvalidToken("Invalid token") from None
    if claims.get("token_type") != PERSON_TOKEN_TYPE or any(name in claims for name in _VENDOR_CLAIMS):
        raise InvalidToken("Not a person token")
    if not is_valid_pid(claims.get("pid")) or not isinstance(claims.get("scope"), str):
        raise InvalidToken("Invalid token")
    return claims
