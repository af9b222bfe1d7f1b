"""Strict checks of the ID-porten (OIDC) settings, run once when the settings load.

A bad combination stops the start with an ImproperlyConfigured naming the variable to fix, rather
than a login that fails later in front of a user.
"""

from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def check_oidc_settings(
    *,
    issuer: str,
    client_id: str,
    secret: str,
    key_file: str,
    key_id: str,
    auth_method: str,
    auth_methods: tuple[str, ...],
    scopes: str,
    acr_min: str,
    acr_levels: tuple[str, ...],
    production: bool,
) -> None:
    if not issuer or not client_id:
        raise ImproperlyConfigured("OIDC_ISSUER and OIDC_CLIENT_ID must both be set to log in with ID-porten")
    _check_issuer(issuer, production=production)
    if auth_method not in auth_methods:
        allowed = ", ".join(auth_methods)
        raise ImproperlyConfigured(f"OIDC_CLIENT_AUTH_METHOD must be one of {allowed}, not {auth_method!r}")
    if auth_method == "private_key_jwt":
        if not key_file:
            raise ImproperlyConfigured("OIDC_CLIENT_AUTH_METHOD=private_key_jwt needs OIDC_PRIVATE_KEY_FILE")
        _check_private_key(key_file)
        if not key_id:
            raise ImproperlyConfigured("OIDC_PRIVATE_KEY_ID (the key's kid registered at ID-porten) must be set")
    elif not secret:
        raise ImproperlyConfigured(f"OIDC_CLIENT_AUTH_METHOD={auth_method} needs OIDC_CLIENT_SECRET")
    if "openid" not in scopes.split():
        raise ImproperlyConfigured(f"OIDC_SCOPES must include openid, not {scopes!r}")
    if acr_min not in acr_levels:
        raise ImproperlyConfigured(f"OIDC_ACR_MIN must be one of {', '.join(acr_levels)}, not {acr_min!r}")


def _check_private_key(key_file: str) -> None:
    try:
        key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
    except OSError:
        raise ImproperlyConfigured(f"OIDC_PRIVATE_KEY_FILE {key_file!r} is not a readable file") from None
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            f"OIDC_PRIVATE_KEY_FILE {key_file!r} is not an unencrypted PEM private key"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ImproperlyConfigured(f"OIDC_PRIVATE_KEY_FILE {key_file!r} must hold an RSA key of at least 2048 bits")


def _check_issuer(issuer: str, *, production: bool) -> None:
    parts = urlsplit(issuer)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK and not production)
    if not parts.hostname or not secure or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"OIDC_ISSUER must be the provider's https URL (e.g. https://test.idporten.no), not {issuer!r}"
        )
