"""Two periodic runs at the same moment: each engagement reminder is written and sent once.

Needs real connections that block each other: PostgreSQL (the SQLite test database is one
in-memory connection; there IMMEDIATE transactions serialise writers, and
test_reminders.py tests the refused second row). `.ci/run` runs the suite on PostgreSQL too.
"""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection, connections

from guichet import clock
from guichet.grants import reminders
from guichet.grants.models import Reminder

from .factories import PARIS, granted

# On SQLite the refused second row is tested on one connection (test_reminders.py); only two
# runs truly at once need PostgreSQL.
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads must block each other on real connections: the SQLite test database is one "
    "in-memory connection shared by every thread; runs (never skipped) in .ci/run's PostgreSQL pass",
)

THREADS = 4


def test_concurrent_runs_send_each_reminder_once(committed_db, monkeypatch):
    first, _, people = granted()
    others = [
        granted(people, code=code, name=name)[0]
        for code, name in (("63008", "Arconsat"), ("63003", "Ambert"))
    ]
    grants = [first, *others]
    # Every run passes the check before its INSERT: the unique constraint alone decides.
    monkeypatch.setattr(reminders, "already_sent", lambda grant, kind: False)
    day = first.engagement_deadline - dt.timedelta(days=30)
    mail.outbox = []
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(reminders.send_engagement_reminders(day))
        except Exception as exc:  # anything else is a failure of the test
            errors.append(exc)
        finally:
            connections.close_all()

    with clock.frozen(dt.datetime.combine(day, dt.time(6, 0), tzinfo=PARIS)):
        threads = [threading.Thread(target=run) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not errors
    assert sum(r.sent for r in results) == len(grants)
    assert sum(r.already for r in results) == (THREADS - 1) * len(grants)
    assert Reminder.objects.filter(kind="engagement-30").count() == len(grants)
    reminded = [m for m in mail.outbox if "engagement à prouver" in m.subject]
    assert len(reminded) == len(grants)
