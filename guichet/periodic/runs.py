"""One run of the periodic command, recorded: a ``PeriodicRun`` row written when it starts, then
every step in turn, each on its own (a failing step is recorded with its error and the next ones
still run), and the row finished with the summary. A run with a failing step is not ``ok``; the
command then exits non-zero, for cron's mail or systemd's failed unit."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guichet import clock

from . import steps
from .models import PeriodicRun

logger = logging.getLogger(__name__)

# The steps' names (the summary's keys) and how the admin and the command's output say them.
STEP_LABELS = {
    "sessions": "Sessions expirées supprimées",
    "stalled_exports": "exports interrompus",
    "old_exports": "exports anciens supprimés",
    "task_results": "résultats de tâches supprimés",
    "engagement_reminders": "relances d’engagement",
    "lapse_lists": "avis des subventions à déclarer caduques",
    "old_runs": "passages anciens supprimés",
}


@dataclass(frozen=True)
class Limits:
    stalled_minutes: int = 30
    export_days: int = 7
    task_days: int = 14
    run_days: int = 30


def run(limits: Limits = Limits()) -> PeriodicRun:
    """Run every step once; returns the finished record."""
    record = PeriodicRun.objects.create(started_at=clock.now())
    today = clock.today()
    plan: list[tuple[str, Callable[[], Any]]] = [
        ("sessions", steps.clear_sessions),
        ("stalled_exports", lambda: steps.fail_stalled(limits.stalled_minutes)),
        ("old_exports", lambda: steps.delete_expired(limits.export_days)),
        ("task_results", lambda: steps.prune_task_results(limits.task_days)),
        ("engagement_reminders", lambda: steps.engagement_reminders(today)),
        ("lapse_lists", lambda: steps.send_lapse_lists(today)),
        ("old_runs", lambda: steps.prune_runs(limits.run_days, record)),
    ]
    summary: dict[str, Any] = {}
    errors: list[str] = []
    for name, step in plan:
        try:
            summary[name] = step()
        except Exception as error:
            logger.exception("Periodic step %s failed", name)
            summary[name] = "échec"
            errors.append(f"{STEP_LABELS[name]} : {error!r}\n{traceback.format_exc()}")
    record.finished_at = clock.now()
    record.ok = not errors
    record.summary = summary
    record.error = "\n".join(errors)
    record.save(update_fields=["finished_at", "ok", "summary", "error"])
    return record


def describe(summary: dict[str, Any]) -> str:
    """The summary in French, one step after the other (the command's output, the admin)."""
    parts = []
    for name, label in STEP_LABELS.items():
        if name not in summary:
            continue
        value = summary[name]
        if name == "sessions" and value != "échec":
            parts.append(label)
        elif isinstance(value, dict):
            said = ", ".join(f"{v} {k}" for k, v in value.items())
            parts.append(f"{label} : {said}")
        else:
            parts.append(f"{label} : {value}")
    return " ; ".join(parts) + "."
