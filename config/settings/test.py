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


class UndefinedTemplateVariable(Exception):
    """A template of guichet printed a variable that does not exist."""


class UndefinedVariable:
    """The templates' ``string_if_invalid`` in tests: printing a variable that does not exist
    raises, and is also recorded in ``found`` so that a test fails even when the page was drawn by
    the live server's thread or the exception was swallowed (tests/conftest.py checks it after
    every test).

    It is falsy, so Django keeps its own behaviour everywhere else: ``{% if missing %}`` and
    ``{% for x in missing %}`` see nothing, ``{{ missing|default:"—" }}`` prints its default (a
    truthy ``string_if_invalid`` would make Django skip the filters), and a missing one-to-one row
    (``{% if dossier.receipt %}``) is false. Only output is refused: ``{{ missing }}``, a filter
    that makes a string of it or reads it (``|upper``, ``|date``), a tag that prints it.

    Templates outside guichet (django-dsfr's, Django's forms and admin) are exempt and print
    nothing, as in production: some of them print optional variables that their callers may leave
    out (django-dsfr's components), which is their documented use, not a mistake of ours.
    """

    found: list[str] = []

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<undefined template variable>"

    def __str__(self) -> str:
        where = _template_node()
        if where is None:
            return ""
        self.found.append(where)
        raise UndefinedTemplateVariable(where)

    def __mod__(self, var: object) -> str:
        return str(self)

    def __getattr__(self, name: str) -> object:
        # A filter that reads the value (|date reads .year, .month…) is using it too; dunder
        # lookups (copy, pickle, escaping's __html__) keep Python's answer.
        if name.startswith("__"):
            raise AttributeError(name)
        str(self)
        raise AttributeError(name)  # in a third-party template: as Django would


def _template_node() -> str | None:
    """Where the variable is printed (file, line, tag), or None in a third-party template."""
    import sys

    from django.template.base import Node

    frame = sys._getframe(2)
    while frame is not None:
        node = frame.f_locals.get("self")
        if isinstance(node, Node) and getattr(node, "origin", None) is not None:
            name = str(node.origin.name)
            if name.startswith("/") and not name.startswith(str(BASE_DIR / "guichet")):  # noqa: F405
                return None
            line = node.token.lineno if node.token else "?"
            text = node.token.contents if node.token else ""
            return f"undefined template variable in {name}, line {line}: « {text} »"
        frame = frame.f_back
    return "undefined template variable (template unknown)"


TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = UndefinedVariable()  # noqa: F405

# Django's check wants string_if_invalid to be a string; the object above stands in for one on
# purpose (tests/conftest.py), so `manage.py` commands run with these settings are not refused.
SILENCED_SYSTEM_CHECKS = ["templates.E002"]

# The suite's API requests share one address and one cache: no rate limit but where a test
# sets one (tests/api/test_tokens.py).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"token": None, "anonymous": None},
}
