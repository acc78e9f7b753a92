"""Settings shared by every environment. Environment-specific files import from here."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

SECRET_KEY = "insecure-dev-key-overridden-in-production"
DEBUG = False
ALLOWED_HOSTS: list[str] = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    # The admin signs in through the site's own sign-in (guichet.www.accounts.admin_site).
    "guichet.accounts.apps.GuichetAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "widget_tweaks",
    "dsfr",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "guichet.accounts",
    "guichet.territories",
    "guichet.calls",
    "guichet.simulator",
    "guichet.www.public",
    "guichet.documents",
    "guichet.dossiers",
    "guichet.review",
    "guichet.grants",
    "guichet.committee",
    "guichet.exports",
    "guichet.periodic",
    "guichet.ds",
    "guichet.demo",
    "guichet.www.applicant",
    "rest_framework",
    "drf_spectacular",
    "guichet.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "guichet.www.security.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "guichet.www.accounts.middleware.ManagerTotpMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: gives require_POST's and require_GET's empty 405 a French page.
    "guichet.www.errors.MethodNotAllowedPage",
]
# A refused CSRF token: a French page that does not read the request's body.
CSRF_FAILURE_VIEW = "guichet.www.errors.csrf_failure"

ROOT_URLCONF = "config.urls"
AUTH_USER_MODEL = "accounts.User"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guichet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guichet.www.context_processors.site",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# SQLite is the embedded default; PostgreSQL in production through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'guichet.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False  # money and counts are formatted by guichet.rules.money

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "guichet" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Uploaded documents: outside STATIC_ROOT and MEDIA_ROOT, served by no URL, only through
    # guichet.documents.http.file_response after a permission check.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": VAR_DIR / "private",
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded files are readable by the service's own user only, in whatever storage they land.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# The first handler stops keeping a file's bytes once it passes GUICHET["UPLOAD_MAX_BYTES"]
# (guichet/documents/handlers.py): nothing beyond the limit is held in memory or written to disk.
FILE_UPLOAD_HANDLERS = [
    "guichet.documents.handlers.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # pypdf warns about every oddity of a hostile upload, which check_upload refuses anyway.
    "loggers": {"pypdf": {"level": "ERROR"}},
}

GUICHET = {
    # The call shown when none is named (CLI and simulator).
    "DEFAULT_CALL": "fitn7-axe3-puy-de-dome-2021",
    "SITE_TITLE": "guichet",
    "SITE_TAGLINE": "Appels à projets de l’État pour les collectivités territoriales",
    # Largest accepted upload, in bytes (GUICHET_UPLOAD_MAX_MB in the environment, default 10).
    "UPLOAD_MAX_BYTES": int(float(os.environ.get("GUICHET_UPLOAD_MAX_MB", "10")) * 1024 * 1024),
}

# The Django admin (/admin/): GUICHET_ADMIN=0 removes it, URL and all. Only staff accounts whose
# session was verified with a second factor reach it (guichet.www.accounts.admin_site).
GUICHET_ADMIN = os.environ.get("GUICHET_ADMIN", "1").strip().lower() not in ("0", "false", "no")

# Two-factor authentication: django-otp's devices (guichet.accounts.two_factor). Wrong codes are
# delayed per account by guichet.accounts.throttling; django-otp's own per-device delay is off,
# so that one rule applies.
OTP_TOTP_ISSUER = "guichet"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Sign-in delay (guichet.accounts.throttling): how many reverse proxies in front of the site
# append to X-Forwarded-For. 0 (the default) reads REMOTE_ADDR only: the header can be forged.
GUICHET_TRUSTED_PROXIES = int(os.environ.get("GUICHET_TRUSTED_PROXIES", "0"))

# The cache holds the sign-in delay's counts and the e-mails' resend limits: it must be shared by
# every process. The database (``createcachetable``, run by the accounts migration
# 0005_cache_table) unless REDIS_URL names a Redis server.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
        if os.environ.get("REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "guichet_cache",
        }
    )
}

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "applicant:dossiers"
LOGOUT_REDIRECT_URL = "public:home"

# E-mail (guichet.notifications.send_email). The backend is chosen per environment.
DEFAULT_FROM_EMAIL = "guichet <ne-pas-repondre@guichet.localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[guichet] "
EMAIL_TIMEOUT = 10

# Absolute links in e-mails and PDFs, which are written outside any request.
GUICHET["BASE_URL"] = __import__("os").environ.get("GUICHET_BASE_URL", "http://127.0.0.1:8000")

# Passwords: the CNIL's recommendation (guichet/accounts/passwords.py), then Django's list of
# common passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "guichet.accounts.passwords.CnilPasswordValidator"},
    {"NAME": "guichet.accounts.passwords.PersonalInformationValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# ProConnect (OpenID Connect for public agents): off unless PROCONNECT_CLIENT_ID and the
# provider (PROCONNECT_ISSUER, e.g. https://auth.agentconnect.gouv.fr/api/v2, or
# PROCONNECT_DISCOVERY_URL) are set. See guichet/accounts/proconnect.py.
_PROCONNECT_ISSUER = os.environ.get("PROCONNECT_ISSUER", "").rstrip("/")
PROCONNECT = {
    "DISCOVERY_URL": os.environ.get("PROCONNECT_DISCOVERY_URL")
    or (f"{_PROCONNECT_ISSUER}/.well-known/openid-configuration" if _PROCONNECT_ISSUER else ""),
    "CLIENT_ID": os.environ.get("PROCONNECT_CLIENT_ID", ""),
    "CLIENT_SECRET": os.environ.get("PROCONNECT_CLIENT_SECRET", ""),
    "SCOPES": os.environ.get("PROCONNECT_SCOPES", "openid email given_name usual_name siret"),
    "ACR_VALUES": os.environ.get("PROCONNECT_ACR_VALUES", ""),
    "TIMEOUT": float(os.environ.get("PROCONNECT_TIMEOUT", "10")),
}
PROCONNECT["ENABLED"] = bool(PROCONNECT["CLIENT_ID"] and PROCONNECT["DISCOVERY_URL"])

# Content-Security-Policy (django-csp) on every response that sets none of its own (stored files
# are served with ``sandbox``, guichet/documents/http.py). No inline script or style: scripts are
# files under guichet/static/guichet/, htmx's indicator style is in guichet.css
# (``includeIndicatorStyles`` off in base.html). PDF previews are same-origin frames.
# ProConnect's sign-out is a redirect after the « Se déconnecter » form: its origin is allowed
# in form-action when ProConnect is configured.
_CSP_FORM_ACTION = ["'self'"]
if PROCONNECT["ENABLED"]:
    from urllib.parse import urlsplit as _urlsplit

    for _url in (PROCONNECT["DISCOVERY_URL"], _PROCONNECT_ISSUER):
        _parts = _urlsplit(_url)
        if _parts.scheme and _parts.netloc:
            _origin = f"{_parts.scheme}://{_parts.netloc}"
            if _origin not in _CSP_FORM_ACTION:
                _CSP_FORM_ACTION.append(_origin)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": _CSP_FORM_ACTION,
        "base-uri": ["'self'"],
    }
}

# The read API (guichet/api): tokens only (no session, so no CSRF to think of), JSON only,
# GET only; requests per minute per token, and per address without one.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["guichet.api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["guichet.api.authentication.TokenRequired"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "guichet.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("GUICHET_API_TOKEN_RATE", "120/min"),
        "anonymous": os.environ.get("GUICHET_API_ANONYMOUS_RATE", "60/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API de lecture de guichet",
    "DESCRIPTION": (
        "Appels à projets, enveloppes et leur registre, dossiers (état, verdict, montants), "
        "subventions et paiements, séances du comité et décisions. Lecture seule. Montants : "
        "nombres JSON en euros (deux décimales au plus) ; dates ISO 8601, heures avec leur "
        "décalage (heure de Paris). Pagination par curseur (liens next et previous)."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": False,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
}
