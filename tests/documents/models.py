"""A concrete stored file for the tests only (never saved: no table, no migration)."""

from guichet.documents.models import StoredFileMixin


class SampleAttachment(StoredFileMixin):
    class Meta:
        app_label = "documents"
        managed = False
