"""Access tokens: issue ours (CONTRACT §1); verify every bearer token our APIs accept — ours, those of a
configured external Maskinporten, and platform tokens (lib/tokens/platform.py, told apart by their key).

The token looks like a Maskinporten token (claims `client_amr`, `token_type`, `consumer`, `scope`,
`authorization_details`) and carries RFC 9068's `typ: at+jwt` header and `sub`, so that resource owners
can validate it with either habit. We verify `typ` on our own tokens: it is what keeps a token of ours
from being confused with any other JWT we sign.
"""

import functools
import time
import uuid

import jwt
from django.conf import settings

from lib.identifiers import org_identifier, parse_org_identifier
from lib.tokens import keys

# The JWS algorithms we accept (CONTRACT §1) on our own and the external Maskinporten's access tokens.
ALLOWED_ALGS = ["RS256", "RS384", "RS512"]
# On a client's grant (maskinporten/assertion.py; advertised by the token endpoint's metadata): these, and
# ES256 for a client key on P-256 (a self-developed system's key may be either). The key's type binds the
# algorithm: an RS* grant verifies only with an RSA key, an ES256 grant only with an EC key.
GRANT_ALGS = {"RS256": "RSA", "RS384": "RSA", "RS512": "RSA", "ES256": "EC"}
ACCESS_TOKEN_TYP = "at+jwt"
MAX_TOKEN_LENGTH = 16 * 1024
_REQUIRED_CLAIMS = ["iss", "exp", "iat", "client_id", "scope", "consumer"]


class InvalidToken(Exception):
    """The bearer token is malformed, expired, not signed by a trusted key, or not an access token."""


def issue_access_token(*, client, scopes: list[str], authorization_details: list[dict] | None = None) -> dict:
    """Sign an access token for `client` (a maskinporten Client) and return the token endpoint's success body.

    Callers have checked the grant; this only builds and signs. `authorization_details` is the enriched
    list (systemuser_id, systemuser_org, system_id) for a system-user token, None for a plain token.
    """
    return sign_access_token(
        client_id=client.client_id,
        consumer_orgno=client.owner.orgno,
        scopes=scopes,
        authorization_details=authorization_details,
    )


def sign_access_token(
    *, client_id: str, consumer_orgno: str, scopes: list[str], authorization_details: list[dict] | None = None
) -> dict:
    """issue_access_token for callers that have the client's id and owner but no model instance."""
    now = int(time.time())
    lifetime = settings.TOKEN_LIFETIME_SECONDS
    scope = " ".join(scopes)
    claims = {
        "iss": settings.TOKEN_ISSUER,
        "client_amr": "private_key_jwt",
        "token_type": "Bearer",
        "client_id": client_id,
        "sub": client_id,
        "scope": scope,
        "consumer": org_identifier(consumer_orgno),
        "iat": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
    }
    if authorization_details is not None:
        claims["authorization_details"] = authorization_details
    key = keys.current_key()
    token = jwt.encode(
        claims, key.private_key, algorithm=keys.SIGNING_ALG, headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYP}
    )
    body = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": scope}
    if authorization_details is not None:
        body["authorization_details"] = authorization_details
    return body


def read_header(token: str) -> dict:
    """The unverified header of a token of acceptable size with an allowed algorithm; InvalidToken
    otherwise. Every verification of our tokens starts here, before any key is looked up."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("Malformed token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("Malformed token") from None
    if header.get("alg") not in ALLOWED_ALGS:
        raise InvalidToken("Algorithm not allowed")
    return header


def verify_access_token(token: str) -> dict:
    """The claims of a bearer token our APIs accept: an access token (ours, or the external Maskinporten's
    when configured) or a platform token (GET exchange/maskinporten). A vendor may use either.

    Raises InvalidToken for anything else: bad signature, unknown key, expired, wrong issuer or audience,
    a person token, a grant.
    """
    header = read_header(token)
    if _is_platform(header):
        return _verify_platform(token, header)
    return _verify_maskinporten(token, header)


def verify_maskinporten_token(token: str) -> dict:
    """The claims of a valid access token from /token or the external Maskinporten, and nothing else:
    what GET exchange/maskinporten takes. Raises InvalidToken."""
    header = read_header(token)
    if _is_platform(header):
        raise InvalidToken("This is a platform token already: GET /authentication/api/v1/refresh renews it")
    return _verify_maskinporten(token, header)


def verify_platform_token(token: str) -> dict:
    """The claims of a valid platform token, and nothing else: what GET refresh takes. Raises InvalidToken."""
    header = read_header(token)
    if not _is_platform(header):
        raise InvalidToken("Not a platform token: GET /authentication/api/v1/exchange/maskinporten gives one")
    return _verify_platform(token, header)


def _is_platform(header: dict) -> bool:
    return keys.PLATFORM.verification_key(header.get("kid")) is not None


def _verify_platform(token: str, header: dict) -> dict:
    claims = _decode(token, keys.PLATFORM.verification_key(header.get("kid")), settings.PLATFORM_TOKEN_ISSUER)
    _check_shape(claims)
    return claims


def _verify_maskinporten(token: str, header: dict) -> dict:
    kid = header.get("kid")
    own_key = keys.verification_key(kid)
    if own_key is not None:
        if header.get("typ") != ACCESS_TOKEN_TYP:
            raise InvalidToken("Not an access token")
        claims = _decode(token, own_key, settings.TOKEN_ISSUER)
    elif _external_configured() and isinstance(kid, str):
        try:
            external_key = _external_jwks().get_signing_key(kid).key
        except jwt.PyJWTError:
            raise InvalidToken("Unknown signing key") from None
        claims = _decode(token, external_key, settings.EXTERNAL_MASKINPORTEN_ISSUER)
    else:
        raise InvalidToken("Unknown signing key")
    _check_audience(claims)
    _check_shape(claims)
    return claims


def _decode(token: str, key, issuer: str) -> dict:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=ALLOWED_ALGS,
            issuer=issuer,
            options={"require": _REQUIRED_CLAIMS, "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("Token is expired") from None
    except jwt.InvalidIssuerError:
        raise InvalidToken("Token is from another issuer") from None
    except jwt.ImmatureSignatureError:
        raise InvalidToken("Token is not valid yet") from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("Token signature is not valid") from None
    except jwt.PyJWTError:
        raise InvalidToken("Invalid token") from None


def _check_audience(claims: dict) -> None:
    """A token that names an audience is meant for that API alone (RFC 8707 `resource`): it is good here
    only when it names us. Maskinporten sets no `aud` unless the client asks for one, nor do we."""
    if "aud" not in claims:
        return
    aud = claims["aud"]
    named = aud if isinstance(aud, list) else [aud]
    ours = {audience.rstrip("/") for audience in settings.ACCEPTED_TOKEN_AUDIENCES}
    if not any(isinstance(name, str) and name.rstrip("/") in ours for name in named):
        raise InvalidToken("Token is for another audience")


def _check_shape(claims: dict) -> None:
    if not isinstance(claims.get("client_id"), str) or not isinstance(claims.get("scope"), str):
        raise InvalidToken("Invalid token")
    if parse_org_identifier(claims.get("consumer")) is None:
        raise InvalidToken("Invalid consumer")


def _external_configured() -> bool:
    return bool(settings.EXTERNAL_MASKINPORTEN_ISSUER and settings.EXTERNAL_MASKINPORTEN_JWKS_URL)


@functools.cache
def _external_jwks() -> jwt.PyJWKClient:
    # One client per process: it caches the JWKS and refetches only for an unknown kid.
    return jwt.PyJWKClient(settings.EXTERNAL_MASKINPORTEN_JWKS_URL, cache_keys=True, lifespan=3600, timeout=5)


def consumer_orgno(claims: dict) -> str:
    return parse_org_identifier(claims.get("consumer")) or ""


def scopes_of(claims: dict) -> frozenset[str]:
    return frozenset(str(claims.get("scope", "")).split())


def systemuser_authorization_details(system_user) -> list[dict]:
    """The enriched `urn:altinn:systemuser` detail of a system-user token (CONTRACT §1)."""
    return systemuser_details(system_user.id, system_user.owner.orgno, system_user.system.system_id)


def systemuser_details(system_user_id, owner_orgno: str, system_id: str) -> list[dict]:
    return [
        {
            "type": "urn:altinn:systemuser",
            "systemuser_id": [str(system_user_id)],
            "systemuser_org": org_identifier(owner_orgno),
            "system_id": system_id,
        }
    ]
