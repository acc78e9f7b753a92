"""The engagement reminders (relances d’engagement), sent by the periodic command.

Every active grant whose engagement is not validated yet (no proof, a proof waiting for the
préfecture, or a refused one) gets an e-mail on each of the call's ``post_award.reminder_days``
before its engagement deadline (60, 30 and 7 days by default), once each:

- the ``Reminder`` row (kind « engagement-60 »…) is written first, in the transaction that queues
  the e-mail (``send_email`` hands it to the backend when the transaction commits): the unique
  constraint on (grant, kind) makes a second run, even one running at the same time, fail to
  write it, and that run sends nothing;
- **a late start sends one reminder, the most recent due**: when the command did not run for a
  while (the machine was off), only the reminder nearest to the deadline among those due is sent,
  with the real number of days left; the older ones are not sent later and leave no row (a row
  would claim an e-mail that never went). As the most recent due reminder only moves towards the
  deadline, an older one can never become the one to send again.

The day is the Paris calendar day (``clock.today()``); the deadline's day still counts (the
engagement signed that day is in time), the day after it nothing is sent: the grant waits for
the manager's lapse (``postaward.lapse_candidates``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from guichet.rules.postaward import reminders_due

from . import notifications
from .models import Grant, GrantStatus, Reminder


def reminder_kind(days: int) -> str:
    return f"engagement-{days}"


@dataclass
class RemindersSent:
    sent: int = 0  # e-mails queued by this run
    already: int = 0  # the reminder due was sent before (by an earlier or concurrent run)
    without_address: int = 0  # the team has no address left: nothing to send, nothing written

    def as_dict(self) -> dict[str, int]:
        return {
            "envoyées": self.sent,
            "déjà envoyées": self.already,
            "sans adresse": self.without_address,
        }


def engagement_pending(on: dt.date):  # -> QuerySet[Grant]
    """The active grants whose engagement is not validated and whose deadline is not passed."""
    return (
        Grant.objects.filter(
            status=GrantStatus.ACTIVE,
            engaged_on__isnull=True,
            engagement_deadline__gte=on,
        )
        .select_related("dossier", "dossier__call", "envelope")
        .order_by("engagement_deadline", "pk")
    )


def due_reminder(grant: Grant, on: dt.date) -> int | None:
    """The reminder to send ``on`` (its days before the deadline): the most recent due, or None."""
    deadline = grant.engagement_deadline
    if deadline is None:
        return None
    due = reminders_due(deadline, on, grant.dossier.call.rules.post_award.reminder_days)
    return min(due) if due else None


def already_sent(grant: Grant, kind: str) -> bool:
    return grant.reminders.filter(kind=kind).exists()


def send_engagement_reminders(today: dt.date) -> RemindersSent:
    """Send the engagement reminders due on ``today`` (Paris); each one once."""
    done = RemindersSent()
    for grant in engagement_pending(today):
        days = due_reminder(grant, today)
        if days is None:
            continue
        kind = reminder_kind(days)
        if already_sent(grant, kind):
            done.already += 1
            continue
        assert grant.engagement_deadline is not None
        left = (grant.engagement_deadline - today).days
        try:
            with transaction.atomic():
                # The row first: a concurrent run's INSERT waits for this one, then fails.
                reminder = Reminder.objects.create(grant=grant, kind=kind)
                to = notifications.engagement_reminder(grant, left)
                if not to:
                    raise _NoAddress
                reminder.recipients = ", ".join(to)
                reminder.save(update_fields=["recipients"])
        except IntegrityError:
            done.already += 1
        except _NoAddress:
            done.without_address += 1
        else:
            done.sent += 1
    return done


class _NoAddress(Exception):
    """Nobody to write to: the row is rolled back, a later run tries again."""
