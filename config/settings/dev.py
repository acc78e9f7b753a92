from .base import *  # noqa: F403

DEBUG = True
STORAGES = {
    **STORAGES,  # noqa: F405 (keeps "private", the dossiers' files)
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Static files come from the finders; no collectstatic needed.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The demo prints e-mails (confirmation links, password resets) in the server's console.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
