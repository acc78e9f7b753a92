from .base import *  # noqa: F403

SECRET_KEY = "test-only"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Static files come from the finders; no collectstatic needed.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Every request closes its connection, so the live test server leaves none behind.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# A cache per test process; the shared backends (database, Redis) are tested in
# tests/accounts/test_throttling.py. The database cache's table is made by the migrations.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
