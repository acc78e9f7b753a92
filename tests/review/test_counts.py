"""The counts the database keeps for the list's tabs (guichet.review.counts): equal, after every
kind of change, to the submitted dossiers counted one by one; compacted without changing them;
and read by the unfiltered list only."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.db.models import Count
from django.urls import reverse

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import State
from guichet.review import counts
from guichet.review.models import StateCount
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft, reviewer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the counts are kept by PostgreSQL triggers only (on SQLite the list counts its "
        "dossiers, tested in tests/www); runs (never skipped) in .ci/run's PostgreSQL pass",
    ),
]


def counted(call_id, arrondissements=None):
    """What the kept counts must equal: the call's submitted dossiers, counted by state."""
    rows = Dossier.objects.filter(call_id=call_id, submitted_at__isnull=False)
    if arrondissements is not None:
        rows = rows.filter(arrondissement_code__in=arrondissements)
    return dict(rows.order_by().values_list("state").annotate(n=Count("*")))


def check(call_id):
    assert counts.per_state(call_id) == counted(call_id)
    for codes in (["632"], ["631", "633"], [""], []):
        assert counts.per_state(call_id, codes) == counted(call_id, codes)


def submitted(owner=None):
    owner = owner or agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    mail.outbox.clear()
    return dossier


def test_every_change_of_a_submitted_dossier_moves_its_count():
    call = Call.objects.get(slug=REAL_CALL)
    owner = agent()
    dossier = draft(owner)
    assert counts.per_state(call.pk) == {}  # a draft is not counted
    check(call.pk)
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(dossier, owner), owner)
    assert counts.per_state(call.pk) == {State.SUBMITTED: 1}
    check(call.pk)
    other = submitted()
    check(call.pk)
    agent_ = reviewer()
    dossier = services.start_review(dossier, agent_)
    check(call.pk)
    dossier = services.request_correction(dossier, agent_, "Il manque le devis signé.")
    check(call.pk)
    with clock.frozen(IN_WINDOW):
        dossier = services.resubmit(dossier, owner)
    check(call.pk)
    services.withdraw(other, other.memberships.get().user, "Projet abandonné")
    check(call.pk)
    assert counts.per_state(call.pk) == {State.IN_REVIEW: 1, State.WITHDRAWN: 1}
    # Changes made without the services: a bulk update, a moved arrondissement, raw SQL.
    Dossier.objects.filter(pk=dossier.pk).update(state=State.SUBMITTED)
    check(call.pk)
    Dossier.objects.filter(pk=dossier.pk).update(arrondissement_code="631")
    check(call.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dossiers_dossier SET state = %s WHERE id = %s", [State.PROPOSED, dossier.pk]
        )
    check(call.pk)
    # A save that changes nothing counted writes nothing.
    written = StateCount.objects.count()
    dossier.refresh_from_db()
    dossier.title = "Portail citoyen, deuxième version"
    dossier.save()
    assert StateCount.objects.count() == written
    # Deleted dossiers leave the counts, moved ones go to their new call.
    haut_rhin = Call.objects.get(slug="fitn7-axe3-haut-rhin-2021")
    Dossier.objects.filter(pk=other.pk).update(call=haut_rhin)
    check(call.pk)
    check(haut_rhin.pk)
    assert counts.per_state(haut_rhin.pk) == {State.WITHDRAWN: 1}
    Dossier.objects.filter(pk=other.pk).delete()
    dossier.delete()
    check(call.pk)
    check(haut_rhin.pk)
    assert counts.per_state(call.pk) == {}


def test_emptying_the_dossiers_empties_their_counts():
    call = Call.objects.get(slug=REAL_CALL)
    submitted()
    assert counts.per_state(call.pk) == {State.SUBMITTED: 1}
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's rows are not committed
        cursor.execute("TRUNCATE dossiers_dossier CASCADE")
    assert counts.per_state(call.pk) == {}
    assert not StateCount.objects.exists()


def test_compacting_keeps_the_counts_and_leaves_one_row_per_arrondissement_and_state():
    call = Call.objects.get(slug=REAL_CALL)
    dossiers = [submitted() for _ in range(3)]
    Dossier.objects.filter(pk=dossiers[0].pk).update(arrondissement_code="631")
    for state in (State.IN_REVIEW, State.PROPOSED, State.IN_REVIEW):
        Dossier.objects.filter(pk__in=[d.pk for d in dossiers[1:]]).update(state=state)
    before = counts.per_state(call.pk)
    assert StateCount.objects.filter(call_id=call.pk).count() > 4
    read = counts.compact(call.pk)
    assert read > 4
    assert counts.per_state(call.pk) == before == counted(call.pk)
    kept = StateCount.objects.filter(call_id=call.pk)
    assert sorted(kept.values_list("arrondissement_code", "state", "n", "compacted")) == [
        ("631", State.SUBMITTED, 1, True),
        ("632", State.IN_REVIEW, 2, True),
    ]
    # Changes after a compaction add to it.
    Dossier.objects.filter(pk=dossiers[0].pk).update(state=State.IN_REVIEW)
    check(call.pk)


def test_reading_compacts_once_the_triggers_wrote_enough(monkeypatch):
    call = Call.objects.get(slug=REAL_CALL)
    dossier = submitted()
    monkeypatch.setattr(counts, "COMPACT_ABOVE", 5)
    for state in (State.IN_REVIEW, State.SUBMITTED) * 2:
        Dossier.objects.filter(pk=dossier.pk).update(state=state)
    assert StateCount.objects.filter(call_id=call.pk, compacted=False).count() == 9
    assert counts.per_state(call.pk) == {State.SUBMITTED: 1}
    assert list(StateCount.objects.filter(call_id=call.pk).values_list("n", "compacted")) == [
        (1, True)
    ]


def test_the_unfiltered_list_reads_the_kept_counts_and_a_filtered_one_counts_its_dossiers(
    client,
):
    call = Call.objects.get(slug=REAL_CALL)
    submitted()
    client.force_login(reviewer())
    url = reverse("backoffice:dossiers")

    def tab_count(**params):
        tabs = client.get(url, {"appel": REAL_CALL, **params}).context["tabs"]
        return next(t["count"] for t in tabs if t["tab"].key == "a-instruire")

    assert tab_count() == 1
    # A row the triggers did not write shows on the unfiltered list only: it reads the counts.
    StateCount.objects.create(call_id=call.pk, arrondissement_code="632", state="submitted", n=4)
    assert tab_count() == 5
    assert tab_count(q="Billom") == 1
    assert tab_count(arrondissement="632") == 1


def test_two_changes_of_the_same_counts_at_once_do_not_wait_for_each_other(committed_db):
    """Writers only insert rows: a change of a dossier does not lock what another change of a
    dossier in the same arrondissement and state writes."""
    first, second = submitted(), submitted()
    done = threading.Event()
    failures: list[BaseException] = []

    def other_change():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                Dossier.objects.filter(pk=second.pk).update(state=State.IN_REVIEW)
            done.set()
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        Dossier.objects.filter(pk=first.pk).update(state=State.IN_REVIEW)
        thread = threading.Thread(target=other_change)
        thread.start()
        thread.join(10)
        # The other change committed while this one still holds its transaction open.
        assert done.is_set(), failures
    assert counts.per_state(first.call_id) == {State.IN_REVIEW: 2} == counted(first.call_id)
