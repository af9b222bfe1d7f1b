"""GET /authentication/api/v1/exchange/id-porten: a person's ID-porten access token for a person token
(the view, for both providers, is exchange_views.py).

As Altinn: the vendor's program sends the ID-porten *access* token as `Authorization: Bearer …` and
gets our token back as the plain response body (text/plain), to use on the end-user client-delegation
API. We trust one issuer, the ID-porten the portal logs in with (OIDC_ISSUER); its discovery document
and keys are fetched once per process and kept (portal.idporten.provider_keys).

The ID-porten token must be a JWT signed with an asymmetric algorithm by one of the issuer's keys, with
`iss` = OIDC_ISSUER, an `exp` in the future, a valid `pid` (the person), an `acr` at least OIDC_ACR_MIN
(what the portal asks for its own login), `aud` = IDPORTEN_EXCHANGE_AUDIENCE when that is set, and
one or both of our scopes `altinn:clientdelegations.read|write` — only those are carried over.
Anything else is 401 (403 when only the scope is missing, as Altinn), and every exchange is audited.
"""

import logging
import math
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import transaction
from joserfc import jws, jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from lib import idporten
from lib.errors import ServiceError
from lib.identifiers import is_valid_pid
from lib.tokens.access import MAX_TOKEN_LENGTH
from lib.tokens.person import PERSON_SCOPES, sign_person_token
from registry import audit
from registry.models import Person

log = logging.getLogger(__name__)

# Asymmetric only: an HMAC ("HS256") token could be forged with a public value, "none" is no signature.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
CLOCK_LEEWAY_SECONDS = 10  # for `nbf`/`iat` only; `exp` has none
# A token naming a key we have not seen makes us fetch the issuer's keys again (a rotation), but not
# more often than this: otherwise anyone could make every request cost a fetch from ID-porten.
KEY_REFRESH_INTERVAL_SECONDS = 60
_last_key_refresh = 0.0


class ExchangeRefused(ServiceError):
    """The token cannot be exchanged: 401 (or 403 for a missing scope), problem+json."""

    def __init__(self, detail: str, *, status: int = 401):
        super().__init__(f"HTTP-{status}", detail, status=status)


@dataclass(frozen=True)
class IdPortenLogin:
    pid: str
    scopes: list[str]
    acr: str
    exp: int
    client_id: str  # the vendor's ID-porten client, for the audit trail
    jti: str


def verify_idporten_token(token: str) -> IdPortenLogin:
    """The person and scopes of a valid ID-porten access token. Raises ExchangeRefused."""
    if not settings.OIDC_ENABLED or not settings.OIDC_ISSUER:
        raise ExchangeRefused("No ID-porten issuer is configured here: nothing can be exchanged")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise ExchangeRefused("The token is not a JWT")
    claims = _verified_claims(token)
    now = time.time()
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if claims.get("iss") != settings.OIDC_ISSUER:
        raise ExchangeRefused("The token is not from the trusted ID-porten issuer")
    if not _is_number(exp) or exp <= now:
        raise ExchangeRefused("The token is expired")
    if nbf is not None and (not _is_number(nbf) or nbf > now + CLOCK_LEEWAY_SECONDS):
        raise ExchangeRefused("The token is not valid yet")
    if iat is not None and (not _is_number(iat) or iat > now + CLOCK_LEEWAY_SECONDS):
        raise ExchangeRefused("The token is issued in the future")
    if settings.IDPORTEN_EXCHANGE_AUDIENCE and not _names_audience(claims.get("aud")):
        raise ExchangeRefused("The token is not for this API (audience)")
    pid = claims.get("pid")
    if not is_valid_pid(pid):
        raise ExchangeRefused("The token has no valid pid (national identity number)")
    acr = claims.get("acr")
    levels = settings.OIDC_ACR_LEVELS
    if acr not in levels or levels.index(acr) < levels.index(settings.OIDC_ACR_MIN):
        raise ExchangeRefused(f"The login's level of assurance (acr) is below {settings.OIDC_ACR_MIN}")
    scope = claims.get("scope")
    granted = scope.split() if isinstance(scope, str) else []
    scopes = [s for s in PERSON_SCOPES if s in granted]
    if not scopes:
        detail = "The token carries no client-delegation scope (altinn:clientdelegations.read or .write)"
        raise ExchangeRefused(detail, status=403)
    client_id = claims.get("client_id")
    jti = claims.get("jti")
    return IdPortenLogin(
        pid=pid,
        scopes=scopes,
        acr=acr,
        exp=int(exp),
        client_id=client_id[:200] if isinstance(client_id, str) else "",
        jti=jti[:200] if isinstance(jti, str) else "",
    )


def _verified_claims(token: str) -> dict:
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError):
        raise ExchangeRefused("The token is not a JWT") from None
    if header.get("alg") not in ALGORITHMS:
        raise ExchangeRefused("The token's signature algorithm is not allowed")
    if not isinstance(header.get("kid"), str):
        raise ExchangeRefused("The token names no signing key (kid)")
    try:
        try:
            decoded = jwt.decode(token, _keys(refresh=False), algorithms=ALGORITHMS)
        except InvalidKeyIdError:
            if not _may_refresh():
                raise
            decoded = jwt.decode(token, _keys(refresh=True), algorithms=ALGORITHMS)
    except InvalidKeyIdError:
        raise ExchangeRefused("The token is not signed by a key of the trusted ID-porten issuer") from None
    except (JoseError, ValueError, TypeError):
        raise ExchangeRefused("The token's signature is not valid") from None
    if not isinstance(decoded.claims, dict):
        raise ExchangeRefused("The token is not a JWT")
    return decoded.claims


def _keys(*, refresh: bool) -> KeySet:
    try:
        return KeySet.import_key_set(idporten.provider_keys(refresh=refresh))
    except (requests.RequestException, idporten.LoginFailed, ValueError, JoseError) as exc:
        log.warning("ID-porten keys not available for a token exchange: %s", exc)
        raise ServiceError(
            "HTTP-503", "ID-porten cannot be reached to check the token; try again", status=503
        ) from None


def _may_refresh() -> bool:
    global _last_key_refresh
    now = time.monotonic()
    if now - _last_key_refresh < KEY_REFRESH_INTERVAL_SECONDS:
        return False
    _last_key_refresh = now
    return True


def _is_number(value) -> bool:
    # JSON from a signed token may still hold true, NaN or Infinity: none is a time.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _names_audience(aud) -> bool:
    wanted = settings.IDPORTEN_EXCHANGE_AUDIENCE
    return aud == wanted or (isinstance(aud, list) and wanted in aud)


@transaction.atomic
def exchange(token: str, *, ip: str | None) -> tuple[str, dict]:
    """Verify the ID-porten token and sign a person token for it, with an audit event. Returns (token, claims)."""
    login = verify_idporten_token(token)
    person_token, claims = sign_person_token(pid=login.pid, scopes=login.scopes, not_after=login.exp, acr=login.acr)
    person = Person.objects.filter(pid=login.pid).first()
    audit.record(
        "person.token_exchanged",
        actor=f"person:{login.pid}",
        actor_person=person,
        object_type="person",
        object_id=person.pk if person else "",
        data={
            "provider": "id-porten",
            "idporten_client_id": login.client_id,
            "idporten_jti": login.jti,
            "acr": login.acr,
            "scope": claims["scope"],
            "jti": claims["jti"],
            "expires": claims["exp"],
        },
        ip=ip,
    )
    return person_token, claims
