"""ID-porten as an OpenID provider: its configuration, discovery document and keys, kept per process.

Used by the portal's login (portal/oidc.py) and by the person-token exchange (maskinporten/exchange.py),
so that both see one configuration, one discovery cache and one set of keys.
"""

import functools
import time
from dataclasses import dataclass

from authlib.integrations.django_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from django.conf import settings
from joserfc.jwk import RSAKey

# Asymmetric algorithms only: an id_token signed with "none" or an HMAC is never accepted, whatever
# the discovery document says.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
CLOCK_LEEWAY_SECONDS = 60
METADATA_MAX_AGE_SECONDS = 24 * 3600


class LoginFailed(Exception):
    """A login that cannot go on. `reason` picks the page the person sees; `detail` goes to the log."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class _Config:
    issuer: str
    client_id: str
    credential: str  # the client secret, or the private key file for private_key_jwt
    auth_method: str
    key_id: str
    scopes: str
    timeout: int


def provider_keys(*, refresh: bool = False) -> dict:
    """The configured provider's JWKS, for checking its access tokens (maskinporten/exchange.py).

    Discovery and keys are fetched once per process and kept (the login uses the same cache);
    `refresh` fetches the keys again, for a token signed with a key we have not seen.
    Raises requests.RequestException when the provider cannot be reached, LoginFailed when its
    discovery document names another issuer.
    """
    client = app()
    metadata(client)
    return client.fetch_jwk_set(force=refresh)


def config() -> _Config:
    jwt_auth = settings.OIDC_CLIENT_AUTH_METHOD == "private_key_jwt"
    return _Config(
        issuer=settings.OIDC_ISSUER,
        client_id=settings.OIDC_CLIENT_ID,
        credential=settings.OIDC_PRIVATE_KEY_FILE if jwt_auth else settings.OIDC_CLIENT_SECRET,
        auth_method=settings.OIDC_CLIENT_AUTH_METHOD,
        key_id=settings.OIDC_PRIVATE_KEY_ID,
        scopes=settings.OIDC_SCOPES,
        timeout=settings.OIDC_TIMEOUT_SECONDS,
    )


def app():
    return _app_for(config())


@functools.lru_cache(maxsize=8)
def _app_for(config: _Config):
    """One Authlib client per configuration, kept for the process: discovery and JWKS are fetched once."""
    client_auth_methods = None
    credential = config.credential
    if config.auth_method == "private_key_jwt":
        with open(config.credential, encoding="utf-8") as key_file:
            credential = RSAKey.import_key(key_file.read())
        # ID-porten wants the issuer as the client assertion's audience (Authlib's default is the token URL).
        client_auth_methods = [PrivateKeyJWT(config.issuer, headers={"kid": config.key_id}, alg="RS256")]
    return OAuth().register(
        name="idporten",
        client_id=config.client_id,
        client_secret=credential,
        server_metadata_url=config.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_auth_methods=client_auth_methods,
        client_kwargs={
            "scope": config.scopes,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": config.auth_method,
            "default_timeout": config.timeout,
        },
    )


def metadata(app) -> dict:
    loaded_at = app.server_metadata.get("_loaded_at")
    if loaded_at and time.time() - loaded_at > METADATA_MAX_AGE_SECONDS:
        app.server_metadata.clear()
    metadata = app.load_server_metadata()
    if metadata.get("issuer") != settings.OIDC_ISSUER:
        found = metadata.get("issuer")
        app.server_metadata.clear()
        raise LoginFailed("provider_error", f"discovery names issuer {found!r}, not {settings.OIDC_ISSUER!r}")
    return metadata
