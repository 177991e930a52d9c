"""Comptoir's one settings module.

Everything that differs between a laptop and production comes from the
environment through the typed helpers in comptoir.env; docs/configuration.md
documents each variable. The embedded default (no variable set but DEBUG=1)
needs no server: SQLite, files under var/, a file-system Celery broker and the
development outbox. In a development checkout, `make run` writes var/local.env
(DEBUG=1 and a random SECRET_KEY), read here below the environment.

Importing settings creates no folder: whatever writes into one creates it (the
SQLite backend its database's folder, the storage its files', comptoir.celery
the broker's and beat's).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from comptoir.env import env_bool, env_email, env_int, env_list, env_prefixed, env_str, env_url, read_env_file

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("COMPTOIR_VAR_DIR", str(BASE_DIR / "var"))).resolve()
# This checkout's own settings, when `make run` wrote them: the environment wins.
# COMPTOIR_ENV_FILE names another file; set empty, no file is read (the tests).
_env_file = os.environ.get("COMPTOIR_ENV_FILE")
COMPTOIR_ENV_FILE = None if _env_file == "" else Path(_env_file or VAR_DIR / "local.env").resolve()
if COMPTOIR_ENV_FILE is not None and not read_env_file(COMPTOIR_ENV_FILE) and _env_file:
    raise ImproperlyConfigured(f"COMPTOIR_ENV_FILE names no file: {COMPTOIR_ENV_FILE}")

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on-0123456789"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must not be the development key when DEBUG is off.")

PORT = env_int("PORT", 8000, minimum=1)
COMPTOIR_BASE_URL = env_url("COMPTOIR_BASE_URL", f"http://127.0.0.1:{PORT}")
COMPTOIR_SUPPORT_EMAIL = env_email("COMPTOIR_SUPPORT_EMAIL", "support@comptoir.localhost")
COMPTOIR_SITE_NAME = env_str("COMPTOIR_SITE_NAME", "Comptoir")

_base_host = urlsplit(COMPTOIR_BASE_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", sorted({_base_host, "127.0.0.1", "localhost"}))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "comptoir.core",
    "comptoir.branding",
    "comptoir.accounts",
    "comptoir.helpcenter",
    "comptoir.editor",
    "comptoir.events",
    "comptoir.tickets",
    "comptoir.ticketforms",
    "comptoir.notifications",
    "comptoir.sla",
    "comptoir.rules",
    "comptoir.workspace",
    "comptoir.portal",
    "comptoir.mail",
    "comptoir.gateway",
    "comptoir.devoutbox",
    "comptoir.deflection",
    "comptoir.reports",
    "comptoir.api",
    "comptoir.webhooks",
    "comptoir.monitoring",
    "rest_framework",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    # Request counts and latency for /metrics (django-prometheus): first and last, so it times the whole stack.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # First: every later layer reads the client's address and scheme through trusted proxies only.
    "comptoir.core.proxies.TrustedProxyMiddleware",
    "comptoir.core.logging_json.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "comptoir.accounts.middleware.AgentTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "comptoir.core.middleware.SecurityHeadersMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "comptoir.urls"
WSGI_APPLICATION = "comptoir.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "comptoir" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "comptoir.core.context_processors.site",
                "comptoir.branding.context_processors.brand",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
_default_db = f"sqlite:///{VAR_DIR / 'comptoir.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's, creating the database's folder when it first connects.
    DATABASES["default"]["ENGINE"] = "comptoir.core.sqlite3"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process, the worker and beat read while one writes;
        # IMMEDIATE transactions take the write lock up front instead of failing
        # half-way with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Browser tests share the database between the test, the live server and a
    # Celery worker thread, which an in-memory database cannot do safely.
    # The process id keeps concurrent test runs on one machine apart.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("COMPTOIR_DATABASE_NO_JIT", True):
    # PostgreSQL's JIT compiles a plan's expressions when its estimated cost is high: the reports'
    # aggregates over a quarter at a million tickets spend 80 to 170 ms of 460 to 750 compiling
    # (bench/README.md, reports), and the workspace's short queries never gain from it. Sent at
    # connection; behind PgBouncer, add "options" to its ignore_startup_parameters or set
    # COMPTOIR_DATABASE_NO_JIT=0 and "jit = off" on the server.
    # Added to the startup options DATABASE_URL may carry (?options=-c search_path=...), never replacing them.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "after_login"  # agents go on to their workspace, others to "My tickets"
LOGOUT_REDIRECT_URL = "/"
# allauth's, loading the signed-in user with the answer every header needs (comptoir/editor/backends.py).
AUTHENTICATION_BACKENDS = ["comptoir.editor.backends.AuthenticationBackend"]

# --- Cache ----------------------------------------------------------------------
# Sign-in rate limits live in the cache: give several web processes one shared
# Redis cache; the embedded default is one process, so memory is enough.
_cache_url = env_str("CACHE_URL", "")
if _cache_url and not _cache_url.startswith("redis://"):
    raise ImproperlyConfigured("CACHE_URL must be a redis:// URL.")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Accounts (django-allauth) ------------------------------------------------
# Everyone logs in with an e-mail address; a requester's tickets show only once
# that address is verified, so verification is mandatory.
COMPTOIR_SIGNUP_OPEN = env_bool("COMPTOIR_SIGNUP_OPEN", True)
ACCOUNT_ADAPTER = "comptoir.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# A code typed in the page that signed up: whoever chose the password proves the
# mailbox in the same session (a link could be followed by anyone, anywhere).
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
# Ours: allauth's, in the product's words ("E-mail address", "New password"), and the sign-up's checks.
ACCOUNT_FORMS = {
    name: f"comptoir.accounts.forms.{form}"
    for name, form in {
        "login": "LoginForm",
        "signup": "SignupForm",
        "reset_password": "ResetPasswordForm",
        "reset_password_from_key": "ResetPasswordKeyForm",
        "change_password": "ChangePasswordForm",
        "request_login_code": "RequestLoginCodeForm",
    }.items()
}
ACCOUNT_UNIQUE_EMAIL = True
# One address per account: it is the address the account's tickets were opened with.
ACCOUNT_CHANGE_EMAIL = False
ACCOUNT_MAX_EMAIL_ADDRESSES = 1
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if COMPTOIR_BASE_URL.startswith("https://") else "http"
# Brute force is slowed per IP; allauth keeps the counters in the cache. In
# login_failed, "key" is one account from one IP (accounts.adapter), never the
# account alone: failing on purpose with an agent's address locks out no one else.
ACCOUNT_RATE_LIMITS = {
    "login": env_str("COMPTOIR_RATE_LIMIT_LOGIN", "30/m/ip"),
    "login_failed": env_str("COMPTOIR_RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "signup": env_str("COMPTOIR_RATE_LIMIT_SIGNUP", "20/m/ip"),
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# When on, an agent must set up an authenticator app before reaching the workspace or the admin.
COMPTOIR_REQUIRE_AGENT_2FA = env_bool("COMPTOIR_REQUIRE_AGENT_2FA", False)
MFA_TOTP_ISSUER = env_str("COMPTOIR_SITE_NAME", "Comptoir")

# --- Languages ----------------------------------------------------------------
LANGUAGE_CODE = env_str("COMPTOIR_DEFAULT_LANGUAGE", "fr")
LANGUAGES = [("fr", "Français"), ("en", "English")]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured("COMPTOIR_DEFAULT_LANGUAGE must be 'fr' or 'en'.")
LOCALE_PATHS = [BASE_DIR / "comptoir" / "locale"]
# Day first, on a 24-hour clock, in both languages: "3 Dec 2026, 18:18" (comptoir/formats).
FORMAT_MODULE_PATH = ["comptoir.formats"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_TZ = True

# --- Files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "comptoir" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
STORAGES: dict[str, dict[str, object]] = {
    # Attachments are never served from a public URL: no MEDIA_URL is routed.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Attachments on an S3-compatible service (AWS, MinIO, Garage, Ceph...) instead of
# MEDIA_ROOT: several web nodes and workers then see the same files. The bucket
# stays private; every download still goes through the view that checks access
# (comptoir.core.storage, docs/deploy.md).
COMPTOIR_STORAGE = env_str("COMPTOIR_STORAGE", "local")
if COMPTOIR_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured("COMPTOIR_STORAGE must be 'local' or 's3'.")
if COMPTOIR_STORAGE == "s3":
    _s3_bucket = env_str("COMPTOIR_S3_BUCKET", "")
    if not _s3_bucket:
        raise ImproperlyConfigured("COMPTOIR_S3_BUCKET must be set when COMPTOIR_STORAGE is 's3'.")
    STORAGES["default"] = {
        "BACKEND": "comptoir.core.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": _s3_bucket,
            # Empty: AWS itself; otherwise the service's address (https://s3.example.net).
            "endpoint_url": env_str("COMPTOIR_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("COMPTOIR_S3_REGION", "") or None,
            # Empty: boto3 finds credentials itself (an instance role, ~/.aws, AWS_* variables).
            "access_key": env_str("COMPTOIR_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("COMPTOIR_S3_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("COMPTOIR_S3_PREFIX", ""),
            "addressing_style": env_str("COMPTOIR_S3_ADDRESSING_STYLE", "") or None,
        },
    }
FILE_UPLOAD_TEMP_DIR = None

COMPTOIR_ATTACHMENT_MAX_BYTES = env_int("COMPTOIR_ATTACHMENT_MAX_MB", 50, minimum=1) * 1024 * 1024
COMPTOIR_ATTACHMENT_MAX_FILES = env_int("COMPTOIR_ATTACHMENT_MAX_FILES", 10, minimum=1)
# A request may carry every allowed file at its largest, plus the form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = COMPTOIR_ATTACHMENT_MAX_FILES + 5
# "Record my screen" on the ticket form stops by itself after this long (and before the file
# outgrows COMPTOIR_ATTACHMENT_MAX_MB: comptoir.portal.capture sizes the bit rate to fit both).
COMPTOIR_SCREEN_RECORDING_MAX_SECONDS = env_int("COMPTOIR_SCREEN_RECORDING_MAX_SECONDS", 300, minimum=10)

# --- Tickets, links and abuse limits ------------------------------------------
COMPTOIR_TICKET_LINK_DAYS = env_int("COMPTOIR_TICKET_LINK_DAYS", 30, minimum=1)
# The days the default automation "Close tickets solved for N days" starts with (comptoir.rules.defaults):
# written into the rule when the database is first migrated; admins change the rule afterwards.
COMPTOIR_AUTO_CLOSE_DAYS = env_int("COMPTOIR_AUTO_CLOSE_DAYS", 4, minimum=1)
# Files on an agent's reply travel with the e-mail up to this total; beyond it
# the e-mail lists them with a link to the ticket page instead.
COMPTOIR_EMAIL_ATTACHMENTS_MAX_BYTES = env_int("COMPTOIR_EMAIL_ATTACHMENTS_MAX_MB", 10, minimum=0) * 1024 * 1024
COMPTOIR_RATE_LIMIT_TICKETS_PER_IP = env_int("COMPTOIR_RATE_LIMIT_TICKETS_PER_IP", 20)
COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL = env_int("COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL", 5)
COMPTOIR_RATE_LIMIT_LINKS_PER_IP = env_int("COMPTOIR_RATE_LIMIT_LINKS_PER_IP", 10)
COMPTOIR_RATE_LIMIT_LINKS_PER_EMAIL = env_int("COMPTOIR_RATE_LIMIT_LINKS_PER_EMAIL", 3)
COMPTOIR_RATE_LIMIT_WINDOW_SECONDS = env_int("COMPTOIR_RATE_LIMIT_WINDOW_SECONDS", 3600, minimum=1)
# CSV exports of the workspace list per agent per window: each may read up to 100,000 tickets.
COMPTOIR_RATE_LIMIT_EXPORTS_PER_AGENT = env_int("COMPTOIR_RATE_LIMIT_EXPORTS_PER_AGENT", 30, minimum=1)
# Proof-of-work cost of the "I'm not a robot" check (PBKDF2 iterations).
COMPTOIR_ALTCHA_COST = env_int("COMPTOIR_ALTCHA_COST", 5000, minimum=1)
COMPTOIR_ALTCHA_HMAC_KEY = env_str("COMPTOIR_ALTCHA_HMAC_KEY", SECRET_KEY)

# --- The e-mail channel ---------------------------------------------------------
# Replies go to support+<ticket>.<signature>@ the support address's domain, or,
# when this is set, to <ticket>.<signature>@ this domain (its MX must reach us).
COMPTOIR_REPLY_DOMAIN = env_str("COMPTOIR_REPLY_DOMAIN", "").lower()
# Other addresses that deliver to Comptoir (aliases such as help@ forwarding to
# support@): never taken for a person, never copied on a ticket.
COMPTOIR_OWN_ADDRESSES = frozenset(address.lower() for address in env_list("COMPTOIR_OWN_ADDRESSES", []))
# A message about an existing ticket from someone who is not its requester or a
# CC: "quarantine" it for an agent, or open a "new_ticket" for that person.
COMPTOIR_INBOUND_STRANGERS = env_str("COMPTOIR_INBOUND_STRANGERS", "quarantine")
if COMPTOIR_INBOUND_STRANGERS not in ("quarantine", "new_ticket"):
    raise ImproperlyConfigured("COMPTOIR_INBOUND_STRANGERS must be 'quarantine' or 'new_ticket'.")
# A reply that proves nothing (a subject tag, an id anyone copied saw) from a
# sender whose From domain DMARC does not vouch for: an internal "note" on the
# ticket, left otherwise as it was, or "quarantine"; "public" trusts the From
# address as older versions did (docs/sender-authentication.md).
COMPTOIR_UNVERIFIED_SENDERS = env_str("COMPTOIR_UNVERIFIED_SENDERS", "note")
if COMPTOIR_UNVERIFIED_SENDERS not in ("note", "quarantine", "public"):
    raise ImproperlyConfigured("COMPTOIR_UNVERIFIED_SENDERS must be 'note', 'quarantine' or 'public'.")
# The authserv-ids of the mail servers whose Authentication-Results headers are
# read, on mail from the MTA pipe and from IMAP mailboxes marked to trust them.
COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset(
    identifier.lower().rstrip(".") for identifier in env_list("COMPTOIR_TRUSTED_AUTHSERV_IDS", [])
)
# DNS for DKIM keys and DMARC records: the system's servers, this long per lookup.
COMPTOIR_DNS_RESOLVER = env_str("COMPTOIR_DNS_RESOLVER", "comptoir.mail.authentication.SystemResolver")
COMPTOIR_DNS_TIMEOUT_SECONDS = env_int("COMPTOIR_DNS_TIMEOUT_SECONDS", 3, minimum=1)
# Loop breakers: at most this many automatic e-mails (confirmations,
# notifications) to one address, and about one ticket, per hour.
COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR = env_int("COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR", 10, minimum=1)
COMPTOIR_AUTO_EMAILS_PER_TICKET_PER_HOUR = env_int("COMPTOIR_AUTO_EMAILS_PER_TICKET_PER_HOUR", 20, minimum=1)
# A worker that claimed an e-mail and died leaves it "sending": after this long another may send it.
# Longer than the slowest SMTP conversation (EMAIL_TIMEOUT), or a slow send would be taken twice.
COMPTOIR_EMAIL_CLAIM_SECONDS = env_int("COMPTOIR_EMAIL_CLAIM_SECONDS", 600, minimum=1)
# Reading one inbound message may take at most this long (a backstop: see comptoir.mail.timelimit).
COMPTOIR_INBOUND_PARSE_SECONDS = env_int("COMPTOIR_INBOUND_PARSE_SECONDS", 30, minimum=1)
# A larger inbound message is never read whole: its header block is kept, quarantined.
COMPTOIR_INBOUND_MAX_BYTES = env_int("COMPTOIR_INBOUND_MAX_MB", 40, minimum=1) * 1024 * 1024
# After a permanent bounce nothing is sent to the address for this many days.
COMPTOIR_BOUNCE_SUPPRESSION_DAYS = env_int("COMPTOIR_BOUNCE_SUPPRESSION_DAYS", 7, minimum=1)
# Addresses and networks (10.0.0.5, 192.168.0.0/24, ::1) webhooks may post to although they are not
# public: an internal service on purpose, the tests' receiver on loopback. Empty: public addresses only.
COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES = env_list("COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES", [])
for _network in COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES must list IP addresses or networks; got {_network!r}"
        ) from None

# --- E-mail -------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = COMPTOIR_SUPPORT_EMAIL
SERVER_EMAIL = COMPTOIR_SUPPORT_EMAIL
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "comptoir.devoutbox.backend.OutboxBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend",
)
# DKIM: with a private key (PEM, RSA) every e-mail is signed as
# d=<domain>; s=<selector>; `manage.py check_email` prints the DNS records.
COMPTOIR_DKIM_PRIVATE_KEY_FILE = env_str("COMPTOIR_DKIM_PRIVATE_KEY_FILE", "")
COMPTOIR_DKIM_SELECTOR = env_str("COMPTOIR_DKIM_SELECTOR", "comptoir").lower()
COMPTOIR_DKIM_DOMAIN = env_str("COMPTOIR_DKIM_DOMAIN", COMPTOIR_SUPPORT_EMAIL.rpartition("@")[2]).lower().rstrip(".")

# django-anymail: every ANYMAIL_<NAME> variable (environment or local file) becomes ANYMAIL["<NAME>"],
# so a provider is configuration only (ANYMAIL_MAILGUN_API_KEY, ANYMAIL_WEBHOOK_SECRET...).
ANYMAIL: dict[str, str] = env_prefixed("ANYMAIL_")

# IMAP mailboxes are set up in the admin (docs/imap.md). A mailbox that fails
# this many polls in a row is paused, 5 minutes at first, doubling up to 6 hours.
COMPTOIR_IMAP_PAUSE_AFTER_FAILURES = env_int("COMPTOIR_IMAP_PAUSE_AFTER_FAILURES", 5, minimum=1)
# IMAP server certificates are checked against the system's CAs, or only against
# this PEM file when set (a private CA).
COMPTOIR_IMAP_CA_FILE = env_str("COMPTOIR_IMAP_CA_FILE", "")

# --- The REST API (docs/api.md) --------------------------------------------------
# Requests per window and per token (or per signed-in person), and per client address
# whoever it is: several scripts may share an address (a CRM server), hence the larger figure.
COMPTOIR_API_RATE_LIMIT_PER_TOKEN = env_int("COMPTOIR_API_RATE_LIMIT_PER_TOKEN", 600, minimum=1)
COMPTOIR_API_RATE_LIMIT_PER_IP = env_int("COMPTOIR_API_RATE_LIMIT_PER_IP", 1200, minimum=1)
COMPTOIR_API_RATE_LIMIT_WINDOW_SECONDS = env_int("COMPTOIR_API_RATE_LIMIT_WINDOW_SECONDS", 60, minimum=1)
REST_FRAMEWORK = {
    # Each view of comptoir.api names its own; these are the defaults of anything else DRF serves.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "comptoir.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "comptoir.api.problems.ProblemRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "comptoir.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
    # No ?format=: the API answers JSON, whatever the address says.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Comptoir API",
    "DESCRIPTION": "Tickets and their messages, for other programs. Guide: docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "comptoir.tickets.models.Status",
        "AgentStatusEnum": "comptoir.api.serializers.AGENT_STATUS_CHOICES",
        "PriorityEnum": "comptoir.tickets.models.Priority",
        "TicketTypeEnum": "comptoir.tickets.models.TicketType",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "comptoir.api.schema.problems_everywhere",
    ],
}

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # The web process enqueues into these folders as much as the worker reads them:
    # each creates them before its first message (comptoir.celery).
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    # The same broker, with the host kombu would assume: a bare "filesystem://" has it
    # warn "No hostname was supplied" at every connection, in every process.
    CELERY_BROKER_URL = "filesystem://localhost/"
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# Celery's, creating the schedule file's folder.
CELERY_BEAT_SCHEDULER = "comptoir.celery:PersistentScheduler"
CELERY_BEAT_SCHEDULE = {
    "requeue-stalled-email": {
        "task": "comptoir.mail.tasks.requeue_stalled_email",
        "schedule": 300.0,
    },
    "ingest-stuck-email": {
        "task": "comptoir.gateway.tasks.ingest_stuck_email",
        "schedule": 600.0,
    },
    "dispatch-stalled-events": {
        "task": "comptoir.events.tasks.dispatch_stalled_events",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "resume-bulk-jobs": {
        "task": "comptoir.workspace.tasks.resume_bulk_jobs",
        "schedule": 300.0,
    },
    "purge-expired-records": {
        "task": "comptoir.core.tasks.purge_expired_records",
        "schedule": 6 * 3600.0,
    },
    "fetch-mail": {
        "task": "comptoir.gateway.tasks.fetch_mail",
        "schedule": 60.0,
        # A run left in the queue while no worker was up is dropped: the next one comes a minute later.
        "options": {"expires": 60},
    },
    "assign-waiting-tickets": {
        "task": "comptoir.rules.tasks.assign_waiting_tickets",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    "run-automations": {
        "task": "comptoir.rules.tasks.automations_run",
        "schedule": 300.0,
        # Each automation fires once per ticket and period whatever runs at once (comptoir.rules.automations).
        "options": {"expires": 300},
    },
    "raise-sla-breaches": {
        "task": "comptoir.sla.tasks.sla_breaches_raise",
        "schedule": 60.0,
        # Each clock is raised once whatever runs at once (comptoir.sla.breaches); a late run is dropped.
        "options": {"expires": 60},
    },
    "monitoring-heartbeat": {
        "task": "comptoir.monitoring.tasks.beat_heartbeat",
        "schedule": 60.0,
        # /readyz reads its time: beat scheduled it and a worker ran it (comptoir.monitoring.health).
        "options": {"expires": 60},
    },
    "deliver-due-webhooks": {
        "task": "comptoir.webhooks.tasks.webhooks_deliver_due",
        "schedule": 60.0,
        # Retries and lost tasks; each delivery is claimed before it is sent (comptoir.webhooks.services).
        "options": {"expires": 60},
    },
}

# --- Security -----------------------------------------------------------------
# Never a referrer to another site. Not "no-referrer" everywhere: Chromium then
# sends "Origin: null" with same-site form posts and Django's CSRF check (rightly)
# refuses them. The response to a secret link, whose address holds the token,
# does send "no-referrer" (portal.public_views.ticket_link_redeem, for links
# e-mailed before the token moved after "#").
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
_https = COMPTOIR_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _https)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _https)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https and not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _https and not DEBUG else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
# Reverse proxies (addresses or networks) whose X-Forwarded-For, X-Forwarded-Proto and X-Request-ID
# are believed (comptoir.core.proxies); from anyone else those headers are ignored. Replaces Django's
# SECURE_PROXY_SSL_HEADER, which would believe X-Forwarded-Proto from any client.
COMPTOIR_TRUSTED_PROXIES = env_list("COMPTOIR_TRUSTED_PROXIES", [])
for _network in COMPTOIR_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"COMPTOIR_TRUSTED_PROXIES must list IP addresses or networks; got {_network!r}"
        ) from None
if env_bool("COMPTOIR_BEHIND_PROXY", False) and not COMPTOIR_TRUSTED_PROXIES:
    # The old switch believed any client: say what replaces it rather than silently stop detecting HTTPS.
    raise ImproperlyConfigured("COMPTOIR_BEHIND_PROXY is replaced by COMPTOIR_TRUSTED_PROXIES: list your proxies.")

# --- Health and metrics (docs/configuration.md, "Behind a proxy, health, metrics and logs") ---
# /readyz says unready when beat's heartbeat is older than this, or the oldest queued e-mail is.
COMPTOIR_READYZ_BEAT_MAX_AGE_SECONDS = env_int("COMPTOIR_READYZ_BEAT_MAX_AGE_SECONDS", 300, minimum=60)
COMPTOIR_READYZ_MAIL_MAX_AGE_SECONDS = env_int("COMPTOIR_READYZ_MAIL_MAX_AGE_SECONDS", 1800, minimum=60)
# /metrics answers only with this bearer token; unset, it does not exist (404).
COMPTOIR_METRICS_TOKEN = env_str("COMPTOIR_METRICS_TOKEN", "")
# Errors to Sentry (or a compatible service) when set and sentry-sdk is installed.
SENTRY_DSN = env_str("SENTRY_DSN", "")

# "json": one object per line with the request id and ticket (comptoir.core.logging_json); "text" for people.
COMPTOIR_LOG_FORMAT = env_str("COMPTOIR_LOG_FORMAT", "text" if DEBUG else "json")
if COMPTOIR_LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("COMPTOIR_LOG_FORMAT must be 'json' or 'text'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "comptoir.core.logging_json.RequestContextFilter"}},
    "formatters": {"json": {"()": "comptoir.core.logging_json.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            **({"formatter": "json"} if COMPTOIR_LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

if SENTRY_DSN:
    from comptoir.core.sentry import sentry_start

    sentry_start(SENTRY_DSN)
