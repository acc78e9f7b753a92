"""Two agents certify payment requests of one grant at the same moment, and one payment is
recorded twice at once: the grant is never certified nor paid beyond what it allows.

Needs real connections that block each other: PostgreSQL (the SQLite test database is one
in-memory connection). `.ci/run` runs the suite on PostgreSQL too, where this test runs.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from guichet import clock
from guichet.grants import postaward
from guichet.grants.models import Grant, LedgerEntry, Payment, PaymentRequest, RequestStatus
from guichet.grants.postaward import PostAwardRefused

from .factories import FOLLOW_AT, engaged, expense, granted, invoice

# On SQLite the same refusals are tested one connection at a time (test_postaward_services.py:
# a certification above the ceiling, a payment recorded twice); only the race needs PostgreSQL.
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads must block each other on real connections: the SQLite test database is one "
    "in-memory connection shared by every thread; runs (never skipped) in .ci/run's PostgreSQL pass",
)
E = Decimal


def at_once(work, items):
    barrier = threading.Barrier(len(items))
    done, refused, errors = [], [], []

    def run(item):
        try:
            barrier.wait()
            done.append(work(item))
        except PostAwardRefused as exc:
            refused.append(exc)
        except Exception as exc:  # anything else fails the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    # The clock is the process's: frozen once around all the threads.
    with clock.frozen(FOLLOW_AT + dt.timedelta(days=1)):
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not errors
    return done, refused


def test_concurrent_certifications_and_payments_never_exceed_the_grant(committed_db):
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        # Three instalments of 3 000 € on a 5 000 € grant: 80 % is 4 000 €, so one fits.
        requests = [
            postaward.request_payment(
                grant, owner, "instalment", E(3000), [expense(4000)], [invoice()]
            )
            for _ in range(3)
        ]
        for r in requests:
            postaward.check_request(r, people.reviewer)
    certifiers = [people.certifier, people.manager, people.certifier]
    done, refused = at_once(
        lambda pair: postaward.certify(pair[0], pair[1], E(3000)),
        list(zip(requests, certifiers, strict=True)),
    )
    assert len(done) == 1 and len(refused) == 2
    assert all(exc.field == "amount_due" for exc in refused)
    grant.refresh_from_db()
    assert grant.certified == E(3000) <= grant.amount * E("0.8")
    (certified,) = PaymentRequest.objects.filter(grant=grant, status=RequestStatus.CERTIFIED)

    with clock.frozen(FOLLOW_AT):
        postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, E(5000))
    # The same payment recorded by two agents at once (two clicks, two numbers): one is kept.
    done, refused = at_once(
        lambda number: postaward.record_payment(
            certified, people.manager, number, dt.date(2021, 9, 16), E(3000)
        ),
        ["100001", "100002"],
    )
    assert len(done) == 1 and len(refused) == 1
    grant.refresh_from_db()
    assert grant.paid == E(3000)
    assert Payment.objects.filter(request__grant=grant).count() == 1
    assert LedgerEntry.objects.filter(grant=grant, kind="payment").count() == 1
    assert Grant.objects.get(pk=grant.pk).dossier.state == "partly_paid"
