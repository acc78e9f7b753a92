"""Benchmarks: production-like (DEBUG off), own SQLite file unless DATABASE_URL says otherwise."""

import os

import dj_database_url

from .base import *  # noqa: F403
from .base import MIDDLEWARE, STORAGES, VAR_DIR

DEBUG = False
SECRET_KEY = "bench-only"
ROOT_URLCONF = "bench.urls"
# First: counts the queries of the other middleware too (X-Queries response header).
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'bench.sqlite3'}", conn_max_age=600
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# No collectstatic before a bench: plain static storage; the other storages as in base.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
os.environ.setdefault("GUICHET_BENCH", "1")
