"""System checks of the documents app."""

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.files)
def check_private_storage(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when the settings module lost ``STORAGES["private"]`` (uploads would fail)."""
    if "private" in settings.STORAGES:
        return []
    return [
        checks.Warning(
            'STORAGES has no "private" entry: uploaded files cannot be stored or served.',
            hint='Keep STORAGES["private"] from config/settings/base.py when redefining STORAGES.',
            id="documents.W001",
        )
    ]
