"""Managers generating a meeting's documents at the same moment: every document takes its own
number from the locked counter, and a decision generated twice at once has one document.

Needs real connections that block each other: PostgreSQL (the SQLite test database is one
in-memory connection). `.ci/run` runs the suite on PostgreSQL too, where this test runs.
"""

import threading

import pytest
from django.db import connection, connections

from guichet import clock
from guichet.committee import decisions
from guichet.committee.models import DecisionDocument

from .decision_factories import ISSUED_ON, closed_meeting
from .factories import Committee, proposed

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads must block each other on real connections: the SQLite test database is one "
    "in-memory connection shared by every thread; runs (never skipped) in .ci/run's PostgreSQL pass",
)

COMMUNES = [("63040", "Billom"), ("63008", "Arconsat"), ("63005", "Antoingt"), ("63007", "Apchat")]


def test_concurrent_generation_numbers_each_document_once(committed_db):
    team = Committee()
    dossiers = [proposed(code=code, name=name) for code, name in COMMUNES]
    meeting = closed_meeting(team, dossiers)
    wanted = list(decisions.issuable(meeting))
    # Each decision twice: eight threads, four documents.
    work = [*wanted, *wanted]
    barrier = threading.Barrier(len(work))
    made, errors = [], []

    def run(decision):
        try:
            barrier.wait()
            document, created = decisions.generate(decision, team.manager)
            made.append((document.pk, created))
        except Exception as exc:  # anything else is a failure of the test
            errors.append(exc)
        finally:
            connections.close_all()

    with clock.frozen(ISSUED_ON):
        threads = [threading.Thread(target=run, args=(d,)) for d in work]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not errors
    assert sum(created for _, created in made) == len(wanted)
    assert len({pk for pk, _ in made}) == len(wanted)
    numbers = sorted(DecisionDocument.objects.values_list("number", flat=True))
    assert numbers == [f"63-2021-ARR-{n:03d}" for n in range(1, len(wanted) + 1)]
