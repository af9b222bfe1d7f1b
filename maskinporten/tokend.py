"""The configuration of tokend, the token fast path (tokend/README.md), built from this application.

tokend answers ordinary, good system-user grants at `POST /token` and hands every other request to this
application. It must accept nothing this application would refuse, so it takes from here everything it
can take as data: the two statements (compiled by Django from the same ORM code the Python endpoint
runs), the rule constants and patterns, the settings, the keys' ids, the rate limits' keys. What it
cannot take as data — the order and shape of the checks — it mirrors in `tokend/src/grant.rs`, and
`RULE_SOURCES` below pins the Python code it mirrors: when any of it changes, `rules_version()` changes,
tokend (built for the old version) refuses to start, and `tests/tokend` fails, until someone has read the
change, carried it to tokend (tokend/RULES.md) and updated `tokend/src/rules_version.txt`.
"""

import hashlib
import inspect
import json
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models.sql import DeleteQuery
from django.utils import timezone

from lib import arrival, identifiers, problems, unstorable
from lib.tokens import access, keys
from maskinporten import assertion, grants, limits, lookup, views
from registry import usage

# The Python that decides whether a grant gets a token, which tokend mirrors (tokend/RULES.md).
RULE_SOURCES = (
    views.token_answer,
    limits,
    assertion,
    grants._exchange,
    grants._parse,
    grants._key_and_system_user,
    grants._client_key,
    grants._check_claims,
    grants._check_scopes,
    grants.parse_authorization_details,
    grants._parse_org,
    grants._spend_and_issue,
    grants.expired_used_grants,
    lookup.grantable_system_users,
    usage.token_record,
    access.sign_access_token,
    access.systemuser_details,
    identifiers.is_valid_orgno,
    identifiers.org_identifier,
    unstorable,
    arrival,
)
RULES_VERSION_FILE = Path(settings.BASE_DIR) / "tokend/src/rules_version.txt"
# The names the read's parameters may have (tokend fills these four; anything else is a new rule).
READ_PARAMETERS = {"client_id", "kid", "owner_orgno", "external_ref"}


def rules_version() -> str:
    """A digest of the source of RULE_SOURCES: it changes whenever any of that code does."""
    digest = hashlib.sha256()
    for source in RULE_SOURCES:
        digest.update(inspect.getsource(source).encode())
    return digest.hexdigest()[:16]


def _numbered(sql: str) -> str:
    """psycopg's `%s` placeholders as PostgreSQL's `$1`, `$2`, … (the compiled SQL has no other `%`)."""
    parts = sql.split("%s")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


def _database_url(alias: str = "default") -> str:
    db = settings.DATABASES[alias]
    if connections[alias].vendor != "postgresql":
        raise ImproperlyConfigured("tokend needs PostgreSQL (DATABASE_URL=postgres://…)")
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{user}{password}{'@' if user else ''}{host}{port}/{db['NAME']}?application_name=tokend"


# The values tokend fills in the spend-and-record statement, by field name (grants._spend_and_issue).
SPEND_PARAMETERS = {
    *("client_id", "jti", "expires_at"),
    *("system_user", "hour", "issued", "last_at", "last_client_id", "kid"),
}


def _spend_parameters(then) -> list[str]:
    """The spend-and-record statement's parameters by field name, in order: the used grant's, then the
    usage record's (CompiledInsertOnce.chained_statement)."""
    names = grants._spend_used_grant.field_names + then.field_names
    if set(names) != SPEND_PARAMETERS:
        raise RuntimeError(f"the spend takes {sorted(set(names))}; tokend fills {sorted(SPEND_PARAMETERS)}")
    return names


def _purge_sql(connection) -> str:
    """`grants.purge_used_grants`' DELETE, compiled, its cutoff the one parameter."""
    query = grants.expired_used_grants(timezone.now()).query.clone()
    query.__class__ = DeleteQuery
    sql, params = query.get_compiler(connection=connection).as_sql()
    if len(params) != 1:
        raise RuntimeError("the purge has one parameter, its cutoff")
    return _numbered(sql)


def _redis_url() -> str | None:
    return settings.REDIS_URL if isinstance(caches["default"], RedisCache) else None


def config(*, connections_per_process: int = 4) -> dict:
    """tokend's configuration, as JSON-ready data (`manage.py tokend_config` writes it)."""
    if settings.PROXY_COUNT < 1:
        raise ImproperlyConfigured(
            "tokend is a proxy in front of the application: set PROXY_COUNT to 1 more than the proxies in front "
            "of tokend (1 when clients reach tokend directly)"
        )
    connection = connections["default"]
    read_sql, slots = grants._client_key_row.statement()
    names = {name for name, _, _ in slots if name}
    if names != READ_PARAMETERS:
        raise RuntimeError(f"the key read takes {sorted(names)}; tokend fills {sorted(READ_PARAMETERS)}")
    then, _ = usage.token_record(system_user_id=uuid.uuid4(), client_id="", kid="")
    return {
        "version": rules_version(),
        "database": _database_url(),
        "connections": connections_per_process,
        "read_sql": _numbered(read_sql),
        "read_slots": [{"name": name} if name else {"literal": str(literal)} for name, _, literal in slots],
        "spend_sql": _numbered(grants._spend_used_grant.chained_statement(connection, then)),
        "spend_parameters": _spend_parameters(then),
        "purge_sql": _purge_sql(connection),
        "purge_interval": grants.PURGE_INTERVAL_SECONDS,
        "token_key_files": [str(path) for path in keys.ring_files(keys.TOKEN)],
        "platform_key_files": [str(path) for path in keys.ring_files(keys.PLATFORM)],
        "lifetime": settings.TOKEN_LIFETIME_SECONDS,
        "max_body": views.MAX_TOKEN_REQUEST_BYTES,
        "form_type": views.FORM,
        "proxy_count": settings.PROXY_COUNT - 1,  # tokend is the application's last proxy
        "max_queue_seconds": arrival.MAX_QUEUE_SECONDS,
        "log_info": settings.LOG_LEVEL.upper() in ("DEBUG", "INFO"),
        "allowed_hosts": list(settings.ALLOWED_HOSTS),
        "https_header": _https_header(),
        "ssl_redirect": bool(settings.SECURE_SSL_REDIRECT),
        "headers": _security_headers(),
        "hsts": _hsts(),
        "rules": {
            "grant_type": grants.GRANT_TYPE,
            "systemuser_type": grants.SYSTEMUSER_TYPE,
            "org_authority": identifiers.ORG_AUTHORITY,
            "org_icd": identifiers.ORG_ICD,
            "issuer": settings.TOKEN_ISSUER,
            "allowed_claims": sorted(grants.ALLOWED_CLAIMS),
            "iat_skew": grants.IAT_SKEW_SECONDS,
            "max_grant_lifetime": grants.MAX_GRANT_LIFETIME_SECONDS,
            "max_id_length": grants.MAX_ID_LENGTH,
            "kid_pattern": assertion.KID_PATTERN.pattern,
            "scope_token": grants.SCOPE_TOKEN.pattern,
        },
        "limits": {
            "redis_url": _redis_url(),
            "key_prefix": caches["default"].make_key(""),
            "window": limits.WINDOW,
            "per_address": settings.TOKEN_RATE_PER_ADDRESS,
            "per_client": settings.TOKEN_RATE_PER_CLIENT,
            "refusals_per_address": settings.TOKEN_REFUSALS_PER_ADDRESS,
            "slow_down": json.dumps(limits.SLOW_DOWN),
        },
        # When the spend's outcome is unknown (the statement failed or timed out), tokend answers the
        # application's own 503 rather than hand on a grant it may have spent.
        "unavailable": json.dumps(problems.TOKEN_UNAVAILABLE),
        "unavailable_retry_after": settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS,
    }


def _security_headers() -> dict[str, str]:
    """What Django's SecurityMiddleware adds to every answer of /token (config/wsgi.HOT_PATH_MIDDLEWARE)."""
    headers = {}
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    if settings.SECURE_REFERRER_POLICY:
        headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    return headers


def _https_header() -> list[str] | None:
    """SECURE_PROXY_SSL_HEADER as (header name, value): how the application tells an HTTPS request."""
    if not settings.SECURE_PROXY_SSL_HEADER:
        return None
    name, value = settings.SECURE_PROXY_SSL_HEADER
    return [name.removeprefix("HTTP_").replace("_", "-").lower(), value]


def _hsts() -> str | None:
    """SecurityMiddleware's Strict-Transport-Security, sent on a request that came over HTTPS."""
    if not settings.SECURE_HSTS_SECONDS:
        return None
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return value
