"""The JWT-bearer grant (RFC 7523 as Maskinporten profiles it, RFC 9396 authorization_details): one
service that checks a grant, issues the token, and records it whichever way it goes: a log line for each
request, and one upsert in the system user's usage (registry.usage) for a token issued (in the same
statement that spends the `jti`) or a refusal of a client that proved who it is. Token traffic is not
written to the audit log one event per token.

The order of checks is chosen so that nothing an unauthenticated caller sends reaches the database
beyond one indexed read (the key it names, and the system user it asks for), and so that the `jti` is
only spent once the grant is otherwise good. A token costs two round trips: that read, and one
statement that spends the `jti` and counts the token.
"""

import json
import logging
import math
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone

from lib.compiled import CompiledInsertOnce, CompiledQuery
from lib.identifiers import ORG_AUTHORITY, ORG_ICD, is_valid_orgno
from lib.tokens import keys
from lib.tokens.access import sign_access_token, systemuser_details
from maskinporten.assertion import Assertion, BadAssertion, parse
from maskinporten.lookup import grantable_system_users, why_no_system_user
from maskinporten.models import Client, ClientKey, UsedGrant
from registry import usage
from registry.models import RefusalReason

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SYSTEMUSER_TYPE = "urn:altinn:systemuser"
ALLOWED_CLAIMS = {"aud", "iss", "sub", "iat", "exp", "nbf", "jti", "scope", "authorization_details"}
IAT_SKEW_SECONDS = 10
MAX_GRANT_LIFETIME_SECONDS = 120
MAX_ID_LENGTH = 200
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,200}")  # RFC 6749 §3.3
PURGE_INTERVAL_SECONDS = 60

logger = logging.getLogger(__name__)


class GrantError(Exception):
    """A refused grant: `error` and `description` go to the client, `reason` only to the log and the
    refusal record; `refusal` and `detail` (e.g. the externalRef asked for) tell the business why."""

    def __init__(self, error: str, description: str, *, reason: str = "", refusal=RefusalReason.OTHER, detail=""):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.reason = reason or description
        self.refusal = refusal
        self.detail = detail


class GrantClient(NamedTuple):
    """What the token endpoint needs of a client: cheaper than a model instance on the hot path."""

    client_id: str
    owner_orgno: str
    scopes: list[str]
    is_active: bool


@dataclass
class _Seen:
    """What we learnt about the grant so far, for the log line and the usage record."""

    client_id: str = ""
    consumer_orgno: str = ""
    kid: str = ""
    jti: str = ""
    scope: str = ""
    party_orgno: str = ""
    system_user_id: str = ""
    verified: bool = False  # the client's signature verified: a refusal can be told to someone


def exchange_grant(
    *, grant_type: str | None, assertion: str | None, ip: str | None = None, arrived: float | None = None
) -> dict:
    """Check the grant and return the token endpoint's success body, or raise GrantError.

    `arrived`: when the request arrived (lib/arrival.py); the grant's times are checked against it, so
    a request that waited in a queue or behind a lock is not refused as stale.
    """
    seen = _Seen()
    try:
        return _exchange(seen, grant_type, assertion, ip, arrived)
    except GrantError as exc:
        _refused(seen, exc, ip=ip)
        raise


def refuse_request(error: str, description: str, *, ip: str | None = None) -> GrantError:
    """Log a request refused before it reached the grant (e.g. an oversized body) and return the error."""
    exc = GrantError(error, description)
    _refused(_Seen(), exc, ip=ip)
    return exc


def _exchange(
    seen: _Seen, grant_type: str | None, assertion: str | None, ip: str | None, arrived: float | None
) -> dict:
    if not grant_type:
        raise GrantError("invalid_request", "grant_type is missing")
    if grant_type != GRANT_TYPE:
        raise GrantError("unsupported_grant_type", f"Only {GRANT_TYPE} is supported")
    if not assertion:
        raise GrantError("invalid_request", "assertion is missing")
    grant = _parse(assertion)
    seen.kid = grant.kid
    # The system user asked for is read in the same statement as the client's key (one round trip), so
    # its parameters are parsed here; a malformed authorization_details is refused where it always was,
    # after the signature and the other claims.
    wanted, details_error = None, None
    if "authorization_details" in grant.claims:
        try:
            wanted = parse_authorization_details(grant.claims["authorization_details"])
        except GrantError as exc:
            details_error = exc
    client, jwk, system_user = _client_key(seen, grant, wanted)
    try:
        grant.verify_signature(jwk)
    except BadAssertion as exc:
        raise GrantError("invalid_grant", "Invalid assertion", reason=str(exc)) from None
    seen.verified = True
    claims = grant.claims
    _check_claims(seen, claims, client.client_id, arrived)
    scopes = _check_scopes(seen, claims, client)
    details = None
    if "authorization_details" in claims:
        if details_error is not None:
            raise details_error
        owner_orgno, external_ref = wanted
        seen.party_orgno = owner_orgno
        if system_user is None:
            lookup = {"client_id": client.client_id, "vendor_orgno": client.owner_orgno, "owner_orgno": owner_orgno}
            lookup["external_ref"] = external_ref if external_ref is not None else owner_orgno
            refusal, why = why_no_system_user(**lookup)
            detail = lookup["external_ref"] if refusal == RefusalReason.UNKNOWN_EXTERNAL_REF else ""
            raise GrantError("invalid_altinn_customer_configuration", why, refusal=refusal, detail=detail)
        seen.system_user_id = str(uuid.UUID(str(system_user["id"])))
        details = systemuser_details(seen.system_user_id, owner_orgno, system_user["system_id"])
    body = _spend_and_issue(seen, client, scopes, details, expires=claims["exp"], ip=ip)
    _maybe_purge_used_grants()
    return body


def _parse(assertion: str) -> Assertion:
    try:
        grant = parse(assertion)  # parsed already by the rate limit in the same request
        grant.check_header()
    except BadAssertion as exc:
        raise GrantError("invalid_grant", "Invalid assertion", reason=str(exc)) from None
    # Our own access and platform tokens are signed JWTs too; one must never pass as a grant.
    if grant.header.get("typ") == "at+jwt" or any(ring.verification_key(grant.kid) for ring in keys.RINGS):
        raise GrantError("invalid_grant", "Invalid assertion", reason="an access token is not a grant")
    return grant


def _key_and_system_user(client_id: str, kid: str, owner_orgno: str, external_ref: str):
    """The key a grant names with its client (ClientKey.for_grant) and, as one more column, the system user
    the grant asks for by the look-up rule (lookup.grantable_system_users, the client's owner as the
    vendor): {"id", "system_id"} or NULL. One indexed statement, one round trip."""
    system_user = grantable_system_users(
        client_id=client_id,
        owner_orgno=owner_orgno,
        external_ref=external_ref,
        vendor_orgno=OuterRef("client__owner__orgno"),
    )
    found = system_user.order_by().values(found=JSONObject(id="id", system_id="system__system_id"))[:1]
    return ClientKey.objects.for_grant(client_id, kid).annotate(system_user=Subquery(found))[:1]


_client_key_row = CompiledQuery(
    _key_and_system_user,
    client_id="\x1fclient_id\x1f",
    kid="\x1fkid\x1f",
    owner_orgno="\x1fowner_orgno\x1f",
    external_ref="\x1fexternal_ref\x1f",
)
_spend_used_grant = CompiledInsertOnce(UsedGrant, "client_id", "jti", "expires_at", key=("client_id", "jti"))


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _client_key(
    seen: _Seen, grant: Assertion, wanted: tuple[str, str | None] | None
) -> tuple[GrantClient, dict, dict | None]:
    """The client, the public JWK the grant names, and the system user `wanted` ((owner orgno,
    externalRef or None), from authorization_details) if the look-up rule finds one. One indexed query."""
    iss = grant.claims.get("iss")
    if not isinstance(iss, str) or not 0 < len(iss) <= MAX_ID_LENGTH:
        raise GrantError("invalid_grant", "Invalid assertion", reason="iss is missing or malformed")
    seen.client_id = iss
    owner_orgno, external_ref = wanted or ("", "")  # no orgno is empty: no system user
    external_ref = owner_orgno if external_ref is None else external_ref
    rows = _client_key_row.rows(client_id=iss, kid=grant.kid, owner_orgno=owner_orgno, external_ref=external_ref)
    if not rows:
        if Client.objects.active().filter(pk=iss).exists():
            raise GrantError("invalid_grant", "Invalid assertion", reason=f"kid {grant.kid!r} is not on the client")
        raise GrantError("invalid_grant", "Client not found")
    jwk, retired_at, is_active, scopes, owner_orgno, owner_deleted, system_user = rows[0]
    client = GrantClient(iss, owner_orgno, _json(scopes) or [], bool(is_active))
    seen.consumer_orgno = owner_orgno
    if not client.is_active:
        raise GrantError("invalid_grant", "Client not found", reason="client is deactivated")
    if owner_deleted:
        raise GrantError("invalid_grant", "Client not found", reason="the client's owner is deleted")
    if retired_at is not None:
        raise GrantError("invalid_grant", "Invalid assertion", reason=f"key {grant.kid!r} is retired")
    return client, _json(jwk), _json(system_user)


def _now() -> float:
    return time.time()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_claims(seen: _Seen, claims: dict, client_id: str, arrived: float | None = None) -> None:
    def invalid(why: str, description: str = "") -> GrantError:
        return GrantError("invalid_grant", description or f"Invalid assertion: {why}", reason=why)

    unknown = set(claims) - ALLOWED_CLAIMS
    if unknown:
        raise invalid("unknown claims: " + ", ".join(sorted(unknown))[:300], "Invalid assertion")
    if claims.get("aud") != settings.TOKEN_ISSUER:
        raise invalid(f"aud must be the issuer string {settings.TOKEN_ISSUER!r}")
    if "sub" in claims and claims["sub"] != client_id:
        raise invalid("sub must be the client id")
    now = min(arrived, _now()) if arrived is not None else _now()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _is_number(exp):
        raise invalid("exp is missing or not a number")
    if not _is_number(iat):
        raise invalid("iat is missing or not a number")
    if exp <= now:
        raise invalid("exp is in the past", "JWT is expired")
    if abs(iat - now) > IAT_SKEW_SECONDS:
        raise invalid(f"iat must be within {IAT_SKEW_SECONDS} seconds of server time")
    if exp - iat > MAX_GRANT_LIFETIME_SECONDS:
        raise invalid(f"exp - iat must be at most {MAX_GRANT_LIFETIME_SECONDS} seconds")
    if "nbf" in claims and not (_is_number(claims["nbf"]) and claims["nbf"] <= now + IAT_SKEW_SECONDS):
        raise invalid("nbf is not a number or in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_ID_LENGTH:
        raise invalid("jti is missing or malformed")
    seen.jti = jti


def _check_scopes(seen: _Seen, claims: dict, client: GrantClient) -> list[str]:
    scope = claims.get("scope")
    if not isinstance(scope, str) or not scope.strip():
        raise GrantError("invalid_scope", "scope is missing")
    scopes = list(dict.fromkeys(scope.split()))
    seen.scope = " ".join(scopes)[:500]
    malformed = [s for s in scopes if not SCOPE_TOKEN.fullmatch(s)]
    if malformed:
        raise GrantError("invalid_scope", "scope is malformed")
    allowed = set(client.scopes)
    refused = [s for s in scopes if s not in allowed]
    if refused:
        raise GrantError("invalid_scope", "Scope not allowed for this client: " + " ".join(refused)[:300])
    return scopes


def parse_authorization_details(value: object) -> tuple[str, str | None]:
    """(owner orgno, externalRef or None) from RFC 9396 `authorization_details`, else GrantError
    `invalid_authorization_details`. Field names match case-insensitively (CONTRACT, all JSON input)."""

    def bad(why: str) -> GrantError:
        return GrantError("invalid_authorization_details", why)

    if not isinstance(value, list):
        raise bad("authorization_details must be a JSON array")
    if len(value) != 1:
        raise bad("authorization_details must have exactly one entry (one organisation)")
    entry = value[0]
    if not isinstance(entry, dict):
        raise bad("authorization_details entry must be a JSON object")
    names = {name.lower(): name for name in entry}
    if len(names) != len(entry):
        raise bad("authorization_details entry has the same field twice")
    if "type" not in names:
        raise bad("type is missing")
    type_ = entry[names["type"]]
    if not isinstance(type_, str):
        raise bad("type must be a string")
    if type_ != SYSTEMUSER_TYPE:
        raise bad(f"unknown type {type_[:100]!r}; only {SYSTEMUSER_TYPE} is supported")
    unknown = set(names) - {"type", "systemuser_org", "externalref"}
    if unknown:
        raise bad("unknown field: " + ", ".join(sorted(names[n] for n in unknown))[:200])
    if "systemuser_org" not in names:
        raise bad("systemuser_org is missing")
    orgno = _parse_org(entry[names["systemuser_org"]], bad)
    external_ref = entry[names["externalref"]] if "externalref" in names else None
    if "externalref" in names:
        if not isinstance(external_ref, str):
            raise bad("externalRef must be a string")
        if not 0 < len(external_ref) <= MAX_ID_LENGTH:
            raise bad(f"externalRef must be 1 to {MAX_ID_LENGTH} characters")
    return orgno, external_ref


def _parse_org(org: object, bad) -> str:
    if not isinstance(org, dict):
        raise bad("systemuser_org must be a JSON object")
    if set(org) != {"authority", "ID"}:
        raise bad("systemuser_org must have exactly the fields authority and ID")
    if not isinstance(org["authority"], str) or not isinstance(org["ID"], str):
        raise bad("systemuser_org.authority and systemuser_org.ID must be strings")
    if org["authority"] != ORG_AUTHORITY:
        raise bad(f"systemuser_org.authority must be {ORG_AUTHORITY}")
    icd, _, orgno = org["ID"].partition(":")
    if icd != ORG_ICD:
        raise bad(f"systemuser_org.ID must be {ORG_ICD}:<orgno>; other ICD prefixes are not accepted")
    if not is_valid_orgno(orgno):
        raise bad("systemuser_org.ID is not a valid organisation number (9 digits, mod-11)")
    return orgno


def _spend_and_issue(seen: _Seen, client: GrantClient, scopes: list[str], details, *, expires, ip) -> dict:
    """Spend the jti and record the token in the system user's usage, then sign. The unique key on
    (client, jti) lets exactly one of two concurrent grants with the same jti through, in every process
    on every machine sharing the database; only that one is counted.

    The spend and the record are one statement on PostgreSQL (lib/compiled.py, CompiledInsertOnce), so
    one round trip and one commit: no token is returned without its record, and no record is written for
    a replayed jti. (If signing then failed, a token would be counted that nobody got; never the reverse.)
    """
    then, then_values = None, None
    if seen.system_user_id:
        then, then_values = usage.token_record(
            system_user_id=seen.system_user_id, client_id=seen.client_id, kid=seen.kid
        )
    spent = _spend_used_grant.run(
        client_id=client.client_id,
        jti=seen.jti,
        expires_at=datetime.fromtimestamp(expires, UTC),
        then=then,
        then_values=then_values,
    )
    if not spent:
        raise GrantError("invalid_grant", "Grant is used before", reason="jti replayed", refusal=RefusalReason.REPLAYED)
    body = sign_access_token(
        client_id=client.client_id, consumer_orgno=client.owner_orgno, scopes=scopes, authorization_details=details
    )
    _issued(seen, ip=ip)
    return body


def _facts(seen: _Seen, ip: str | None) -> dict:
    return {
        "client_id": seen.client_id,
        "consumer": seen.consumer_orgno,
        "party": seen.party_orgno,
        "system_user": seen.system_user_id,
        "kid": seen.kid,
        "jti": seen.jti,
        "scope": seen.scope,
        "ip": ip or "",
    }


def _issued(seen: _Seen, *, ip: str | None) -> None:
    """One log line per token (the per-token trail: client, key, jti, address); a system user's usage
    counter was upserted with the jti (_spend_and_issue). No audit event: token traffic is usage, and 720
    events a day per system user would bury the history people read (see docs/operations.md, "Token
    traffic")."""
    logger.info(
        "token issued: client %s, system user %s, jti %s",
        seen.client_id,
        seen.system_user_id or "-",
        seen.jti,
        extra={"token": _facts(seen, ip)},
    )


def _refused(seen: _Seen, exc: GrantError, *, ip: str | None) -> None:
    """Every refusal is logged and counted in metrics (by the view); one from a client that proved who it
    is is also recorded for the business (the organisation it asked for) and staff, one upsert per
    refusal. Anonymous refusals write nothing: anyone can send them, as fast as they like."""
    facts = _facts(seen, ip) | {"error": exc.error, "reason": exc.reason[:300]}
    logger.info(
        "token refused: %s: %s (client %s)", exc.error, exc.reason[:300], seen.client_id or "-", extra={"token": facts}
    )
    if seen.verified:
        usage.record_refusal(
            client_id=seen.client_id,
            party_orgno=seen.party_orgno,
            reason=exc.refusal,
            detail=exc.detail,
            description=f"{exc.error}: {exc.reason}",
            system_user_id=seen.system_user_id or None,
        )


_last_purge = 0.0


def _maybe_purge_used_grants() -> None:
    """Every minute or so per process, drop used grant ids whose grants have expired anyway: a replayed
    expired grant is refused by `exp` alone. The margin covers clock differences between web servers."""
    global _last_purge
    now = time.monotonic()
    if now - _last_purge < PURGE_INTERVAL_SECONDS:
        return
    _last_purge = now
    purge_used_grants()


def expired_used_grants(cutoff: datetime):
    """The used grant ids whose grants expired before `cutoff`: a replayed expired grant is refused by
    `exp` alone."""
    return UsedGrant.objects.filter(expires_at__lt=cutoff)


def purge_used_grants() -> int:
    deleted, _ = expired_used_grants(timezone.now() - timedelta(seconds=PURGE_INTERVAL_SECONDS)).delete()
    return deleted
