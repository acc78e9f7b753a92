"""Two tabs submitting the same dossier at the same moment make one submission.

Real concurrency needs two database connections that block each other: PostgreSQL (the test run
on SQLite uses one in-memory connection). `.ci/run` runs the suite on PostgreSQL too, where this
test runs; on SQLite the same guarantee comes from IMMEDIATE transactions, which serialise writers
(see docs/architecture.md) and the sequential double submission is tested in test_services.py.
"""

import threading

import pytest
from django.core import mail
from django.db import connection, connections

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.models import Dossier, Event

from .factories import IN_WINDOW, agent, complete, draft

# Skipped on SQLite only: its test database is one in-memory connection, so two threads cannot
# block each other. .ci/run runs the whole suite on PostgreSQL too, where this test runs.
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs two real connections (PostgreSQL); runs in the PostgreSQL pass of .ci/run",
)


def test_two_simultaneous_submissions_give_one_number_and_one_receipt(committed_db):
    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = complete(draft(owner), owner)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(services.submit(Dossier.objects.get(pk=dossier.pk), owner).number)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    # One frozen clock for both threads, set and restored here: the clock is process-wide, and
    # two threads freezing and restoring it in turn would leave it frozen for later tests.
    with clock.frozen(IN_WINDOW):
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert not errors
    assert results == [results[0], results[0]] and results[0] == "63-2021-0001"
    assert Event.objects.filter(dossier=dossier, action="submit").count() == 1
    assert len([m for m in mail.outbox if "Accusé de réception" in m.subject]) == 1
