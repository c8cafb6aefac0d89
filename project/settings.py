"""Settings for jailnet.

Without environment, the app runs on a fresh machine: a SQLite file under ``var/`` and an embedded
Valkey (Redis-compatible) server that ``project.embedded_redis`` starts on a free port. With
``DATABASE_URL`` / ``REDIS_URL`` it uses PostgreSQL and Redis (docker-compose, CI, production).

Secrets (``DJANGO_SECRET_KEY``, ``JAILNET_CREDENTIAL_KEY``) come from the environment; for the
embedded default they are generated on first run and kept in ``var/secrets.json`` (mode 0600, with the
embedded Valkey's password). ``var/`` is 0700 and the SQLite database 0600: it holds live session keys,
and a local user who read one was logged in as its owner.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url

from project.secrets import load_or_create_secrets, private_dir, private_file

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = private_dir(Path(os.environ.get("JAILNET_VAR_DIR", BASE_DIR / "var")))

if os.environ.get("DJANGO_SECRET_KEY") and os.environ.get("JAILNET_CREDENTIAL_KEY"):
    SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
    CREDENTIAL_ENCRYPTION_KEY = os.environ["JAILNET_CREDENTIAL_KEY"]
else:  # the embedded default: generated once, kept in var/secrets.json
    _secrets = load_or_create_secrets(VAR_DIR / "secrets.json")
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _secrets["django_secret_key"]
    CREDENTIAL_ENCRYPTION_KEY = os.environ.get("JAILNET_CREDENTIAL_KEY") or _secrets["credential_key"]

# Network namespace the controller opens management SSH connections in ("" = its own): a management VRF.
SSH_MANAGEMENT_NETNS = os.environ.get("JAILNET_SSH_MANAGEMENT_NETNS", "")

DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not from a CDN
    "axes",
    "channels",
    "core",
    "inventory",
    "topology",
    "executors",
    "executors.deploy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "project.middleware.StorableQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.ChangeContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a refused login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "project.asgi.application"

# --- database -----------------------------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    # Created 0600 before SQLite opens it: SQLite gives its journal and WAL files the database file's mode.
    # (project.sqlite_modes puts the mode back on every new connection, should the file be made anew.)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(private_file(VAR_DIR / "jailnet.sqlite3")),
            # WAL: readers (a websocket catching up on a job's output) and the one writer (the job's log) do not
            # block each other; synchronous=NORMAL is durable at each checkpoint and safe against corruption.
            # SQLite gives the -wal and -shm files the database file's mode.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not Django's in-memory default: a Celery worker started by the tests (another process)
            # must see the test database. One name per test process, so concurrent runs do not collide;
            # pytest-xdist appends its worker id, Django deletes the file when the run ends.
            "TEST": {"NAME": Path(tempfile.gettempdir()) / f"jailnet-test-{os.getpid()}.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and Celery broker -----------------------------------------------------
# Without REDIS_URL, ``python -m project.run`` (make run) starts an embedded Valkey server
# (project.embedded_redis) and hands its URL to web and worker in REDIS_URL; the tests do the same
# (tests/executors/conftest.py). Commands that need no Redis (migrate, design render) never start one.
# Without either, the URL names port 0 of loopback: using Redis then fails at once instead of reaching
# some other broker (Celery's own default is AMQP on localhost).
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:0/0"


def channel_layers_for(url: str) -> dict[str, Any]:
    """The ``CHANNEL_LAYERS`` setting for a Redis at ``url`` (the tests point it at their own server).

    channels_redis waits for messages with ``BZPOPMIN <channel> 5`` (its ``brpop_timeout``); redis-py 6+ gives
    every connection a 5 s ``socket_timeout`` by default, so on an idle socket the read gave up at the very moment
    the server answered "nothing", raised ``redis.exceptions.TimeoutError`` in the consumer and dropped the
    websocket every 5 s. The read timeout must outlast the blocking pop; keepalive and health checks still find a
    dead Redis, and the consumer then ends (the browser reconnects and catches up from the stored sequence).
    """
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {"address": url, "socket_timeout": 20, "socket_keepalive": True, "health_check_interval": 15}
                ],
                # A socket that reads slowly leaves at most ``capacity`` messages (each at most one output batch,
                # 64 KiB) waiting for it; the rest are dropped, and the consumer reads them back from the database
                # (output is stored before it is sent), so no client can make the server's memory grow.
                "capacity": 100,
                "expiry": 30,
                "group_expiry": 86400,
            },
        }
    }


CHANNEL_LAYERS = channel_layers_for(REDIS_URL)

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# Where tasks are sent and workers listen. The tests give each worker a queue of its own, so that tasks a
# task enqueues stay with the test that started it when test processes share one Redis.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("JAILNET_CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "0") == "1"
# Jobs (work on hosts: the lab, deploys, diagnostics) go to a queue of their own, consumed by a worker that may
# run as root and reach the hosts; the web process never does that work itself.
JAILNET_HOSTS_QUEUE = os.environ.get("JAILNET_HOSTS_QUEUE", "hosts")

# --- auth, i18n, static -------------------------------------------------------------------------
# Login throttling (django-axes) on every way in: the app's session login, HTTP basic auth of the API and the
# admin's login form all call authenticate(), whose first backend counts failures per user name and client
# address. After AXES_FAILURE_LIMIT failures that pair is locked out for AXES_COOLOFF_TIME, even with the
# right password; a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "project.auth_backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("JAILNET_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("JAILNET_LOGIN_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
# Behind a reverse proxy the client address is in X-Forwarded-For; trust it only when told to.
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("JAILNET_PROXY_COUNT", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "project.authentication.lockout_response"

# --- HTTPS, headers ------------------------------------------------------------------------------
# Production behind HTTPS sets JAILNET_HTTPS=1 (docs: README "Production"): HSTS, secure cookies, redirect to
# https; with JAILNET_PROXY_COUNT the proxy's X-Forwarded-Proto says a request came over HTTPS.
# `manage.py check --deploy` is clean with it (tests/security/test_headers_and_login.py runs it).
HTTPS = os.environ.get("JAILNET_HTTPS", "0") == "1"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("JAILNET_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("JAILNET_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("JAILNET_HSTS_PRELOAD", "1") == "1"
    if os.environ.get("JAILNET_PROXY_COUNT"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp): the app, the admin and the API docs load code only from this origin.
# React and React Flow position nodes with style attributes, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [p for p in [BASE_DIR / "frontend" / "dist"] if p.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- API ----------------------------------------------------------------------------------------
# The largest request body: a design document of up to 16 MiB (topology.design_io.MAX_DOCUMENT_CHARS; an exported
# 1,000-host design is 3.6 MB) sent as JSON, whose escaping adds a little. Django's default (2.5 MB) refused
# large designs with a bare "Bad Request". A larger body is answered 413 with the limit (project.exceptions).
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "project.authentication.ThrottledBasicAuthentication",  # basic auth; a lockout answers 429 + Retry-After
    ],
    "DEFAULT_PERMISSION_CLASSES": ["project.permissions.RolePermission"],
    # JSON with a nesting limit and storable text (project/parsers.py); forms as DRF has them.
    "DEFAULT_PARSER_CLASSES": [
        "project.parsers.SafeJSONParser",
        "project.parsers.SafeFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "project.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.JailnetAutoSchema",
    "EXCEPTION_HANDLER": "project.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "jailnet API",
    "DESCRIPTION": "Design, validate and render FreeBSD virtual networks: hosts, switches, VLANs, VXLAN, "
    "jails, bhyve VMs, NAT, redirects, DHCP and firewalls.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN, works offline, no third-party script.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChangeRequestStateEnum": "topology.models.changes.ChangeRequestState",
        "LabStateEnum": "executors.models.LabState",
        "JobStateEnum": "executors.models.JobState",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JAILNET_LOG_LEVEL", "INFO")},
}
