"""Where uploaded files go: the ``private`` storage, never served by the web server.

``STORAGES["private"]`` is a ``FileSystemStorage`` under ``var/private/`` (outside STATIC_ROOT and
MEDIA_ROOT; no URL serves it) and an ``InMemoryStorage`` in tests. Files are stored under a random
name; the user's file name is kept in the database only (:class:`StoredFileMixin`).
"""

from __future__ import annotations

import re
import uuid
from typing import IO, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import InvalidStorageError, Storage, storages

from .uploads import CheckedUpload, check_upload

_FOLDER = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$")


def private_storage() -> Storage:
    """The storage of uploaded files (``STORAGES["private"]``).

    Returns a proxy that looks the backend up on every call, so that a model field can name it
    when models are imported (before settings overrides in tests) and a settings file that
    forgets the ``private`` entry fails only when a file is actually read or written, with
    ``ImproperlyConfigured``.
    """
    return _PRIVATE


def _backend() -> Storage:
    try:
        return storages["private"]
    except InvalidStorageError as exc:
        raise ImproperlyConfigured(
            'STORAGES["private"] is missing: the settings module must keep the private storage '
            "of config/settings/base.py when it redefines STORAGES."
        ) from exc


class PrivateStorage(Storage):
    """Delegates every operation to ``storages["private"]``, looked up at call time."""

    def open(self, name: str, mode: str = "rb") -> File:
        return _backend().open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return _backend().save(name, content, max_length=max_length)

    def get_valid_name(self, name: str) -> str:
        return _backend().get_valid_name(name)

    def get_alternative_name(self, file_root: str, file_ext: str) -> str:
        return _backend().get_alternative_name(file_root, file_ext)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return _backend().get_available_name(name, max_length=max_length)

    def generate_filename(self, filename: str) -> str:
        return _backend().generate_filename(filename)

    def path(self, name: str) -> str:
        return _backend().path(name)

    def delete(self, name: str) -> None:
        _backend().delete(name)

    def exists(self, name: str) -> bool:
        return _backend().exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return _backend().listdir(path)

    def size(self, name: str) -> int:
        return _backend().size(name)

    def url(self, name: str | None) -> str:
        raise NotImplementedError(
            "Private files have no URL: serve them with guichet.documents.http.file_response "
            "after a permission check."
        )

    def get_accessed_time(self, name: str) -> Any:
        return _backend().get_accessed_time(name)

    def get_created_time(self, name: str) -> Any:
        return _backend().get_created_time(name)

    def get_modified_time(self, name: str) -> Any:
        return _backend().get_modified_time(name)

    @property
    def backend(self) -> Storage:
        """The configured storage itself."""
        return _backend()


_PRIVATE = PrivateStorage()


def store_upload(checked_file: IO[bytes], *, folder: str) -> str:
    """Save an uploaded file in the private storage and return its storage name.

    ``checked_file`` is what :class:`DocumentField` returns (its ``.checked`` is used); a file
    without ``.checked`` is checked here first (``ValidationError`` if refused). The name is
    ``<folder>/<random hex>.<canonical extension>``, never the user's file name; ``folder`` is
    lower-case ASCII segments (``dossiers/pieces``), no ``..``.
    """
    checked: CheckedUpload | None = getattr(checked_file, "checked", None)
    if not isinstance(checked, CheckedUpload):
        checked = check_upload(checked_file)
    return save_checked(checked_file, checked, folder=folder)


def save_checked(file: IO[bytes], checked: CheckedUpload, *, folder: str) -> str:
    """:func:`store_upload` for a file already checked, its result given apart."""
    if not _FOLDER.match(folder):
        raise ValueError(f"invalid storage folder: {folder!r}")
    extension = checked.format.extensions[0]
    file.seek(0)
    content = file if isinstance(file, File) else File(file)
    name = private_storage().save(f"{folder}/{uuid.uuid4().hex}.{extension}", content)
    file.seek(0)
    return name
