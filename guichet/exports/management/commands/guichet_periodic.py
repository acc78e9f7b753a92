"""``manage.py guichet_periodic``: the housekeeping to run every few minutes (cron, systemd timer).

Each step is idempotent and bounded by what has expired, so running it often costs little:
- expired sessions are deleted (Django's ``clearsessions``);
- exports « En cours » whose worker died are marked failed (``--stalled-minutes``, 30);
- exports older than ``--export-days`` (7) are deleted with their file;
- finished background task results older than ``--task-days`` (14) are deleted
  (as django-tasks-db's ``prune_db_task_results`` does).
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.exports import housekeeping


class Command(BaseCommand):
    help = "Ménage périodique : sessions expirées, exports interrompus ou anciens, tâches finies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stalled-minutes", type=int, default=30, metavar="N")
        parser.add_argument("--export-days", type=int, default=7, metavar="N")
        parser.add_argument("--task-days", type=int, default=14, metavar="N")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("stalled_minutes", "export_days", "task_days"):
            if options[name] < 1:
                self.stderr.write(f"--{name.replace('_', '-')} doit être au moins 1.")
                raise SystemExit(2)
        import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
        stalled = housekeeping.fail_stalled(options["stalled_minutes"])
        expired = housekeeping.delete_expired(options["export_days"])
        # What django-tasks-db's prune_db_task_results does, whatever the configured backend.
        limit = timezone.now() - dt.timedelta(days=options["task_days"])
        tasks, _ = DBTaskResult.objects.finished().filter(finished_at__lte=limit).delete()
        if options["verbosity"]:
            self.stdout.write(
                f"Sessions expirées supprimées ; exports interrompus : {stalled} ; "
                f"exports anciens supprimés : {expired} ; résultats de tâches supprimés : {tasks}."
            )
