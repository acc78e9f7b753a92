"""What the periodic command (``manage.py guichet_periodic``) does to exports.

- ``fail_stalled(minutes)``: an export still « En cours » whose build started more than
  ``minutes`` ago is marked failed, with a French message asking to start it again. Its worker
  died (killed, machine restarted) while building it: nothing else would ever finish it. The
  largest export measured (100 000 dossiers, every column) is built in under 30 seconds, so the
  default of 30 minutes leaves a wide margin to an export that is merely slow.
- ``delete_expired(days)``: exports requested more than ``days`` ago are deleted with their
  file, so the private storage does not keep every spreadsheet ever asked for. A file already
  missing is not an error.
"""

from __future__ import annotations

import datetime as dt
import logging

from guichet import clock
from guichet.documents.storage import private_storage

from .models import Export, ExportStatus

logger = logging.getLogger(__name__)

STALLED_MESSAGE = (
    "L’export s’est interrompu (le processus des tâches de fond s’est arrêté). "
    "Relancez-le depuis la liste."
)


def fail_stalled(minutes: int) -> int:
    """Mark as failed the running exports started more than ``minutes`` ago; return how many."""
    limit = clock.now() - dt.timedelta(minutes=minutes)
    return Export.objects.filter(status=ExportStatus.RUNNING, started_at__lt=limit).update(
        status=ExportStatus.FAILED, error=STALLED_MESSAGE, finished_at=clock.now()
    )


def delete_expired(days: int) -> int:
    """Delete the exports requested more than ``days`` ago and their files; return how many."""
    limit = clock.now() - dt.timedelta(days=days)
    storage = private_storage()
    deleted = 0
    for export in Export.objects.filter(created_at__lt=limit).only("pk", "file").iterator():
        if export.file.name:
            try:
                storage.delete(export.file.name)
            except OSError:
                logger.warning("Export %s: file %s not deleted", export.pk, export.file.name)
                continue  # kept, tried again at the next run
        export.delete()
        deleted += 1
    return deleted
