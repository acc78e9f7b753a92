"""The abstract model of a stored file; dossier and message attachments inherit it."""

from __future__ import annotations

from typing import IO

from django.db import models

from guichet import clock

from .storage import private_storage, save_checked
from .uploads import CheckedUpload, check_upload


class StoredFileMixin(models.Model):
    """A file in the private storage, with what the user called it and what it really is.

    Concrete models add who owns it (dossier, message) and inherit these fields. Fill them with
    :meth:`store_checked` from a :class:`~guichet.documents.uploads.DocumentField` value; serve
    them with :func:`guichet.documents.http.file_response` after a permission check.
    """

    file = models.FileField("fichier", storage=private_storage, max_length=255)
    original_name = models.CharField("nom du fichier déposé", max_length=255)
    mime_type = models.CharField("type de fichier", max_length=100)
    size = models.PositiveBigIntegerField("taille (octets)")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("déposé le", default=clock.now)

    class Meta:
        abstract = True

    def store_checked(self, checked_file: IO[bytes], *, folder: str) -> CheckedUpload:
        """Save ``checked_file`` in the private storage and fill the fields (does not save self).

        ``checked_file`` is a :class:`DocumentField` value (or any file, checked here first).
        """
        checked = getattr(checked_file, "checked", None)
        if not isinstance(checked, CheckedUpload):
            checked = check_upload(checked_file)
        self.file.name = save_checked(checked_file, checked, folder=folder)
        self.original_name = checked.original_name
        self.mime_type = checked.mime_type
        self.size = checked.size
        self.sha256 = checked.sha256
        self.uploaded_at = clock.now()
        return checked
