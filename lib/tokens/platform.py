"""Platform tokens: what GET /authentication/api/v1/exchange/maskinporten gives for a Maskinporten token.

Altinn's platform APIs take no Maskinporten token directly: a client first exchanges it for a token of
the platform's own ("Altinn token"). As Altinn (AuthenticationController.AuthenticateMaskinportenToken),
the platform token is the Maskinporten token's claims — `scope`, `client_id`, `consumer`, `token_type`,
`authorization_details` and whatever else it carries, unchanged — without `aud`, `iss`, `client_amr`
and `sid`, plus the organisation claims `urn:altinn:orgNumber`, `urn:altinn:authenticatemethod`
("maskinporten") and `urn:altinn:authlevel` (3), a new `sid`, and our platform issuer.

It is signed with the platform keys (keys.PLATFORM), never with the token endpoint's, and published at
the OpenID metadata's `jwks_uri`: the key tells a platform token from an access token, so neither can
pass for the other. Verified by access.verify_access_token like every bearer token of our APIs.
"""

import time
import uuid

import jwt
from django.conf import settings

from lib.tokens import keys
from lib.tokens.access import consumer_orgno

ORG_NUMBER = "urn:altinn:orgNumber"
AUTHENTICATE_METHOD = "urn:altinn:authenticatemethod"
AUTHLEVEL = "urn:altinn:authlevel"
MASKINPORTEN = "maskinporten"
MASKINPORTEN_AUTHLEVEL = 3  # what Altinn gives every Maskinporten login
PLATFORM_TOKEN_TYP = "JWT"  # as Altinn's tokens; the signing key, not `typ`, is what sets them apart
# Set anew on every platform token: its issuer, session id, token id and times.
_OWN_CLAIMS = ("iss", "sid", "jti", "iat", "nbf", "exp")
# Not carried over from the Maskinporten token (as Altinn: aud, iss, client_amr, sid): the Altinn claims
# are ours to set, never the caller's.
_DROPPED = {"aud", "client_amr", *_OWN_CLAIMS}


def exchanged_claims(source: dict) -> dict:
    """The claims a platform token carries for a verified Maskinporten token's claims (times still unset)."""
    carried = {
        name: value for name, value in source.items() if name not in _DROPPED and not name.startswith("urn:altinn:")
    }
    return {
        **carried,
        ORG_NUMBER: consumer_orgno(source),
        AUTHENTICATE_METHOD: MASKINPORTEN,
        AUTHLEVEL: MASKINPORTEN_AUTHLEVEL,
    }


def sign_platform_token(claims: dict, *, not_after: int) -> tuple[str, dict]:
    """Sign a platform token with these claims, expiring by `not_after` (epoch seconds) at the latest and
    within PLATFORM_TOKEN_LIFETIME_SECONDS. Returns (token, all claims)."""
    now = int(time.time())
    signed = {name: value for name, value in claims.items() if name not in _OWN_CLAIMS}
    signed.update(
        iss=settings.PLATFORM_TOKEN_ISSUER,
        sid=str(uuid.uuid4()),
        jti=str(uuid.uuid4()),
        iat=now,
        nbf=now,
        exp=min(int(not_after), now + settings.PLATFORM_TOKEN_LIFETIME_SECONDS),
    )
    key = keys.PLATFORM.current_key()
    headers = {"kid": key.kid, "typ": PLATFORM_TOKEN_TYP}
    return jwt.encode(signed, key.private_key, algorithm=keys.SIGNING_ALG, headers=headers), signed


def exchange_token(source: dict) -> tuple[str, dict]:
    """The platform token for a verified Maskinporten token: it expires no later than that token."""
    return sign_platform_token(exchanged_claims(source), not_after=source["exp"])


def refresh_token(current: dict) -> tuple[str, dict]:
    """A new platform token with the claims of a verified one, living as long as that one was made to."""
    lifetime = max(0, int(current["exp"]) - int(current["iat"]))
    return sign_platform_token(current, not_after=int(time.time()) + lifetime)
