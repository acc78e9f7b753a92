"""An upload handler that stops keeping a file once it passes the upload limit.

Django's own handlers keep every byte of a file part (in memory, then in a temporary file) before
any form sees it: a 60 Mo part was written to disk in full, only to be refused. Placed first in
``FILE_UPLOAD_HANDLERS``, :class:`UploadLimitHandler` passes a file's chunks on to the next
handlers up to :func:`~guichet.documents.uploads.max_upload_bytes`, then swallows the rest (it
still counts it), and hands the form a :class:`TooLargeUpload` in place of the file: an empty file
whose ``size`` is the real size, which :func:`~guichet.documents.uploads.check_upload` refuses
with its French « trop volumineux » message at the right field. The other fields of the form,
before and after the file, are kept.

The request body is still read to its end (that is how the fields after the file are kept): the
reverse proxy in front of the service limits the body as a whole (README, « Mise en
production »).
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from .uploads import max_upload_bytes


class TooLargeUpload(UploadedFile):
    """Stands for a file part that passed the limit: no content, its real size in ``size``."""

    too_large = True

    def __init__(self, name: str, content_type: str, size: int, charset: str | None) -> None:
        super().__init__(io.BytesIO(b""), name, content_type, size, charset)

    def open(self, mode: str | None = None) -> TooLargeUpload:
        self.file.seek(0)
        return self


class UploadLimitHandler(FileUploadHandler):
    """Keeps at most ``max_upload_bytes()`` of each file part; see the module's docstring."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes()
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            return None  # nothing more for the handlers that keep bytes
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received > self.limit:
            # The handlers after this one began a file of their own (a temporary file on disk
            # beyond 2.5 Mo) that nobody will return: close it now, which also removes it.
            for handler in getattr(self.request, "upload_handlers", ()):
                kept = getattr(handler, "file", None)
                if handler is not self and kept is not None and hasattr(kept, "close"):
                    kept.close()
            return TooLargeUpload(self.file_name, self.content_type, self.received, self.charset)
        return None  # the next handler returns the file it kept
