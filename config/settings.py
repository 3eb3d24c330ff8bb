"""Settings, all read from the environment (see `.env.example` for every variable)."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `.env` is optional: `make run` writes one for development; production sets real variables.
# ENV_FILE points elsewhere (or at nothing) when needed.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _required_outside_debug(name, dev_default):
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(
        f"The setting {name} is required when DEBUG is off. Add {name}=... to the environment "
        f"or to .env (see .env.example for how to generate one)."
    )


SECRET_KEY = _required_outside_debug("SECRET_KEY", "dev-only-insecure-secret-key")

# The encryption key list for secrets at rest (tokens, client keys, webhook secrets). The first key
# encrypts; every key decrypts, so a new key is put first and the old one kept until
# `manage.py rotate_encryption_keys` has re-encrypted every row. Never derived from SECRET_KEY.
ENCRYPTION_KEYS = [k.strip() for k in env.list("ENCRYPTION_KEYS", default=[]) if k.strip()]
if not ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "The setting ENCRYPTION_KEYS is required: a comma-separated list of keys, newest first. "
        "`make run` writes a development key into .env; for production generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
    )
FERNET_KEYS = ENCRYPTION_KEYS
FERNET_USE_HKDF = True

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
APP_BASE_URL = env.str("APP_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs' own assets: /api/docs/ works offline
    "django_q",
    "accounting",
    "contracts",
    "integrations",
    "sandbox",
    # Visma eAccounting's shared identity grant (its own small app, README "Visma eAccounting")
    "integrations.providers.visma_eaccounting.apps.VismaEaccountingConfig",
    # Visma payroll's TLU codes, payslip results and `export_tlu` (README "Visma payroll")
    "integrations.providers.visma_payroll.apps.VismaPayrollConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounting.middleware.OrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# A provider's templates live in its own package (integrations/template_loader.py).
_TEMPLATE_LOADERS = [
    "django.template.loaders.filesystem.Loader",
    "integrations.template_loader.ProviderTemplatesLoader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "loaders": _TEMPLATE_LOADERS if DEBUG else [
                ("django.template.loaders.cached.Loader", _TEMPLATE_LOADERS)],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounting.context_processors.organization",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Keep a process's connection between requests (checked before reuse): opening one costs more
# than all the queries of a webhook (README, "Webhooks"). `?conn_max_age=0` in the URL opts out.
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, checking a kept connection without a round trip (config/postgresql).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers, the web server and the sandbox share one file (one machine). SQLite has one writer
    # at a time, so everything here is about waiting for it instead of failing:
    # - `timeout`: a connection that finds the database busy waits up to 30 s (SQLite's busy
    #   timeout) before "database is locked".
    # - IMMEDIATE: a transaction takes the write lock when it begins. A deferred one that reads
    #   first and writes later cannot wait for it (SQLite answers "database is locked" at once,
    #   busy timeout or not, to avoid a deadlock), which is what two clicks at once would meet.
    # - WAL: readers never wait for the writer, nor the writer for readers, so pages render
    #   while a worker writes. It is a property of the file (it persists) and works for any
    #   number of processes on one machine, not on a network file system.
    # - synchronous=NORMAL (with WAL it never corrupts): a commit does not wait for fsync, so
    #   the write lock is held for less. A power cut may forget the last commits; a job whose
    #   result was forgotten looks like one whose worker died (outcome unknown, looked up at the
    #   provider by our reference), so nothing is sent twice.
    # The rule that goes with it: no HTTP inside a transaction (it would hold the one write
    # lock for the whole round trip).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    })
# Row-level security on PostgreSQL (accounting/rls.py, README "Security"): every tenant table's
# rows are visible only inside their organization's context. A login role that would bypass it
# (a superuser) switches to DATABASE_RLS_ROLE, which `migrate` creates. No effect on SQLite.
DATABASE_RLS = env.bool("DATABASE_RLS", default=True)
DATABASE_RLS_ROLE = env.str("DATABASE_RLS_ROLE", default="hub_app")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="nb")
LANGUAGES = [("en", "English"), ("nb", "Norsk bokmål"), ("sv", "Svenska")]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Oslo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Served by the app itself through WhiteNoise (compressed, with hashed names and far-future
# caching once `collectstatic` has run), so production needs no separate file server.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Production stance (README "Production"): whenever DEBUG is off the secure defaults hold, so
# `manage.py check --deploy` is clean with DEBUG, SECRET_KEY and ALLOWED_HOSTS alone. Behind a
# TLS-terminating proxy set BEHIND_TLS_PROXY=true (it must set X-Forwarded-Proto).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes may speak plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = bool(SECURE_HSTS_SECONDS)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "integrations.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "integrations.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# Our API described (README, "API and webhooks"): /api/schema/ and /api/docs/.
SPECTACULAR_SETTINGS = {
    "TITLE": "Nordic accounting hub API",
    "DESCRIPTION": "Session-authenticated JSON, always inside the signed-in user's organization.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integrations.views.schema.add_problem_responses",
    ],
}

# django-q2 with the ORM broker on the default database: a task enqueued inside a transaction is
# committed or rolled back with it (a transactional outbox). `retry` must exceed `timeout` with a
# margin, or the broker hands a still-running task to a second worker.
Q_TIMEOUT = env.int("Q_TIMEOUT", default=120)
Q_CLUSTER = {
    "name": "hub",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": Q_TIMEOUT,
    "retry": Q_TIMEOUT + env.int("Q_RETRY_MARGIN", default=60),
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 500,
    "poll": 0.5,
    "ack_failures": True,
    "label": "Task queue",
    # A person's click runs on its own cluster and workers (`Q_CLUSTER_NAME=interactive
    # manage.py qcluster`), so it never queues behind background work.
    "ALT_CLUSTERS": {
        "interactive": {"workers": env.int("Q_INTERACTIVE_WORKERS", default=2), "poll": 0.1},
    },
}
# Several machines: django-q2 on Redis instead (`Q_BROKER_URL=redis://host:6379/0`), its tasks
# pushed when the transaction that queued them commits (config/qbroker.py); the sweeper
# re-dispatches what a lost task or a killed worker left. Results and schedules stay in the
# database.
Q_BROKER_URL = env.str("Q_BROKER_URL", default="")
if Q_BROKER_URL.startswith(("redis://", "rediss://", "unix://")):
    del Q_CLUSTER["orm"]
    Q_CLUSTER.update({"redis": Q_BROKER_URL, "broker_class": "config.qbroker.OnCommitRedis"})
elif Q_BROKER_URL:
    raise ImproperlyConfigured(f"Q_BROKER_URL must be a redis:// URL (or empty for the database "
                               f"broker), not {Q_BROKER_URL.split(':', 1)[0]}://...")
# The cluster interactive jobs are queued on ("" queues them with everything else).
SYNC_INTERACTIVE_CLUSTER = env.str("SYNC_INTERACTIVE_CLUSTER", default="interactive")
# Background jobs queued or running at once per rate-limit scope; the rest wait for their turn.
SYNC_BACKGROUND_IN_FLIGHT = env.int("SYNC_BACKGROUND_IN_FLIGHT",
                                    default=2 * Q_CLUSTER["workers"] + 2)

# The sync engine (integrations.engine).
SYNC_MAX_RETRIES = env.int("SYNC_MAX_RETRIES", default=5)
SYNC_BACKOFF_BASE_SECONDS = env.float("SYNC_BACKOFF_BASE_SECONDS", default=1.0)
SYNC_BACKOFF_CAP_SECONDS = env.float("SYNC_BACKOFF_CAP_SECONDS", default=60.0)
SYNC_BACKOFF_JITTER = env.float("SYNC_BACKOFF_JITTER", default=0.10)
SYNC_LEASE_SECONDS = env.int("SYNC_LEASE_SECONDS", default=Q_TIMEOUT)
# A job that would wait longer than this for a rate-limit slot gives its worker back.
SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = env.float("SYNC_RATE_LIMIT_MAX_WAIT_SECONDS", default=10.0)
# Empty: a request's slot counts until a window after its response (exact, whatever the way to
# the provider takes). Seconds: until a window after it was sent plus this, if that is sooner
# (the provider's arrival stamp trusted to lag the send by less than it varies; see README).
SYNC_RATE_LIMIT_ARRIVAL_SECONDS = env.float("SYNC_RATE_LIMIT_ARRIVAL_SECONDS", default=None)
# Background admissions on a key are spaced at least this fraction of a slot's share of the
# window apart (window / limit; 0: not spaced), so a key's slots do not free in bursts that a
# person's click waits behind (README, "Clicks first, customers fair").
SYNC_RATE_LIMIT_PACE = env.float("SYNC_RATE_LIMIT_PACE", default=0.9)
SYNC_HTTP_TIMEOUT_SECONDS = env.float("SYNC_HTTP_TIMEOUT_SECONDS", default=30.0)
# Refresh access tokens this long before they expire.
TOKEN_REFRESH_MARGIN_SECONDS = env.int("TOKEN_REFRESH_MARGIN_SECONDS", default=300)

# The offline provider simulators, mounted at /sandbox/<provider>/. On by default only in DEBUG.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "integrations.logging.RedactSecretsFilter"},
                # `code`, `token`, `state` in request lines (config/logfilters.py)
                "redact_query": {"()": "config.logfilters.RedactQueryParams"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_query", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's access log, through the same redacting handler (Django's own has none).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "urllib3": {"level": "WARNING"},
    },
}

# Inbound webhooks: a signed event older (or newer) than this many seconds is refused.
WEBHOOK_TOLERANCE_SECONDS = env.int("WEBHOOK_TOLERANCE_SECONDS", default=300)
# Events the endpoint accepted are queued by the sweep, this many to a django-q2 task (processed
# one after another in it; README, "Webhooks").
WEBHOOK_EVENTS_PER_TASK = env.int("WEBHOOK_EVENTS_PER_TASK", default=25)

# PowerOffice Go (README, "PowerOffice Go"). The base is the part before /v2 and /OAuth/Token:
# https://goapi.poweroffice.net/Demo (demo) or https://goapi.poweroffice.net (production).
POWEROFFICE_GO_BASE_URL = env.str(
    "POWEROFFICE_GO_BASE_URL", default="https://goapi.poweroffice.net/Demo").rstrip("/")
POWEROFFICE_GO_APPLICATION_KEY = env.str("POWEROFFICE_GO_APPLICATION_KEY", default="")
POWEROFFICE_GO_SUBSCRIPTION_KEY = env.str("POWEROFFICE_GO_SUBSCRIPTION_KEY", default="")
POWEROFFICE_GO_WEB_URL = env.str(
    "POWEROFFICE_GO_WEB_URL", default="https://godemo.poweroffice.net").rstrip("/")
POWEROFFICE_GO_POLL_MINUTES = env.int("POWEROFFICE_GO_POLL_MINUTES", default=1)
# Seconds an order export trusts the VAT codes it last read for its accounts (0: read every time).
POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS = env.int("POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS",
                                               default=600)

# Tripletex (README, "Tripletex"). API base with /v2 (production https://tripletex.no/v2).
TRIPLETEX_BASE_URL = env.str(
    "TRIPLETEX_BASE_URL", default="https://api-test.tripletex.tech/v2").rstrip("/")
TRIPLETEX_WEB_URL = env.str(
    "TRIPLETEX_WEB_URL", default="https://api-test.tripletex.tech/execute").rstrip("/")
TRIPLETEX_CONSUMER_TOKEN = env.str("TRIPLETEX_CONSUMER_TOKEN", default="")
TRIPLETEX_SESSION_DAYS = env.int("TRIPLETEX_SESSION_DAYS", default=2)
TRIPLETEX_POLL_MINUTES = env.int("TRIPLETEX_POLL_MINUTES", default=15)

# Fortnox (README, "Fortnox"). API base (paths /3/... and /api/...) and OAuth base.
FORTNOX_BASE_URL = env.str("FORTNOX_BASE_URL", default="https://api.fortnox.se").rstrip("/")
FORTNOX_AUTH_URL = env.str(
    "FORTNOX_AUTH_URL", default="https://apps.fortnox.se/oauth-v1").rstrip("/")
FORTNOX_WEB_URL = env.str("FORTNOX_WEB_URL", default="https://apps.fortnox.se").rstrip("/")
FORTNOX_CLIENT_ID = env.str("FORTNOX_CLIENT_ID", default="")
FORTNOX_CLIENT_SECRET = env.str("FORTNOX_CLIENT_SECRET", default="")
FORTNOX_IMPORT_MINUTES = env.int("FORTNOX_IMPORT_MINUTES", default=60)

# Visma eAccounting (README, "Visma eAccounting"). API base (paths /v2/...), Visma's identity
# server (paths /connect/...; shared with Visma payroll: one consent can carry both products'
# scopes), and our client registered with Visma.
VISMA_EACCOUNTING_BASE_URL = env.str(
    "VISMA_EACCOUNTING_BASE_URL", default="https://eaccountingapi.vismaonline.com").rstrip("/")
VISMA_IDENTITY_URL = env.str(
    "VISMA_IDENTITY_URL", default="https://identity.vismaonline.com").rstrip("/")
VISMA_CLIENT_ID = env.str("VISMA_CLIENT_ID", default="")
VISMA_CLIENT_SECRET = env.str("VISMA_CLIENT_SECRET", default="")
VISMA_EACCOUNTING_IMPORT_MINUTES = env.int("VISMA_EACCOUNTING_IMPORT_MINUTES", default=60)

# Visma payroll (Spiris Lön API V2; README, "Visma payroll"): API base (paths /v2/...) and the
# minutes between reads of wage runs and payslips. It connects through VISMA_IDENTITY_URL with
# VISMA_CLIENT_ID / VISMA_CLIENT_SECRET, like Visma eAccounting.
VISMA_PAYROLL_BASE_URL = env.str(
    "VISMA_PAYROLL_BASE_URL", default="https://vlsapi.vismaonline.com").rstrip("/")
VISMA_PAYROLL_RESULTS_MINUTES = env.int("VISMA_PAYROLL_RESULTS_MINUTES", default=60)

# /metrics (Prometheus): readable by superusers, or with `Authorization: Bearer <token>`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
