"""``manage.py guichet_periodic``: the periodic work, to run at least once a day (every few minutes
is fine: cron, systemd timer; README, « Production »).

Each step is idempotent and bounded by what is due (``guichet.periodic.steps``):
- expired sessions are deleted (Django's ``clearsessions``);
- exports « En cours » whose worker died are marked failed (``--stalled-minutes``, 30);
- exports older than ``--export-days`` (7) are deleted with their file;
- finished background task results older than ``--task-days`` (14) are deleted
  (as django-tasks-db's ``prune_db_task_results`` does);
- the engagement reminders due today are sent, each once (``guichet.grants.reminders``);
- the managers of a call with grants to declare lapsed get the list's link, once a day;
- the records of runs older than ``--run-days`` (30) are deleted.

Every run is recorded (``PeriodicRun``, in the admin); a failing step does not stop the others,
but the run is marked failed with its error and the command exits with status 1.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.periodic import runs


class Command(BaseCommand):
    help = (
        "Travaux périodiques : sessions expirées, exports interrompus ou anciens, tâches finies, "
        "relances d’engagement, avis des subventions à déclarer caduques."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stalled-minutes", type=int, default=30, metavar="N")
        parser.add_argument("--export-days", type=int, default=7, metavar="N")
        parser.add_argument("--task-days", type=int, default=14, metavar="N")
        parser.add_argument("--run-days", type=int, default=30, metavar="N")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("stalled_minutes", "export_days", "task_days", "run_days"):
            if options[name] < 1:
                self.stderr.write(f"--{name.replace('_', '-')} doit être au moins 1.")
                raise SystemExit(2)
        record = runs.run(
            runs.Limits(
                stalled_minutes=options["stalled_minutes"],
                export_days=options["export_days"],
                task_days=options["task_days"],
                run_days=options["run_days"],
            )
        )
        if options["verbosity"]:
            self.stdout.write(runs.describe(record.summary))
        if not record.ok:
            raise CommandError(
                f"Travaux périodiques en échec (passage n° {record.pk}) :\n{record.error}"
            )
