"""Settings for Systembruker, read from the environment (12-factor).

With no environment variables set, the embedded default runs: SQLite, Celery eager, console e-mail,
test login on, plain HTTP on 127.0.0.1. `SYSTEMBRUKER_MODE=production` switches to the production
profile: DEBUG off, secrets and hosts from the environment, secure cookies, HSTS; `check --deploy`
is clean there.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_ip_networks, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SYSTEMBRUKER_VAR_DIR", str(BASE_DIR / "var")))

MODE = env_str("SYSTEMBRUKER_MODE", "development").lower()
if MODE not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"SYSTEMBRUKER_MODE must be development, test or production, not {MODE!r}")
PRODUCTION = MODE == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters in production")
else:
    # Demo-only key for the embedded default; production refuses to start without its own.
    SECRET_KEY = env_str("SECRET_KEY", "django-insecure-demo-only-key-never-use-in-production-0123456789")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "portal",
    "registry",
    "approvals",
    "maskinporten",
    "authorization",
    "housekeeping",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "portal.middleware.RefuseNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.ActorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        )
    }
except ValueError as error:  # dj-database-url's UnknownSchemeError and bad ports are ValueErrors
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL (e.g. postgres://user:password@host:5432/name): {error}"
    ) from None
# A persistent connection is checked before a request uses it, so a database restart costs no request
# that arrives after it (without this, each web thread's stale connection fails one request).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Bounded waits (PostgreSQL, milliseconds, 0 = none): a statement or a lock wait that takes longer is
# cancelled and the request answered 503 with Retry-After (config/errors.py), instead of every request
# queueing behind one lock. Long migrations on big tables: run `migrate` with DB_STATEMENT_TIMEOUT_MS=0.
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 10000)
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 3000)
# How long a client is told to wait (Retry-After) when the database is unavailable.
DB_UNAVAILABLE_RETRY_AFTER_SECONDS = env_int("DB_UNAVAILABLE_RETRY_AFTER_SECONDS", 5, minimum=1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        options=f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS} -c lock_timeout={DB_LOCK_TIMEOUT_MS}",
        connect_timeout=env_int("DB_CONNECT_TIMEOUT_SECONDS", 5, minimum=1),
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Waiting on a lock beats failing at once when the portal and a worker write together.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed staff logins at /admin/ per username before further attempts wait out the window (portal/admin_login.py).
ADMIN_LOGIN_MAX_FAILURES = env_int("ADMIN_LOGIN_MAX_FAILURES", 10, minimum=1)
ADMIN_LOGIN_WINDOW_SECONDS = env_int("ADMIN_LOGIN_WINDOW_SECONDS", 900, minimum=1)
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:actor"
LOGOUT_REDIRECT_URL = "portal:home"

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norsk bokmål")), ("nn", _("Norsk nynorsk")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language choice (set_language) is kept in a cookie for a year, so it survives logout and restarts.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = PRODUCTION
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Portal and domain settings (CONTRACT §4) ---
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
TEST_LOGIN_ENABLED = env_bool("TEST_LOGIN_ENABLED", not PRODUCTION)
REQUEST_TIMEOUT_DAYS = env_int("REQUEST_TIMEOUT_DAYS", 180, minimum=1)
REQUEST_REMINDER_DAYS = env_int("REQUEST_REMINDER_DAYS", 7, minimum=0)
# Request flooding (docs/vendor-api.md "Limits", approvals/flooding.py): a new request mails an organisation
# that need not be the vendor's customer, and a new change request its access managers, so a vendor may have
# this many open requests (and change requests) per organisation, create this many of both together per day,
# and cause one new-request (and one new-change-request) mail per organisation per REQUEST_MAIL_INTERVAL_MINUTES.
REQUEST_MAX_OPEN_PER_PARTY = env_int("REQUEST_MAX_OPEN_PER_PARTY", 10, minimum=1)
CHANGE_REQUEST_MAX_OPEN_PER_PARTY = env_int("CHANGE_REQUEST_MAX_OPEN_PER_PARTY", 10, minimum=1)
REQUEST_MAX_PER_DAY = env_int("REQUEST_MAX_PER_DAY", 10_000, minimum=1)
REQUEST_MAIL_INTERVAL_MINUTES = env_int("REQUEST_MAIL_INTERVAL_MINUTES", 60, minimum=0)

# --- Data retention (housekeeping/retention.py; docs/operations.md "Data retention") ---
# How many days personal data is kept before `purge_expired_data` (daily in beat) blanks or deletes it.
# Audit events are the legal record: kept whole for RETENTION_AUDIT_EVENT_DAYS (0 = for ever), with only
# the IP address blanked earlier.
RETENTION_AUDIT_IP_DAYS = env_int("RETENTION_AUDIT_IP_DAYS", 90, minimum=1)
RETENTION_AUDIT_EVENT_DAYS = env_int("RETENTION_AUDIT_EVENT_DAYS", 1827, minimum=0)  # five years, leap days included
# Token traffic is usage, not the legal record: the usage counters and refusal rows, and token audit events
# left by versions before them. At least 31 days: the details page shows the last 30.
RETENTION_USAGE_DAYS = env_int("RETENTION_USAGE_DAYS", 90, minimum=31)
RETENTION_TOKEN_EVENT_DAYS = env_int("RETENTION_TOKEN_EVENT_DAYS", 90, minimum=1)
RETENTION_NOTIFICATION_BODY_DAYS = env_int("RETENTION_NOTIFICATION_BODY_DAYS", 30, minimum=1)
RETENTION_NOTIFICATION_DAYS = env_int("RETENTION_NOTIFICATION_DAYS", 365, minimum=1)
RETENTION_REQUEST_DAYS = env_int("RETENTION_REQUEST_DAYS", 180, minimum=1)
# Vendor events (feed and webhook log); longer than WEBHOOK_RETRY_HOURS, checked below.
RETENTION_VENDOR_EVENT_DAYS = env_int("RETENTION_VENDOR_EVENT_DAYS", 90, minimum=2)
RETENTION_DELETED_SYSTEM_USER_DAYS = env_int("RETENTION_DELETED_SYSTEM_USER_DAYS", 90, minimum=1)
# When a person last began acting for an organisation (the act-for page's recent list, the overview's "Ny").
RETENTION_ACTOR_VISIT_DAYS = env_int("RETENTION_ACTOR_VISIT_DAYS", 365, minimum=1)
# Rows per short transaction, so a first run on a big database never holds locks for long.
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000, minimum=1)
if RETENTION_NOTIFICATION_DAYS <= REQUEST_TIMEOUT_DAYS:
    # A notification row is also what keeps a reminder from going out twice while its request is open.
    raise ImproperlyConfigured(
        f"RETENTION_NOTIFICATION_DAYS ({RETENTION_NOTIFICATION_DAYS}) must be greater than "
        f"REQUEST_TIMEOUT_DAYS ({REQUEST_TIMEOUT_DAYS}): the sent rows keep an open request's mails from going twice"
    )

# --- Login with ID-porten (OpenID Connect); docs/operations.md "Login with ID-porten" ---
# Levels of assurance ranked low → high; OIDC_ACR_MIN names the lowest one the portal accepts.
OIDC_ACR_LEVELS = ("idporten-loa-low", "idporten-loa-substantial", "idporten-loa-high")
OIDC_CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
OIDC_ISSUER = env_str("OIDC_ISSUER", "").strip()
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "").strip()
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "")
OIDC_PRIVATE_KEY_FILE = env_str("OIDC_PRIVATE_KEY_FILE", "").strip()
OIDC_PRIVATE_KEY_ID = env_str("OIDC_PRIVATE_KEY_ID", "").strip()
OIDC_CLIENT_AUTH_METHOD = env_str(
    "OIDC_CLIENT_AUTH_METHOD", "private_key_jwt" if OIDC_PRIVATE_KEY_FILE else "client_secret_basic"
).strip()
OIDC_SCOPES = " ".join(env_str("OIDC_SCOPES", "openid profile").split())
OIDC_ACR_MIN = env_str("OIDC_ACR_MIN", "idporten-loa-substantial").strip()
OIDC_TIMEOUT_SECONDS = env_int("OIDC_TIMEOUT_SECONDS", 10, minimum=1)
OIDC_ENABLED = bool(OIDC_ISSUER or OIDC_CLIENT_ID)
if OIDC_ENABLED:
    from config.oidc_settings import check_oidc_settings

    check_oidc_settings(
        issuer=OIDC_ISSUER,
        client_id=OIDC_CLIENT_ID,
        secret=OIDC_CLIENT_SECRET,
        key_file=OIDC_PRIVATE_KEY_FILE,
        key_id=OIDC_PRIVATE_KEY_ID,
        auth_method=OIDC_CLIENT_AUTH_METHOD,
        auth_methods=OIDC_CLIENT_AUTH_METHODS,
        scopes=OIDC_SCOPES,
        acr_min=OIDC_ACR_MIN,
        acr_levels=OIDC_ACR_LEVELS,
        production=PRODUCTION,
    )
if PRODUCTION and not OIDC_ENABLED and not TEST_LOGIN_ENABLED:
    raise ImproperlyConfigured(
        "Production needs a way to log in: configure ID-porten (OIDC_ISSUER, OIDC_CLIENT_ID and "
        "OIDC_CLIENT_SECRET or OIDC_PRIVATE_KEY_FILE), or set TEST_LOGIN_ENABLED=true explicitly for a "
        "test installation"
    )

# --- Tokens (CONTRACT §1) ---
TOKEN_ISSUER = env_str("TOKEN_ISSUER", PORTAL_BASE_URL + "/")
TOKEN_LIFETIME_SECONDS = env_int("TOKEN_LIFETIME_SECONDS", 120, minimum=1)
# /token's rate limits per minute, in the shared cache (docs/operations.md): far above honest use (a token per
# customer every two minutes: 30 000 a minute is a vendor with 60 000 customers on one client id), low
# enough that garbage can not fill the audit trail. Refusals from one address are limited much lower.
TOKEN_RATE_PER_CLIENT = env_int("TOKEN_RATE_PER_CLIENT", 30_000, minimum=1)
TOKEN_RATE_PER_ADDRESS = env_int("TOKEN_RATE_PER_ADDRESS", 60_000, minimum=1)
TOKEN_REFUSALS_PER_ADDRESS = env_int("TOKEN_REFUSALS_PER_ADDRESS", 600, minimum=1)
# Comma-separated PEM files of RSA private keys; the first signs, all are published in /jwk.
TOKEN_SIGNING_KEY_FILES = env_list("TOKEN_SIGNING_KEY_FILES", [])
# The scopes a business's self-developed integration (portal "Egenutviklet system") may ask tokens for:
# the APIs' scopes the operator opens to them. Never the vendor API's or the PDP's own scopes.
SELF_DEVELOPED_SCOPES = env_list("SELF_DEVELOPED_SCOPES", ["demo:krav-og-betalinger"])
_RESERVED_SCOPES = ("altinn:authentication/", "altinn:maskinporten/", "altinn:authorization/")
if any(scope.startswith(_RESERVED_SCOPES) for scope in SELF_DEVELOPED_SCOPES):
    raise ImproperlyConfigured(
        "SELF_DEVELOPED_SCOPES may not hold altinn:authentication/, altinn:maskinporten/ "
        "or altinn:authorization/ scopes: they would give a business vendor or PDP powers"
    )
EXTERNAL_MASKINPORTEN_ISSUER = env_str("EXTERNAL_MASKINPORTEN_ISSUER", "")
EXTERNAL_MASKINPORTEN_JWKS_URL = env_str("EXTERNAL_MASKINPORTEN_JWKS_URL", "")
# Person tokens from GET /authentication/api/v1/exchange/id-porten (docs/clients-api.md): they never
# outlive the ID-porten access token, nor this many seconds.
PERSON_TOKEN_LIFETIME_SECONDS = env_int("PERSON_TOKEN_LIFETIME_SECONDS", 1800, minimum=1)
# When set, the exchanged ID-porten access token must name this audience (the `resource` the vendor's
# program asked ID-porten for); empty: any audience of the trusted issuer (OIDC_ISSUER), as Altinn.
IDPORTEN_EXCHANGE_AUDIENCE = env_str("IDPORTEN_EXCHANGE_AUDIENCE", "").strip()
# A bearer token that names an audience (`aud`, RFC 8707) is accepted only when it names one of these: a
# token the vendor got for another API is no good here. Tokens without `aud` (ours, Maskinporten's) are.
ACCEPTED_TOKEN_AUDIENCES = env_list("ACCEPTED_TOKEN_AUDIENCES", [PORTAL_BASE_URL])
# Platform tokens from GET /authentication/api/v1/exchange/maskinporten (docs/tokens.md §5), as Altinn's:
# their issuer (Altinn's form), their longest lifetime (Altinn: 30 minutes; never longer than the
# Maskinporten token they come from), and their own signing keys, as TOKEN_SIGNING_KEY_FILES but never
# the same keys (published at the OpenID metadata's jwks_uri).
PLATFORM_TOKEN_ISSUER = env_str("PLATFORM_TOKEN_ISSUER", PORTAL_BASE_URL + "/authentication/api/v1/openid/")
PLATFORM_TOKEN_LIFETIME_SECONDS = env_int("PLATFORM_TOKEN_LIFETIME_SECONDS", 1800, minimum=1)
PLATFORM_SIGNING_KEY_FILES = env_list("PLATFORM_SIGNING_KEY_FILES", [])
if PLATFORM_TOKEN_ISSUER in {TOKEN_ISSUER, EXTERNAL_MASKINPORTEN_ISSUER}:
    raise ImproperlyConfigured("PLATFORM_TOKEN_ISSUER must differ from TOKEN_ISSUER and EXTERNAL_MASKINPORTEN_ISSUER")

# --- Celery: eager on the embedded default, a real broker when CELERY_BROKER_URL is set ---
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# One Redis can serve several installations (or test runs) when each has its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Notifications (registry/outbox.py): a claim older than this belongs to a dead worker; the sweep
# re-queues pending rows older than its grace period; a row is given up after this many attempts.
NOTIFICATION_CLAIM_TIMEOUT_SECONDS = env_int("NOTIFICATION_CLAIM_TIMEOUT_SECONDS", 600, minimum=1)
NOTIFICATION_SWEEP_SECONDS = env_int("NOTIFICATION_SWEEP_SECONDS", 60, minimum=1)
NOTIFICATION_SWEEP_GRACE_SECONDS = env_int("NOTIFICATION_SWEEP_GRACE_SECONDS", 30, minimum=0)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 20, minimum=1)
# Vendor events and webhooks (registry/events.py, registry/webhooks.py; docs/operations.md).
# The CloudEvents `source` of every event.
EVENTS_SOURCE = env_str("EVENTS_SOURCE", PORTAL_BASE_URL + "/authentication")
# The feed lists an event only this many seconds after it was written, so a transaction that commits
# a lower sequence number late is not passed over by a reader's cursor.
EVENTS_FEED_SETTLE_SECONDS = env_int("EVENTS_FEED_SETTLE_SECONDS", 5, minimum=0)
# https only in production, and never to loopback or private addresses there; elsewhere (a laptop, the
# demo, the tests) http and, when asked, loopback may be allowed.
WEBHOOK_ALLOW_HTTP = not PRODUCTION and env_bool("WEBHOOK_ALLOW_HTTP", True)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = not PRODUCTION and env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 26, minimum=1)
if RETENTION_VENDOR_EVENT_DAYS * 24 <= WEBHOOK_RETRY_HOURS:
    raise ImproperlyConfigured(
        f"RETENTION_VENDOR_EVENT_DAYS ({RETENTION_VENDOR_EVENT_DAYS}) must be longer than "
        f"WEBHOOK_RETRY_HOURS ({WEBHOOK_RETRY_HOURS}): an event is kept while its deliveries are tried"
    )
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 10, minimum=1)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=1)
WEBHOOK_DISABLE_AFTER_DAYS = env_int("WEBHOOK_DISABLE_AFTER_DAYS", 3, minimum=1)
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0)
WEBHOOK_MAX_SUBSCRIPTIONS = env_int("WEBHOOK_MAX_SUBSCRIPTIONS", 10, minimum=1)
WEBHOOK_CLAIM_TIMEOUT_SECONDS = env_int("WEBHOOK_CLAIM_TIMEOUT_SECONDS", 300, minimum=1)
WEBHOOK_SWEEP_SECONDS = env_int("WEBHOOK_SWEEP_SECONDS", 30, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "sweep-notifications": {
        "task": "registry.tasks.sweep_notifications",
        "schedule": NOTIFICATION_SWEEP_SECONDS,
    },
    "sweep-webhooks": {"task": "registry.tasks.sweep_webhooks", "schedule": WEBHOOK_SWEEP_SECONDS},
    "remind-expiring-requests": {"task": "approvals.tasks.remind_expiring_requests", "schedule": 3600},
    "time-out-requests": {"task": "approvals.tasks.time_out_requests", "schedule": 3600},
    # The requests the hourly new-request mail limit held back, a few minutes after the hour is up.
    "mail-request-digests": {"task": "approvals.tasks.mail_request_digests", "schedule": 300},
    # Daily at night (TIME_ZONE), when the portal is quiet.
    "purge-expired-data": {"task": "housekeeping.tasks.purge_expired_data", "schedule": crontab(hour=3, minute=15)},
}

# --- E-mail: console on the embedded default, SMTP when EMAIL_HOST is set (Django 6.1 MAILERS) ---
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 20,
            },
        }
    }
elif env_str("EMAIL_FILE_PATH", ""):
    # Each mail as a file in this directory: for tests that watch a Celery worker send, and for demos.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": env_str("EMAIL_FILE_PATH")},
        }
    }
else:
    MAILERS = {"default": {"BACKEND": env_str("EMAIL_BACKEND_CLASS", "django.core.mail.backends.console.EmailBackend")}}
del EMAIL_HOST  # only MAILERS may carry mail settings in Django 6.1
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Systembruker <noreply@systembruker.localhost>")

# --- DRF / OpenAPI ---
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["registry.api.parsers.SafeJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # Every API error as application/problem+json with Altinn's `code` and a `traceId`.
    "EXCEPTION_HANDLER": "lib.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Systembruker API",
    "DESCRIPTION": "Altinn-compatible system register, system-user requests and look-ups.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["registry.api.docs.only_vendor_api"],
    "COMPONENT_SPLIT_REQUEST": True,
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024)

# --- Security headers ---
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Database sessions; a database outage while saving one is a 503, not a 400 (config/sessions.py).
SESSION_ENGINE = "config.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}

# --- Operations: reverse proxies, session lifetime, metrics, log format (docs/operations.md) ---
# How many trusted reverse proxies in front append to X-Forwarded-For; the client address is the entry
# that many places from the right (config/wsgi.py). 0: REMOTE_ADDR as the socket gives it.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
# A working day: a session is a person's authority to act for organisations, and the portal is often
# used on shared office computers. Counted from login, not from the last request (portal/auth.py).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
# GET /metrics (config/metrics.py): off unless enabled; from these addresses/networks, or with the token.
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_ALLOWED_IPS = env_ip_networks("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 random characters (or unset)")
LOG_FORMAT = env_str("LOG_FORMAT", "text").strip().lower()
LOG_FORMATTERS = {
    "text": {},  # the message alone, as before
    # One JSON object per line; request_id is set by lib.logs.RequestIdFilter while a request runs.
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": "time",  # ISO 8601, UTC
    },
}
if LOG_FORMAT not in LOG_FORMATTERS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO" if PRODUCTION else "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "lib.logs.RequestIdFilter"}},
    "formatters": {"main": LOG_FORMATTERS[LOG_FORMAT]},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
if LOG_FORMAT == "json":
    # Only JSON lines: Django's own console handler (with DEBUG on) would print its records again as text,
    # and Celery's worker and beat would put their own text handler on the root logger.
    LOGGING["loggers"] = {"django": {"handlers": [], "level": LOG_LEVEL}}
    CELERY_WORKER_HIJACK_ROOT_LOGGER = False
