"""Many connections committing one envelope at the same moment: the sum committed never exceeds
the envelope, every refusal is the French message with what is left, and the ledger agrees.

Needs real connections that block each other: PostgreSQL (the SQLite test database is one
in-memory connection; there IMMEDIATE transactions serialise writers). `.ci/run` runs the suite
on PostgreSQL too, where this test runs.
"""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from guichet.calls.models import Call, Envelope
from guichet.grants import services
from guichet.grants.models import Grant, LedgerEntry
from guichet.grants.services import EnvelopeRefused
from tests.dossiers.factories import REAL_CALL, agent, draft, reviewer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads must block each other on real connections: the SQLite test database is one "
    "in-memory connection shared by every thread; runs (never skipped) in .ci/run's PostgreSQL pass",
)

THREADS = 12


def test_concurrent_commitments_never_overcommit(committed_db):
    call = Call.objects.get(slug=REAL_CALL)
    chair = reviewer(role="committee")
    owner = agent()
    rng = random.Random(7)
    # 60 dossiers asking 2 500 to 20 000 € (cents included) of 148 500 €: about half fit.
    wanted = [(draft(owner), Decimal(rng.randrange(250_000, 2_000_001)) / 100) for _ in range(60)]
    barrier = threading.Barrier(THREADS)
    granted, refused, errors = [], [], []

    def run(share):
        try:
            barrier.wait()
            for dossier, amount in share:
                try:
                    services.commit(dossier, 2021, amount, chair)
                    granted.append(amount)
                except EnvelopeRefused as exc:
                    refused.append((amount, exc))
        except Exception as exc:  # anything else is a failure of the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(wanted[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(granted) + len(refused) == len(wanted)
    envelope = Envelope.objects.get(call=call, year=2021)
    assert sum(granted) == envelope.committed <= envelope.amount
    assert LedgerEntry.objects.filter(envelope=envelope).aggregate(s=Sum("amount"))["s"] == sum(
        granted
    )
    assert Grant.objects.filter(envelope=envelope).count() == len(granted)
    assert granted and refused
    # Each line saw the envelope as the one before it left it: the lock serialised them.
    left = envelope.amount
    for line in LedgerEntry.objects.filter(envelope=envelope).order_by("pk"):
        left -= line.amount
        assert line.remaining_after == left
    for amount, exc in refused:
        assert exc.remaining is not None and amount > exc.remaining
        assert str(exc).startswith("L’enveloppe 2021 ne permet pas d’engager")
    # What is left is less than every refused amount that came after the envelope filled up.
    assert envelope.remaining < max(amount for amount, _ in refused)
