"""Settings for the ML environment portal, all read from the environment.

Defaults are the embedded mode (SQLite and Celery's filesystem transport under ``var/``, the fake
AWS of ``fakeaws/``, console email). Production sets ``DATABASE_URL``, ``CELERY_BROKER_URL``,
``SECRET_KEY`` and ``ALLOWED_HOSTS``; see the configuration table in the README.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_mapping, env_required, env_str
from portal.saml_config import role_groups, saml_provider_settings
from portal.sealing import key_derived, keys_parse

# Generic admin/form bases (`admin.ModelAdmin[Project]`) are typed for mypy --strict; this
# makes them valid at run time too (django-stubs-ext's documented set-up).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-only-used-when-DEBUG-is-on")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
else:
    SECRET_KEY = env_required("SECRET_KEY", why="when DEBUG is off (a long random string)")
    ALLOWED_HOSTS = env_list(
        "ALLOWED_HOSTS", env_required("ALLOWED_HOSTS", why="when DEBUG is off (comma-separated)")
    )
if len(SECRET_KEY) < 50 and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")

# Keys that seal NoEcho parameter values at rest (portal.sealing): Fernet keys, comma-separated,
# the first one sealing. Production must set it (a system check refuses to run without it, so
# `check --deploy` and `migrate` say so); with DEBUG on a key is derived from SECRET_KEY.
PORTAL_PARAMETER_KEYS = keys_parse(env_str("PORTAL_PARAMETER_KEY", ""))
if not PORTAL_PARAMETER_KEYS and DEBUG:
    PORTAL_PARAMETER_KEYS = [key_derived(secret=SECRET_KEY)]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.saml",
    "portal",
    "catalog",
    "approvals",
    "provisioning",
    "leases",
    "quotas",
    "guardrails",
    "identity",
    "fakeaws",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.RequestIdMiddleware",
    "portal.middleware.BadInputMiddleware",
    "portal.middleware.HeadAsGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.sso.SessionRoleLifetimeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Tests and `runserver` work without collectstatic; production images run it at build time.
WHITENOISE_MANIFEST_STRICT = False
WHITENOISE_USE_FINDERS = env_bool("PORTAL_STATIC_FROM_SOURCE", DEBUG)

# --- Security ------------------------------------------------------------------------------
# Production sits behind a TLS-terminating proxy. PORTAL_PLAIN_HTTP=true relaxes the HTTPS-only
# settings for a plain-HTTP demo on localhost; never set it in production.
PLAIN_HTTP = env_bool("PORTAL_PLAIN_HTTP", DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env_bool("PORTAL_USE_X_FORWARDED_HOST", False)
PORTAL_TRUSTED_PROXY_COUNT = env_int("PORTAL_TRUSTED_PROXY_COUNT", 0, minimum=0)
SECURE_SSL_REDIRECT = not PLAIN_HTTP
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/workers$", r"^metrics$"]
SESSION_COOKIE_SECURE = not PLAIN_HTTP
CSRF_COOKIE_SECURE = not PLAIN_HTTP
SECURE_HSTS_SECONDS = 0 if PLAIN_HTTP else env_int("PORTAL_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("PORTAL_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent on every response by portal.middleware.SecurityHeadersMiddleware. No inline script or
# style anywhere (tests/portal/test_security_headers.py scans the templates); images may be data:
# URIs (the Django admin's icons). frame-ancestors repeats X-Frame-Options for CSP browsers.
PORTAL_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)
PORTAL_PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)
# Django's database sessions, each row read by a statement compiled once (portal/sessions.py).
SESSION_ENGINE = "portal.sessions"
SESSION_COOKIE_NAME = "portal_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("PORTAL_SESSION_SECONDS", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_NAME = "portal_csrftoken"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# --- Sign-in (django-allauth, SAML only unless PORTAL_LOCAL_LOGIN) ------------------------
PORTAL_LOCAL_LOGIN = env_bool("PORTAL_LOCAL_LOGIN", False)
# Break-glass sign-in is locked for a username from an address after this many failures...
PORTAL_LOCAL_LOGIN_MAX_FAILURES = env_int("PORTAL_LOCAL_LOGIN_MAX_FAILURES", 5, minimum=1)
# ...within this many seconds (and stays locked until the failures age out of the window).
PORTAL_LOCAL_LOGIN_LOCKOUT_SECONDS = env_int("PORTAL_LOCAL_LOGIN_LOCKOUT_SECONDS", 900, minimum=60)
ACCOUNT_ADAPTER = "portal.sso.PortalAccountAdapter"
SOCIALACCOUNT_ADAPTER = "portal.sso.PortalSocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = saml_provider_settings()
# Sign-in endpoints refuse larger bodies before reading them (a signed SAMLResponse with a few
# hundred groups stays well below 256 KiB; Entra switches to its overage claim above 150 groups).
PORTAL_SAML_MAX_BODY_BYTES = env_int("PORTAL_SAML_MAX_BODY_BYTES", 256 * 1024, minimum=16 * 1024)

# A SAML session ends this long after its sign-in, so roles the IdP removed stop working (the
# person signs in again through the IdP, which sends the current groups).
PORTAL_SESSION_ROLE_SECONDS = env_int("PORTAL_SESSION_ROLE_SECONDS", 900, minimum=60)
# The menu's "may approve" and "has a project view" answers are kept in the session this long
# (they cost several EXISTS per page); 0 asks on every page.
PORTAL_MENU_ROLE_SECONDS = env_int("PORTAL_MENU_ROLE_SECONDS", 60, minimum=0)

# API tokens expire this many days after they are issued (the token page shows the date).
PORTAL_API_TOKEN_DAYS = env_int("PORTAL_API_TOKEN_DAYS", 90, minimum=1)

# Which IdP groups grant which portal role; a user leaves a role when the IdP drops the group.
# role=group|group;role2=...: '|' between groups, because LDAP DNs (CN=x,OU=y) hold commas.
PORTAL_ROLE_GROUPS = role_groups(
    "catalog_admin=ml-platform-admins;auditor=it-audit;approver=ml-approvers",
)
_unknown_roles = set(PORTAL_ROLE_GROUPS) - {"catalog_admin", "auditor", "approver"}
if _unknown_roles:
    raise ImproperlyConfigured(
        f"PORTAL_ROLE_GROUPS names unknown roles {sorted(_unknown_roles)}; "
        "use catalog_admin, auditor or approver"
    )
# The AWS owner-tag value, equal to aws:userid of the user's federated role (RoleId:session-name).
PORTAL_OWNER_ID_TEMPLATE = env_str("PORTAL_OWNER_ID_TEMPLATE", "{aws_role_id}:{username}")
PORTAL_AWS_ROLE_ID = env_str("PORTAL_AWS_ROLE_ID", "AROAEXAMPLEDATASCIENTIST")

# --- AWS ----------------------------------------------------------------------------------
# "fake" (default: the demo, the tests, the benchmarks) answers every boto3 call with the fake AWS
# of fakeaws/ (through the client hook below); "aws" calls AWS with boto3's standard credential
# chain. Both run the same code: the mode only chooses the defaults of the two settings below, and
# nothing outside this file looks at it.
PORTAL_AWS_MODE = env_str("PORTAL_AWS_MODE", "fake")
if PORTAL_AWS_MODE not in {"fake", "aws"}:
    raise ImproperlyConfigured(f"PORTAL_AWS_MODE must be fake or aws, got {PORTAL_AWS_MODE!r}")
_FAKE = PORTAL_AWS_MODE == "fake"
# botocore's adaptive retries are the only retries below the Celery tasks (portal.aws_errors).
PORTAL_AWS_MAX_ATTEMPTS = env_int("PORTAL_AWS_MAX_ATTEMPTS", 8, minimum=1)
# A dotted path to a callable applied to every boto3 client the portal makes (STS included), for
# example an event hook answering calls in a test or demo set-up. Fake mode: the fake's attach.
PORTAL_AWS_CLIENT_HOOK = env_str("PORTAL_AWS_CLIENT_HOOK", "fakeaws.hook.attach" if _FAKE else "")
# "ACCESS_KEY_ID:SECRET" used instead of boto3's credential chain (a fake AWS needs no real keys,
# and boto3 then never searches instance metadata). Fake mode: the fake's portal credentials;
# aws mode: empty, the standard chain.
_static = env_str("PORTAL_AWS_STATIC_CREDENTIALS", "")
PORTAL_AWS_STATIC_CREDENTIALS: tuple[str, str] | None = None
if _static:
    _key_id, _sep, _secret = _static.partition(":")
    if not _sep or not _key_id or not _secret:
        raise ImproperlyConfigured(
            "PORTAL_AWS_STATIC_CREDENTIALS must look like ACCESS_KEY_ID:SECRET_ACCESS_KEY")
    PORTAL_AWS_STATIC_CREDENTIALS = (_key_id, _secret)
elif _FAKE:
    from fakeaws.credentials import FAKE_CREDENTIALS

    PORTAL_AWS_STATIC_CREDENTIALS = (FAKE_CREDENTIALS["aws_access_key_id"],
                                     FAKE_CREDENTIALS["aws_secret_access_key"])
# Lifetime asked for assumed-role sessions (STS allows 900 s up to the role's maximum); the portal
# reuses the credentials until 5 minutes before they expire.
PORTAL_AWS_SESSION_SECONDS = env_int("PORTAL_AWS_SESSION_SECONDS", 3600, minimum=900)
# Name of a role in each project account that platform admins act through when they open, change
# or terminate someone else's environment (its policy, not the owner-tag condition, decides).
# Empty: admins act in their own tagged session, so the owner condition denies them in AWS.
PORTAL_AWS_ADMIN_ROLE_NAME = env_str("PORTAL_AWS_ADMIN_ROLE_NAME", "")

# --- The fake AWS (fakeaws/: demo and tests) -------------------------------------------------
# The account the static fake credentials belong to (the portal's own account).
FAKEAWS_PORTAL_ACCOUNT = env_str("FAKEAWS_PORTAL_ACCOUNT", "999999999999")
# How long a fake stack or notebook transition takes; eventual consistency after a create.
FAKEAWS_OPERATION_SECONDS = env_int("FAKEAWS_OPERATION_SECONDS", 8, minimum=0)
FAKEAWS_CONSISTENCY_SECONDS = env_int("FAKEAWS_CONSISTENCY_SECONDS", 2, minimum=0)
# Where presigned notebook/Studio URLs point (the fake's pages on this portal).
FAKEAWS_BASE_URL = env_str("FAKEAWS_BASE_URL", "")
# IAM-lite owner condition per account: "111111111111=owner,principal-tag;2222…=owner,userid".
FAKEAWS_OWNER_CONDITION = env_mapping("FAKEAWS_OWNER_CONDITION")
# The explicit admin role in every fake account (set it to PORTAL_AWS_ADMIN_ROLE_NAME): trusted
# like the project role, without the owner condition. Empty: the accounts have no admin role.
FAKEAWS_ADMIN_ROLE_NAME = env_str("FAKEAWS_ADMIN_ROLE_NAME", "")
# The catalog definition (portfolios, products, templates); empty: the demo catalog.
FAKEAWS_CATALOG_FILE = env_str("FAKEAWS_CATALOG_FILE", "")

# --- Catalog --------------------------------------------------------------------------------
# Seconds between periodic catalog syncs (0 turns the periodic sync off).
PORTAL_CATALOG_SYNC_SECONDS = env_int("PORTAL_CATALOG_SYNC_SECONDS", 3600, minimum=0)
# Publish products the sync finds for the first time (off: a platform admin publishes them).
PORTAL_CATALOG_PUBLISH_NEW = env_bool("PORTAL_CATALOG_PUBLISH_NEW", False)
# How long the project account's subnets, VPCs, security groups and KMS aliases (the choices of
# AWS-typed parameters) are reused per process (0: read them for every form).
PORTAL_RESOURCE_CHOICES_CACHE_SECONDS = env_int("PORTAL_RESOURCE_CHOICES_CACHE_SECONDS", 60,
                                                minimum=0)
# Where "Request this environment" leads: the view of the app that takes requests (wiring, not
# configuration: the catalog app must not name the apps above it).
CATALOG_REQUEST_VIEW = "approvals:request_new"

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token class first: its challenge makes unauthenticated calls 401 (see the class).
        "portal.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Documents each operation's refusals (400/401/403/404/409/413/415) from how it is built.
    "DEFAULT_SCHEMA_CLASS": "portal.api_schema.PortalAutoSchema",
    # limit/offset as plain numbers, limit capped at 500 (portal/api_input.py).
    "DEFAULT_PAGINATION_CLASS": "portal.api_input.PortalPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API takes JSON only (no form or multipart bodies), bounded in size and depth.
    "DEFAULT_PARSER_CLASSES": ["portal.api_input.PortalJSONParser"],
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ML environment portal API",
    "DESCRIPTION": "Request, approve and open approved SageMaker environments.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Background work -------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
_broker_dir = VAR_DIR / "celery-broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # kombu's filesystem transport with whole-message writes and one-reader takes
    # (portal/broker_files.py): a burst could hand a worker an empty message file.
    CELERY_BROKER_TRANSPORT = "portal.broker_files:Transport"
else:  # Redis: its visibility timeout is set with the sweep settings below
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("redis://"):
    # kombu's Redis transport with a fix for the worker dying in a Redis outage (portal/broker.py).
    # An explicit transport wins over the URL's scheme, so rediss:// (TLS) keeps kombu's own.
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- E-mail, approvals, provisioning, sweeps (config/settings_work.py) -----------------------
from config.settings_leases import *  # noqa: E402,F403  (leases: terms, warnings, sweep)
from config.settings_work import *  # noqa: E402,F403
from config.settings_work import PORTAL_BROKER_VISIBILITY_SECONDS  # noqa: E402

# Redis redelivers what a worker has not acknowledged after this (the sweep settings decide it).
if not CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = PORTAL_BROKER_VISIBILITY_SECONDS
