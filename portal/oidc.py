"""Login with ID-porten: an OpenID Connect relying party built on Authlib.

Authorization code flow with PKCE (S256), `state` and `nonce`; the provider found through its
`/.well-known/openid-configuration`; the id_token checked for signature (the provider's JWKS),
issuer, audience, expiry and nonce, then for a level of assurance (`acr`) at least OIDC_ACR_MIN.
The person is the `pid` claim (national identity number). Logout ends the provider's session too
(RP-initiated logout); a logout at the provider ends ours (front-channel, portal/oidc_logout.py, by the
id_token's `sid`).

Every way a login can go wrong ends in LoginFailed(reason), which the views turn into a clear page.
"""

import logging
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, InvalidKeyIdError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from lib import idporten
from lib.identifiers import is_valid_pid
from lib.idporten import CLOCK_LEEWAY_SECONDS, ID_TOKEN_ALGORITHMS, LoginFailed
from registry import audit
from registry.models import Person

log = logging.getLogger(__name__)

__all__ = ["LoginFailed"]  # raised by the functions here; the views catch it as oidc.LoginFailed

ID_TOKEN_SESSION_KEY = "oidc_id_token"


@dataclass(frozen=True)
class LoginResult:
    pid: str
    name: str
    acr: str
    id_token: str
    next_url: str
    sid: str = ""  # ID-porten's session, for front-channel logout


def is_enabled() -> bool:
    return settings.OIDC_ENABLED


def redirect_uri() -> str:
    return settings.PORTAL_BASE_URL + reverse("oidc:callback")


def post_logout_redirect_uri() -> str:
    return settings.PORTAL_BASE_URL + reverse("oidc:logged_out")


def start_login(request, next_url: str) -> str:
    """Remember state, nonce and PKCE verifier in the session; return the provider's login URL."""
    app = idporten.app()
    try:
        idporten.metadata(app)
        result = app.create_authorization_url(redirect_uri(), acr_values=settings.OIDC_ACR_MIN, ui_locales=_ui_locale())
    except requests.RequestException as exc:
        raise LoginFailed("unreachable", str(exc)) from exc
    url = result.pop("url")
    app.save_authorize_data(request, redirect_uri=redirect_uri(), next_url=next_url, **result)
    return url


def finish_login(request) -> LoginResult:
    """Check the provider's answer at the callback and return who logged in. Raises LoginFailed."""
    app = idporten.app()
    params = request.GET
    state = params.get("state", "")
    state_data = app.framework.get_state_data(request.session, state) if state else None
    if state_data is not None:
        # One use only: the same callback replayed finds no state and is refused.
        app.framework.clear_state_data(request.session, state)
    if params.get("error"):
        reason = "cancelled" if params["error"] == "access_denied" else "provider_error"
        raise LoginFailed(reason, f"{params['error']}: {params.get('error_description', '')}")
    if state_data is None:
        raise LoginFailed("state", "unknown, used or expired state")
    if "iss" in params and params["iss"] != settings.OIDC_ISSUER:
        raise LoginFailed("state", f"callback from issuer {params['iss']!r}")  # RFC 9207 mix-up defence
    if not params.get("code"):
        raise LoginFailed("provider_error", "no code in the callback")
    token = _fetch_token(app, code=params["code"], state_data=state_data)
    claims = _validate_id_token(app, token, nonce=state_data["nonce"])
    _check_acr(claims.get("acr"))
    pid = claims.get("pid")
    if not is_valid_pid(pid):
        raise LoginFailed("invalid_token", "no valid pid claim")
    return LoginResult(
        pid=pid,
        name=_name_from(claims),
        acr=claims["acr"],
        id_token=token["id_token"],
        next_url=_safe_next(request, state_data.get("next_url", "")),
        sid=_sid_from(claims),
    )


def logout_url(id_token: str) -> str | None:
    """The provider's end-session URL (RP-initiated logout), or None when the provider cannot be reached."""
    app = idporten.app()
    try:
        idporten.metadata(app)
        return app.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri(), id_token_hint=id_token, ui_locales=_ui_locale()
        )["url"]
    except (requests.RequestException, RuntimeError, LoginFailed) as exc:
        log.warning("ID-porten logout not possible, ending only our session: %s", exc)
        return None


def person_for_login(result: LoginResult, *, ip: str | None) -> tuple[Person, bool]:
    """The person with this pid, created on their first login. Returns (person, created)."""
    with transaction.atomic():
        person, created = Person.objects.get_or_create(pid=result.pid, defaults={"name": result.name})
        if not created and not person.name and result.name:
            Person.objects.filter(pk=person.pk, name="").update(name=result.name)
            person.refresh_from_db(fields=["name"])
        actor = audit.person_actor(person)
        if created:
            audit.record(
                "person.created", actor=actor, actor_person=person, object_type="person", object_id=person.pk,
                data={"source": "oidc"}, ip=ip,
            )  # fmt: skip
        audit.record(
            "person.login", actor=actor, actor_person=person, object_type="person", object_id=person.pk,
            data={"method": "oidc", "acr": result.acr}, ip=ip,
        )  # fmt: skip
    return person, created


# --- inside -----------------------------------------------------------------------------------------


def _fetch_token(app, *, code: str, state_data: dict) -> dict:
    try:
        token = app.fetch_access_token(
            redirect_uri=state_data["redirect_uri"], code=code, code_verifier=state_data["code_verifier"]
        )
    except requests.RequestException as exc:
        raise LoginFailed("unreachable", str(exc)) from exc
    except (OAuthError, MismatchingStateError, ValueError) as exc:
        raise LoginFailed("provider_error", f"token endpoint: {exc}") from exc
    if not token.get("id_token"):
        raise LoginFailed("invalid_token", "no id_token in the token response")
    return token


def _validate_id_token(app, token: dict, *, nonce: str) -> CodeIDToken:
    try:
        try:
            decoded = _decode(app, token["id_token"], force_keys=False)
        except InvalidKeyIdError:
            decoded = _decode(app, token["id_token"], force_keys=True)  # the provider rotated its keys
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": settings.OIDC_ISSUER},
                "aud": {"essential": True, "value": settings.OIDC_CLIENT_ID},
            },
            {"nonce": nonce, "client_id": settings.OIDC_CLIENT_ID, "access_token": token.get("access_token")},
        )
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except requests.RequestException as exc:
        raise LoginFailed("unreachable", f"JWKS: {exc}") from exc
    except ExpiredTokenError as exc:
        raise LoginFailed("expired", str(exc)) from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        raise LoginFailed("invalid_token", f"claim {exc.claim}: {exc}") from exc
    except (JoseError, ValueError) as exc:
        raise LoginFailed("invalid_token", f"{type(exc).__name__}: {exc}") from exc
    return claims


def _decode(app, id_token: str, *, force_keys: bool):
    keys = KeySet.import_key_set(app.fetch_jwk_set(force=force_keys))
    return jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)


def _check_acr(acr: object) -> None:
    levels = settings.OIDC_ACR_LEVELS
    if acr not in levels or levels.index(acr) < levels.index(settings.OIDC_ACR_MIN):
        raise LoginFailed("acr_too_low", f"acr {acr!r} below {settings.OIDC_ACR_MIN}")


def _name_from(claims) -> str:
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if isinstance(part, str) and part
    )
    return name.strip()[:200] if isinstance(name, str) else ""


def _sid_from(claims) -> str:
    sid = claims.get("sid")
    return sid if isinstance(sid, str) and 0 < len(sid) <= 255 else ""


def _ui_locale() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def _safe_next(request, target: str) -> str:
    allowed = {request.get_host()}
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=allowed, require_https=request.is_secure()):
        return target
    return ""
