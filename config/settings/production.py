import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY doit être défini en production.")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

# --- HTTPS and security headers (``manage.py check --deploy`` is clean with these defaults) ---
_TRUE = ("1", "true", "yes", "on")


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in _TRUE


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """``X-Forwarded-Proto: https`` → ``("HTTP_X_FORWARDED_PROTO", "https")``; empty → None."""
    if not value.strip():
        return None
    header, sep, expected = value.partition(":")
    if not sep or not header.strip() or not expected.strip():
        raise ImproperlyConfigured(
            "GUICHET_PROXY_SSL_HEADER s’écrit « En-tête: valeur », par exemple "
            "« X-Forwarded-Proto: https », ou vide si aucun proxy ne termine le TLS."
        )
    return ("HTTP_" + header.strip().upper().replace("-", "_"), expected.strip())


# The header by which the reverse proxy says the request came in over HTTPS. The proxy must set
# it on every request (and drop any value sent by the client); empty when Django faces the
# network itself.
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(
    os.environ.get("GUICHET_PROXY_SSL_HEADER", "X-Forwarded-Proto: https")
)
SECURE_SSL_REDIRECT = _flag("GUICHET_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("GUICHET_HSTS_SECONDS", "31536000"))  # one year
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("GUICHET_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _flag("GUICHET_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------- server (gunicorn, whitenoise)
# gunicorn (config/gunicorn.py) serves the application behind the reverse proxy; whitenoise
# serves the files that `manage.py collectstatic` gathered in STATIC_ROOT, compressed, hashed
# names cached for ten years (CompressedManifestStaticFilesStorage, from base).
STATIC_ROOT = os.environ.get("GUICHET_STATIC_ROOT", str(STATIC_ROOT))  # noqa: F405
# Persistent connections (CONN_MAX_AGE in base), checked before reuse after a database restart.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
# Errors of requests to standard error, which gunicorn and systemd keep.
LOGGING.setdefault("loggers", {})["django.request"] = {"handlers": ["console"], "level": "ERROR"}  # noqa: F405

# Set in base.py from the environment, repeated here for the operator:
# - GUICHET_ADMIN=0 removes the Django admin (/admin/) altogether. When on, it is reached only
#   through the site's sign-in, by staff accounts whose second factor was verified.
# - REDIS_URL (redis://host:6379/0) puts the cache on Redis; without it the cache is the database
#   (table made by `manage.py migrate`). Either way every worker shares the sign-in delay's counts.
# - GUICHET_TRUSTED_PROXIES: how many reverse proxies append to X-Forwarded-For (0: none, only
#   REMOTE_ADDR is believed). 1 behind a single nginx or load balancer.

# E-mail through SMTP, configured by the environment.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "false").lower() in _TRUE  # implicit TLS (465)
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", str(not EMAIL_USE_SSL)).lower() in _TRUE  # STARTTLS
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS et EMAIL_USE_SSL ne peuvent pas être activés ensemble."
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", DEFAULT_FROM_EMAIL)  # noqa: F405
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
