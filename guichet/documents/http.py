"""Serving a stored file to a person allowed to see it."""

from __future__ import annotations

import unicodedata
from typing import Protocol
from urllib.parse import quote

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

from .uploads import FORMATS_BY_KIND, IMAGE_KINDS, safe_filename

# Shown in the browser rather than downloaded: formats browsers render without running anything
# from the file. Everything else is an attachment.
INLINE_MIME_TYPES = frozenset(
    FORMATS_BY_KIND[kind].mime_type for kind in ("pdf", *sorted(IMAGE_KINDS))
)
_KNOWN_MIME_TYPES = frozenset(f.mime_type for f in FORMATS_BY_KIND.values())


class StoredFile(Protocol):
    """What :func:`file_response` reads: a :class:`~guichet.documents.models.StoredFileMixin`."""

    file: FieldFile
    original_name: str
    mime_type: str


def file_response(stored: StoredFile, *, inline: bool) -> FileResponse:
    """The HTTP response that sends a stored file.

    The CALLER CHECKS PERMISSIONS first, and answers ``raise Http404`` (never 403, which would
    confirm that the file exists) to anyone not allowed to see the file. If the stored file is
    missing from the storage, this raises ``Http404`` too.

    ``inline=True`` displays PDFs and images in the browser; any other format is always sent as
    an attachment. Headers: the stored MIME type (``application/octet-stream`` if unknown),
    ``Content-Disposition`` with an ASCII ``filename`` and the UTF-8 ``filename*`` (RFC 6266 and
    RFC 5987), ``X-Content-Type-Options: nosniff``, ``Cache-Control: private, no-store``,
    ``Cross-Origin-Resource-Policy: same-origin`` and, for inline display,
    ``Content-Security-Policy: sandbox`` (no script, no form, no same-origin access).
    """
    mime_type = stored.mime_type if stored.mime_type in _KNOWN_MIME_TYPES else ""
    as_inline = inline and mime_type in INLINE_MIME_TYPES
    try:
        handle = stored.file.storage.open(stored.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("Fichier introuvable.") from exc
    response = FileResponse(handle, content_type=mime_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition(stored.original_name, inline=as_inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if as_inline:
        response["Content-Security-Policy"] = "sandbox"
    return response


def content_disposition(filename: str, *, inline: bool) -> str:
    """``attachment; filename="Devis signe.pdf"; filename*=UTF-8''Devis%20sign%C3%A9.pdf``.

    The ASCII fallback drops accents (``é`` → ``e``) and replaces other non-ASCII characters,
    quotes and backslashes with ``_``; ``filename*`` carries the exact name.
    """
    name = safe_filename(filename)
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_name = "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_"
        for ch in decomposed
        if not unicodedata.combining(ch)
    )
    disposition = "inline" if inline else "attachment"
    value = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value
