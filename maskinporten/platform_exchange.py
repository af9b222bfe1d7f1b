"""GET exchange/maskinporten and GET refresh: a Maskinporten token for a platform token, and a platform
token for a fresh one (Altinn's AuthenticationController; the token itself is lib/tokens/platform.py).

What goes in: an access token from our /token or from the external Maskinporten (verified by
lib.tokens.access like every bearer token), never a person token, an ID-porten token or a platform token.
Beyond what Altinn checks, we ask the database once: the token's client must still be an active client
of ours (or the external Maskinporten's), and for a system-user token the system user must still be live
and still let that client act for it — so no platform token, first or refreshed, is made for a system
user that is gone (DESIGN §5.1). The PDP decides on the system user as it is at each call anyway.

Refusals raise InvalidToken (401 at the view, logged and counted there, not audited one row each);
every token made is audited (`token.exchanged`, `token.refreshed`).
"""

import uuid

from django.conf import settings

from lib.identifiers import parse_org_identifier
from lib.tokens import platform
from lib.tokens.access import (
    InvalidToken,
    consumer_orgno,
    read_header,
    verify_maskinporten_token,
    verify_platform_token,
)
from lib.tokens.person import PERSON_TOKEN_TYP
from maskinporten.lookup import system_user_still_grantable
from maskinporten.models import Client
from registry import audit

SYSTEMUSER_TYPE = "urn:altinn:systemuser"


def exchange(token: str, *, ip: str | None) -> tuple[str, dict]:
    """The platform token for a Maskinporten token. Returns (token, claims); raises InvalidToken."""
    if read_header(token).get("typ") == PERSON_TOKEN_TYP:
        raise InvalidToken("A person token is not exchanged here: GET exchange/id-porten takes the ID-porten token")
    source = verify_maskinporten_token(token)
    if "pid" in source:
        raise InvalidToken("A person's token is not exchanged here: GET exchange/id-porten takes it")
    system_user_id = _check_still_valid(source)
    platform_token, claims = platform.exchange_token(source)
    _audit("token.exchanged", claims, system_user_id, ip=ip, extra={"source_jti": str(source.get("jti", ""))[:200]})
    return platform_token, claims


def refresh(token: str, *, ip: str | None) -> tuple[str, dict]:
    """A new platform token for a valid platform token. Returns (token, claims); raises InvalidToken."""
    current = verify_platform_token(token)
    system_user_id = _check_still_valid(current)
    platform_token, claims = platform.refresh_token(current)
    _audit("token.refreshed", claims, system_user_id, ip=ip, extra={"previous_jti": str(current.get("jti", ""))[:200]})
    return platform_token, claims


def _check_still_valid(claims: dict) -> str:
    """Refuse a token whose client or system user no longer holds; the system user's id, or ""."""
    client_id, vendor_orgno = claims["client_id"], consumer_orgno(claims)
    ours = Client.objects.filter(client_id=client_id).values_list("is_active", "owner__orgno", "owner__is_deleted")
    row = ours.first()
    if row is None and not settings.EXTERNAL_MASKINPORTEN_ISSUER:
        raise InvalidToken(f"Client {client_id[:200]} is not known here")
    if row is not None and row != (True, vendor_orgno, False):
        raise InvalidToken(f"Client {client_id[:200]} is no longer active")
    detail = _systemuser_detail(claims)
    if detail is None:
        return ""
    system_user_id = _one_uuid(detail.get("systemuser_id"))
    if system_user_id is None:
        raise InvalidToken("The token's authorization_details names no system user")
    if not system_user_still_grantable(system_user_id=system_user_id, client_id=client_id, vendor_orgno=vendor_orgno):
        raise InvalidToken(
            f"System user {system_user_id} is deleted, or its system no longer lists client {client_id[:200]}"
        )
    return system_user_id


def _systemuser_detail(claims: dict) -> dict | None:
    details = claims.get("authorization_details")
    if details is None:
        return None
    if not isinstance(details, list):
        raise InvalidToken("The token's authorization_details is not a list")
    found = [d for d in details if isinstance(d, dict) and d.get("type") == SYSTEMUSER_TYPE]
    return found[0] if found else None


def _one_uuid(ids) -> str | None:
    if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
        return None
    try:
        return str(uuid.UUID(ids[0]))
    except ValueError:
        return None


def _audit(action: str, claims: dict, system_user_id: str, *, ip: str | None, extra: dict) -> None:
    detail = _systemuser_detail(claims) or {}
    audit.record(
        action,
        actor=f"client:{claims['client_id']}",
        object_type="systemuser" if system_user_id else "client",
        object_id=system_user_id or claims["client_id"],
        party_orgno=parse_org_identifier(detail.get("systemuser_org")) or "",
        data={
            "provider": platform.MASKINPORTEN,
            "client_id": claims["client_id"],
            "consumer": claims[platform.ORG_NUMBER],
            "scope": claims["scope"],
            "jti": claims["jti"],
            "expires": claims["exp"],
            **extra,
        },
        ip=ip,
    )
