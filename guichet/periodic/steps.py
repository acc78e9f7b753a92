"""The steps of the periodic command, each idempotent and bounded by what is due, so that running
it often costs little. Each returns what it did (a number, or a dict of numbers) for the run's
summary.

- ``sessions``: expired sessions deleted (Django's ``clearsessions``);
- ``stalled_exports``: exports « En cours » whose worker died marked failed;
- ``old_exports``: exports older than the limit deleted with their file;
- ``task_results``: finished background task results older than the limit deleted;
- ``engagement_reminders``: ``grants.reminders.send_engagement_reminders``;
- ``lapse_lists``: ``send_lapse_lists`` below;
- ``old_runs``: the records of runs older than the limit deleted.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet import clock
from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.dossiers.notifications import absolute
from guichet.exports import housekeeping
from guichet.grants import notifications, postaward
from guichet.grants.reminders import send_engagement_reminders
from guichet.review.models import Role

from .models import ManagerNotice, NoticeKind, PeriodicRun


def clear_sessions() -> int:
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return 0  # Django's clear_expired does not count


def prune_task_results(days: int) -> int:
    # What django-tasks-db's prune_db_task_results does, whatever the configured backend.
    limit = timezone.now() - dt.timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lte=limit).delete()
    return deleted


def engagement_reminders(today: dt.date) -> dict[str, int]:
    return send_engagement_reminders(today).as_dict()


def grants_list_url(call: Call) -> str:
    """The back-office's list of a call's grants."""
    return absolute(reverse("backoffice:grants", args=[call.slug]))


def manager_addresses(call: Call) -> list[str]:
    return sorted(
        User.objects.filter(agent_roles__call=call, agent_roles__role=Role.MANAGER, is_active=True)
        .values_list("email", flat=True)
        .distinct()
    )


def send_lapse_lists(today: dt.date) -> dict[str, int]:
    """Once the engagement deadline of grants has passed without a validated engagement, e-mail
    the call's managers how many wait for their lapse, with the link to the list: at most once a
    day per call (a ``ManagerNotice`` row of the Paris day, written in the e-mail's transaction)."""
    done = {"envoyés": 0, "déjà envoyés": 0, "sans gestionnaire": 0}
    call_ids = (
        postaward.lapse_candidates(None, today)
        .order_by()
        .values_list("envelope__call_id", flat=True)
        .distinct()
    )
    for call in Call.objects.filter(pk__in=list(call_ids)).order_by("slug"):
        count = postaward.lapse_candidates(call.pk, today).count()
        if not count:
            continue
        if ManagerNotice.objects.filter(call=call, kind=NoticeKind.LAPSES_DUE, day=today).exists():
            done["déjà envoyés"] += 1
            continue
        addresses = manager_addresses(call)
        if not addresses:
            done["sans gestionnaire"] += 1
            continue
        try:
            with transaction.atomic():
                ManagerNotice.objects.create(
                    call=call, kind=NoticeKind.LAPSES_DUE, day=today, count=count,
                    recipients=", ".join(addresses),
                )  # fmt: skip
                notifications.lapses_due(addresses, call.title, count, grants_list_url(call))
        except IntegrityError:  # a concurrent run of the same day wrote it first
            done["déjà envoyés"] += 1
        else:
            done["envoyés"] += 1
    return done


def prune_runs(days: int, keep: PeriodicRun) -> int:
    limit = clock.now() - dt.timedelta(days=days)
    deleted, _ = PeriodicRun.objects.filter(started_at__lt=limit).exclude(pk=keep.pk).delete()
    return deleted


def fail_stalled(minutes: int) -> int:
    return housekeeping.fail_stalled(minutes)


def delete_expired(days: int) -> int:
    return housekeeping.delete_expired(days)
