"""Two tabs submitting the same dossier at the same moment make one submission; two reviewers (or
one double click) proposing it at the same moment make one opinion; a dossier's lock leaves its
call free.

Real concurrency needs two database connections that block each other: PostgreSQL (the test run
on SQLite uses one in-memory connection). `.ci/run` runs the suite on PostgreSQL too, where this
test runs; on SQLite the same guarantee comes from IMMEDIATE transactions, which serialise writers
(see docs/architecture.md) and the sequential double submission is tested in test_services.py.
"""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, connections, transaction

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.models import Dossier, Event
from guichet.dossiers.workflow import State
from guichet.review import services as review
from guichet.review.models import Opinion
from guichet.review.services import ScoreInput
from guichet.rules.money import format_euros

from .factories import IN_WINDOW, agent, complete, draft, reviewer

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


def _in_review():
    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    return services.start_review(dossier, reviewer())


def _at_once(*calls):
    """Run each callable in its own thread and connection, all released at the same moment."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def _propose(dossier, user, amount, justification=""):
    def call():
        return review.propose(
            Dossier.objects.get(pk=dossier.pk), user, kind="reserved",
            amount=Decimal(amount), justification=justification, without_scores=True,
        )  # fmt: skip

    return call


def test_two_reviewers_proposing_at_once_make_one_opinion_that_the_dossier_agrees_with(
    committed_db,
):
    for _ in range(3):  # the race was lost 6 times in 8: three tries make a pass by luck unlikely
        dossier = _in_review()
        first, second = reviewer(), reviewer()
        results, errors = _at_once(
            _propose(dossier, first, "4000", "Devis surévalué."),
            _propose(dossier, second, "3000", "Hors projet."),
        )
        assert len(results) == 1 and len(errors) == 1
        assert isinstance(errors[0], review.ReviewRefused)
        dossier.refresh_from_db()
        opinions = list(Opinion.objects.filter(dossier=dossier))
        assert len(opinions) == 1 and opinions[0] == results[0]
        assert dossier.state == State.PROPOSED
        assert dossier.proposed_amount == opinions[0].proposed_amount
        event = Event.objects.get(dossier=dossier, action="propose")
        assert format_euros(opinions[0].proposed_amount) in event.message


def test_a_double_click_on_propose_makes_one_opinion(committed_db):
    for _ in range(3):
        dossier = _in_review()
        instructor = reviewer()
        results, errors = _at_once(
            _propose(dossier, instructor, "4000", "Devis surévalué."),
            _propose(dossier, instructor, "4000", "Devis surévalué."),
        )
        assert not errors and results[0] == results[1]
        assert Opinion.objects.filter(dossier=dossier).count() == 1
        assert Event.objects.filter(dossier=dossier, action="propose").count() == 1


def test_a_dossier_locked_by_a_service_leaves_its_call_free(committed_db, monkeypatch):
    """A service locks the dossier's row only (``select_for_update(of=("self",))``), not its
    call's: another writer of the same call is not made to wait."""
    dossier = _in_review()
    locked, release = threading.Event(), threading.Event()
    original = review.reviewer_averages

    def paused(d):  # review.score holds its lock on the dossier while it runs this
        locked.set()
        release.wait(10)
        return original(d)

    monkeypatch.setattr(review, "reviewer_averages", paused)
    instructor = reviewer()

    def score():
        try:
            review.score(
                Dossier.objects.get(pk=dossier.pk), instructor, {"innovation": ScoreInput(2)}
            )
        finally:
            connections.close_all()

    thread = threading.Thread(target=score)
    thread.start()
    try:
        assert locked.wait(10)
        with transaction.atomic():
            # Raises DatabaseError (lock not available) when the call's row is locked too.
            free = Call.objects.select_for_update(nowait=True).filter(pk=dossier.call_id).exists()
    finally:
        release.set()
        thread.join(10)
    assert free
