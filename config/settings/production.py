import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY doit être défini en production.")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True

# ---------------------------------------------------------------- server (gunicorn, whitenoise)
# gunicorn (config/gunicorn.py) serves the application behind the reverse proxy; whitenoise
# serves the files that `manage.py collectstatic` gathered in STATIC_ROOT, compressed, hashed
# names cached for ten years (CompressedManifestStaticFilesStorage, from base).
STATIC_ROOT = os.environ.get("GUICHET_STATIC_ROOT", str(STATIC_ROOT))  # noqa: F405
# Persistent connections (CONN_MAX_AGE in base), checked before reuse after a database restart.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
# Errors of requests to standard error, which gunicorn and systemd keep.
LOGGING["loggers"] = {"django.request": {"handlers": ["console"], "level": "ERROR"}}  # noqa: F405

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
_TRUE = ("1", "true", "yes", "on")
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "false").lower() in _TRUE  # implicit TLS (465)
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", str(not EMAIL_USE_SSL)).lower() in _TRUE  # STARTTLS
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS et EMAIL_USE_SSL ne peuvent pas être activés ensemble."
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", DEFAULT_FROM_EMAIL)  # noqa: F405
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
