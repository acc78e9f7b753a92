"""The demo's living window: the command that fills the demo call with dossiers in every state."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.test import override_settings
from pypdf import PdfReader

from guichet import clock
from guichet.calls.models import Call
from guichet.clock import PARIS
from guichet.committee import services as committee
from guichet.committee.models import Meeting, MeetingStatus, Outcome
from guichet.demo import dossiers as demo
from guichet.dossiers import services
from guichet.dossiers.models import Dossier, Event, PieceKind
from guichet.dossiers.workflow import BEFORE_COMMITTEE, GRANTED, State
from guichet.grants import postaward
from guichet.grants import services as grants
from guichet.grants.models import (
    AppendOnly,
    EngagementProof,
    EntryKind,
    ExpenseLine,
    Grant,
    GrantStatus,
    LedgerEntry,
    LegalCommitment,
    Payment,
    PaymentRequest,
    RequestPiece,
)
from guichet.review.models import AgentRole, Role
from tests.dossiers.factories import agent

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# What each outcome of the committee leaves the dossier in.
OUTCOME_STATES = {
    Outcome.RETAINED: State.ACCEPTED,  # then engaged, paid… (test_the_grants_are_followed…)
    Outcome.REFUSED: State.REFUSED,
    Outcome.POSTPONED: State.POSTPONED,
    Outcome.WAITING_LIST: State.WAITING_LIST,
}


@pytest.fixture(autouse=True)
def demo_accounts():
    """The préfecture's demo accounts (programme manager, committee), as ``make setup`` makes
    them before the demo dossiers."""
    call_command("create_demo_accounts", stdout=StringIO(), stderr=StringIO())


def demo_call() -> Call:
    return Call.objects.get(slug=demo.DEMO_CALL)


# The states the demo leaves no dossier in: no grant lapses before the engagement deadline,
# which the demo call's shifted dates keep in the future.
NEVER_IN_DEMO = {State.LAPSED.value}


def assert_ledger_is_the_grants(call: Call) -> None:
    """Every envelope's ledger sums to its active and closed grants (a closed grant's amount is
    what it paid), what was paid to the payments, and its maintained sums are the ledger's."""
    for envelope in call.envelopes.all():
        lines = LedgerEntry.objects.filter(envelope=envelope)
        committed = lines.filter(kind=EntryKind.COMMITMENT).aggregate(s=Sum("amount"))["s"] or 0
        released = lines.filter(kind=EntryKind.RELEASE).aggregate(s=Sum("amount"))["s"] or 0
        paid = lines.filter(kind=EntryKind.PAYMENT).aggregate(s=Sum("amount"))["s"] or 0
        granted = (
            Grant.objects.filter(
                envelope=envelope, status__in=[GrantStatus.ACTIVE, GrantStatus.CLOSED]
            ).aggregate(s=Sum("amount"))["s"]
            or 0
        )
        payments = (
            Payment.objects.filter(request__grant__envelope=envelope).aggregate(s=Sum("amount"))[
                "s"
            ]
            or 0
        )
        assert committed - released == granted, envelope.year
        assert paid == payments, envelope.year
        assert (envelope.committed, envelope.released, envelope.paid) == (
            committed, released, paid
        ), envelope.year  # fmt: skip


def test_the_command_fills_the_demo_call_with_dossiers_in_every_state(
    django_capture_on_commit_callbacks,
):
    out = StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("create_demo_dossiers", stdout=out)
    call = demo_call()
    dossiers = list(Dossier.objects.filter(call=call).prefetch_related("cost_lines", "partners"))
    assert 55 <= len(dossiers) <= 65
    assert {d.state for d in dossiers} == {s.value for s in State} - NEVER_IN_DEMO

    deadline = dt.datetime.combine(call.deadline, dt.time(23, 59, 59), tzinfo=PARIS)
    submitted = [d for d in dossiers if d.submitted_at]
    assert len(submitted) >= 40
    for d in submitted:
        assert d.number and d.number.startswith("DEMO-63-") and d.session_id
        assert call.opens_on <= d.submitted_at.astimezone(PARIS).date()
        assert d.submitted_at <= min(deadline, clock.now())
        assert d.eligible_at_submission, d.number
        assert len(d.attachments.exclude(kind=PieceKind.RECEIPT)) >= 3
    assert len({d.session_id for d in submitted}) == 2  # both collection sessions
    for d in dossiers:
        if d.requested_amount is not None:
            maximum = services.maximum_for(d)
            assert maximum is not None and d.requested_amount <= maximum, d
            assert d.maximum_amount is None or d.requested_amount <= d.maximum_amount
        assert d.saved_at <= clock.now()
        assert all(e.at <= clock.now() for e in d.events.all())
    # Real collectivités of every kind, a few joint projects, an invited colleague.
    kinds = {d.applicant_kind for d in dossiers}
    assert {"commune", "epci", "metropole", "departement"} <= kinds
    assert len({d.arrondissement_code for d in submitted} - {""}) == 5
    assert sum(1 for d in dossiers if d.partners.all()) >= 2
    assert any(d.memberships.count() == 2 for d in dossiers)
    assert any(d.total_cost is not None and d.total_cost < 5000 for d in dossiers)  # drafts
    assert (
        Event.objects.filter(dossier__call=call, action="request_correction")
        .exclude(message="")
        .exists()
    )

    text = out.getvalue()
    assert "61/61 dossiers…" in text
    assert "Séance n° 1 du comité de sélection" in text and ": close, 10 dossiers décidés" in text
    assert "Séance n° 2 du comité de sélection" in text and ": convoquée" in text
    assert demo.PASSWORD in text and demo.REVIEWER_EMAIL in text
    reviewer = authenticate(email=demo.REVIEWER_EMAIL, password=demo.PASSWORD)
    assert reviewer is not None and reviewer.agent_roles.filter(role="reviewer").exists()
    applicant = dossiers[0].created_by
    assert applicant.email in text and applicant.email.endswith("@demo.guichet.fr")
    assert authenticate(email=applicant.email, password=demo.PASSWORD) == applicant
    assert applicant.email_confirmed and applicant.profile_complete

    # The receipts are what the submissions queued for after the commit: run them until one is
    # rendered (the immediate backend of the tests renders it at once).
    assert len(callbacks) >= len(submitted)
    for callback in callbacks:
        callback()
        if Dossier.objects.filter(call=call, attachments__kind=PieceKind.RECEIPT).exists():
            break
    receipt = Dossier.objects.get(call=call, attachments__kind=PieceKind.RECEIPT)
    assert receipt.attachments.get(kind=PieceKind.RECEIPT).file.open("rb").read(5) == b"%PDF-"


def test_running_it_again_gives_the_same_dossiers_and_leaves_the_others_alone():
    other_user = agent(email="secretariat@mairie-billom.fr")
    other = services.create_draft(other_user, demo_call(), kind="commune", code="63040")
    # Money of the real call, whose ledger the demo must not touch.
    from tests.committee.factories import proposed

    elsewhere = grants.commit(proposed(), 2021, Decimal(5000), None)

    def snapshot() -> list[tuple]:
        rows = demo.demo_dossiers(demo_call()).values_list(
            "applicant_code", "state", "number", "title", "requested_amount"
        )
        return sorted(rows, key=lambda row: row[0])

    def committee_snapshot() -> list[tuple]:
        meetings = Meeting.objects.filter(call=demo_call()).values_list(
            "number", "status", "starts_at", "items__dossier__number", "items__decision__outcome",
            "items__decision__amount", "items__decision__year",
        )  # fmt: skip
        return sorted(meetings, key=str)

    first = demo.create()
    before, committee_before = snapshot(), committee_snapshot()
    second = demo.create()
    assert snapshot() == before
    assert committee_snapshot() == committee_before
    assert second.deleted == sum(first.counts.values()) == len(before)
    assert second.counts == first.counts
    assert second.envelopes == first.envelopes and second.meetings == first.meetings
    assert Dossier.objects.filter(pk=other.pk).exists()
    assert Dossier.objects.filter(call=demo_call()).count() == len(before) + 1
    numbers = [row[2] for row in before if row[2]]
    assert min(numbers).endswith("-0001")  # numbering starts again
    # The first run's meetings, grants and ledger lines are gone; the real call's are not.
    assert Meeting.objects.filter(call=demo_call()).count() == 2
    assert [m.number for m in Meeting.objects.filter(call=demo_call())] == [1, 2]
    granted = sum(first.counts[s.value] for s in GRANTED)
    commitments = LedgerEntry.objects.filter(envelope__call=demo_call(), kind=EntryKind.COMMITMENT)
    assert commitments.count() == Grant.objects.filter(envelope__call=demo_call()).count()
    assert commitments.count() == granted == 5
    assert second.grants == first.grants and len(first.grants) == 5
    assert Payment.objects.filter(request__grant__envelope__call=demo_call()).count() == 2
    assert_ledger_is_the_grants(demo_call())
    assert LedgerEntry.objects.filter(grant=elsewhere).count() == 1
    assert grants.position(elsewhere.envelope.call, 2021).committed == Decimal(5000)
    # The ledger is append-only again once the demo is written.
    line = LedgerEntry.objects.filter(envelope__call=demo_call()).first()
    with pytest.raises(AppendOnly):
        line.delete()
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM grants_ledgerentry WHERE id = %s", [line.pk])

    # ``make setup`` deletes the demo alone before reloading the calls, which moves its dates.
    out = StringIO()
    call_command("create_demo_dossiers", "--delete-only", stdout=out)
    assert f"{len(before)} dossiers de démonstration supprimés." in out.getvalue()
    assert not demo.demo_dossiers(demo_call()).exists()
    assert not Meeting.objects.filter(call=demo_call()).exists()
    assert not LedgerEntry.objects.filter(envelope__call=demo_call()).exists()
    assert all(p.committed == p.released == 0 for p in grants.positions(demo_call()))
    assert all(e.committed == e.released == e.paid == 0 for e in demo_call().envelopes.all())
    for model, grant_field in (
        (EngagementProof, "grant"), (PaymentRequest, "grant"), (LegalCommitment, "grant"),
        (Payment, "request__grant"), (ExpenseLine, "request__grant"),
        (RequestPiece, "request__grant"),
    ):  # fmt: skip
        assert not model.objects.filter(**{f"{grant_field}__envelope__call": demo_call()}).exists()
    assert Dossier.objects.filter(pk=other.pk).exists()
    assert LedgerEntry.objects.filter(grant=elsewhere).count() == 1


def test_the_committee_met_once_decided_every_outcome_and_is_convened_again():
    demo.create()
    call, now = demo_call(), clock.now()
    grid = call.rules.scoring
    closed = Meeting.objects.get(call=call, status=MeetingStatus.CLOSED)
    convened = Meeting.objects.get(call=call, status=MeetingStatus.CONVENED)
    assert Meeting.objects.filter(call=call).count() == 2
    assert closed.starts_at < closed.closed_at < convened.convened_at < now < convened.starts_at
    assert closed.convened_at < closed.starts_at

    # The closed meeting: attendance with one member excused, the chair present and chairing.
    roster = committee.members(call)
    chair = next(r.user for r in roster if r.chair)
    attendance = list(closed.attendance.all())
    assert len(attendance) == len(roster) >= 3
    assert sum(1 for a in attendance if not a.present) == 1
    assert closed.chair == chair and any(a.is_chair and a.member == chair for a in attendance)

    items = list(closed.items.select_related("dossier", "decision__grant"))
    decisions = [i.decision for i in items]
    assert {d.outcome for d in decisions} == set(Outcome.values)
    retained = [i for i in items if i.decision.outcome == Outcome.RETAINED]
    reduced = [i for i in retained if i.decision.amount < i.proposed_amount]
    assert len(reduced) == 1 and reduced[0].decision.reason
    assert all(i.decision.amount == i.proposed_amount for i in retained if i not in reduced)
    assert all(i.decision.amount <= i.maximum_amount for i in retained)
    for item in items:
        item.dossier.refresh_from_db()
        if item.decision.outcome == Outcome.RETAINED:
            assert item.dossier.state in GRANTED
        else:
            assert item.dossier.state == OUTCOME_STATES[Outcome(item.decision.outcome)]
        if item.decision.outcome == Outcome.REFUSED:
            # The reason the applicant reads is the committee's.
            assert item.decision.reason
            assert Event.objects.get(dossier=item.dossier, action="refuse").message == (
                item.decision.reason
            )
    ranks = sorted(d.waiting_rank for d in decisions if d.outcome == Outcome.WAITING_LIST)
    assert ranks == list(range(1, len(ranks) + 1))

    # One declared conflict: its member takes no part in the dossier and is out of its count.
    conflicts = [c for i in items for c in i.conflicts.all()]
    assert len(conflicts) == 1 and conflicts[0].reason
    conflict = conflicts[0]
    assert not conflict.item.votes.filter(member=conflict.member).exists()
    assert conflict.item.decision.recorded_by != conflict.member
    present = sum(1 for a in attendance if a.present)
    assert committee.tally(conflict.item).voters == present - 1
    # Votes where the committee was divided, consensus elsewhere.
    voted = [d for d in decisions if not d.consensus]
    assert voted and any(d.consensus for d in decisions)
    assert all(d.item.votes.exists() for d in voted)

    minutes = closed.documents.get(kind="minutes")
    with minutes.file.open("rb") as f:
        text = "".join(page.extract_text() for page in PdfReader(f).pages)
    assert "Procès-verbal" in text
    for item in items:
        assert item.dossier.number in text
    assert conflict.member_label in text

    # The convened meeting: its agenda frozen with the postponed dossier and those proposed
    # since, its summary note written.
    agenda = list(convened.items.select_related("dossier"))
    postponed = Dossier.objects.filter(call=call, state=State.POSTPONED)
    proposed = Dossier.objects.filter(call=call, state=State.PROPOSED)
    assert postponed.exists() and proposed.exists()
    assert {i.dossier for i in agenda} == set(postponed) | set(proposed)
    assert all(i.dossier.state in BEFORE_COMMITTEE for i in agenda)
    assert convened.documents.filter(kind="summary_note").exists()
    assert closed.documents.filter(kind="summary_note").exists()

    # Every dossier on an agenda was scored on the call's whole grid and has its opinion.
    codes = {c.code for c in grid.criteria}
    for item in [*items, *agenda]:
        dossier = item.dossier
        assert {s.criterion for s in dossier.scores.all()} == codes, dossier.number
        assert all(grid.scale_min <= s.value <= grid.scale_max for s in dossier.scores.all())
        assert dossier.opinions.exists() and item.opinion and item.score is not None
        assert item.proposed_amount is not None

    # The money: grants committed at the close, the envelopes partly committed.
    assert_ledger_is_the_grants(call)
    granted = set(Dossier.objects.filter(call=call, state__in=GRANTED))
    every = Grant.objects.filter(dossier__call=call)
    assert {g.dossier for g in every} == granted and len(granted) == len(retained)
    for item in retained:
        grant = item.decision.grant
        assert grant is not None and (grant.amount, grant.envelope.year) == (
            item.decision.amount, item.decision.year
        )  # fmt: skip
        assert grant.decided_at == closed.closed_at
    positions = grants.positions(call)
    assert len(positions) == 2
    for position in positions:
        assert 0 < position.net_committed < position.amount, position.year
    assert closed.envelopes_after != closed.envelopes_before
    # Every step of that history is in the past.
    assert all(e.at <= now for e in Event.objects.filter(dossier__call=call))
    assert all(line.at <= now for line in LedgerEntry.objects.filter(envelope__call=call))


@pytest.mark.parametrize(
    "today",
    [
        dt.datetime(2026, 12, 6, 9, 0, tzinfo=PARIS),  # a Sunday: the last working day is Friday
        dt.datetime(2026, 12, 7, 7, 30, tzinfo=PARIS),  # a Monday, before office hours
    ],
)
def test_whatever_the_day_the_committee_s_history_is_in_order_and_in_the_past(today):
    from guichet.calls.services import load_definitions

    with clock.frozen(today):
        load_definitions(today=today.date())
        result = demo.create()
        call = demo_call()
        first, second = Meeting.objects.filter(call=call).order_by("number")
        assert first.created_at < first.convened_at < first.starts_at < first.opened_at
        assert first.opened_at < first.closed_at < second.created_at < second.convened_at < today
        assert today < second.starts_at
        for meeting in (first, second):
            assert meeting.starts_at.astimezone(PARIS).weekday() < 5
        # Each dossier was proposed before the agenda that has it was frozen.
        for meeting in (first, second):
            for item in meeting.items.select_related("dossier"):
                proposed_at = item.dossier.events.get(action="propose").at
                assert proposed_at < meeting.convened_at, item.dossier.number
        assert all(e.at <= today for e in Event.objects.filter(dossier__call=call))
    assert all(result.counts[s.value] for s in State if s.value not in NEVER_IN_DEMO)
    # The grants' life since the first meeting, in the past too, in its order.
    for grant in Grant.objects.filter(dossier__call=demo_call()):
        for proof in grant.engagement_proofs.all():
            assert first.closed_at < proof.uploaded_at <= today
            assert proof.signed_on <= proof.uploaded_at.astimezone(PARIS).date()
            assert proof.reviewed_at is None or proof.uploaded_at < proof.reviewed_at <= today
        for request in grant.payment_requests.all():
            assert request.submitted_at <= today
            assert request.checked_at is None or request.submitted_at < request.checked_at
            assert request.certified_at is None or request.checked_at < request.certified_at
        for payment in Payment.objects.filter(request__grant=grant):
            certified = payment.request.certified_at.astimezone(PARIS).date()
            assert certified <= payment.paid_on <= today.date()


def test_the_grants_of_the_first_meeting_are_followed_through_the_services():
    out = StringIO()
    call_command("create_demo_dossiers", stdout=out)
    call = demo_call()
    manager = AgentRole.objects.get(
        call=call, role=Role.MANAGER, user__email__endswith="@demo.guichet.fr"
    ).user
    reviewer = AgentRole.objects.get(call=call, role=Role.REVIEWER).user
    grants_ = list(
        Grant.objects.filter(dossier__call=call)
        .select_related("dossier")
        .order_by("dossier__number")
    )
    assert len(grants_) == 5
    validated, pending, advanced, balance, closed = grants_
    # Four engagements validated by the reviewer; one proof waits for her.
    for grant in (validated, advanced, balance, closed):
        proof = grant.engagement_proofs.get()
        assert (proof.status, proof.reviewed_by) == ("validated", reviewer)
        assert grant.engaged_on == proof.signed_on <= grant.engagement_deadline
        assert proof.file.open("rb").read(5) == b"%PDF-"
    assert not pending.engaged_on and pending.engagement_proofs.get().status == "submitted"
    assert {validated.dossier.state, balance.dossier.state} == {State.ENGAGED}
    assert pending.dossier.state == State.ACCEPTED
    assert clock.today() < pending.engagement_deadline  # no lapse in the demo: it is ahead
    assert not postaward.lapse_candidates(call.pk).exists()
    # The legal commitment and the advance paid.
    assert advanced.dossier.state == State.PARTLY_PAID
    (commitment,) = advanced.legal_commitments.all()
    assert (commitment.amount, commitment.year) == (advanced.amount, advanced.envelope.year)
    (advance,) = advanced.payment_requests.all()
    assert (advance.kind, advance.status) == ("advance", "paid")
    assert advance.checked_by == reviewer and advance.certified_by == manager
    assert 0 < advanced.paid == advance.payment.amount <= advanced.amount * Decimal("0.30")
    # The balance asked with its invoices and statement of expenses, checked, to be certified.
    (asked,) = balance.payment_requests.all()
    assert (asked.kind, asked.status, asked.checked_by) == ("balance", "checked", reviewer)
    lines = list(asked.expenses.all())
    assert len(lines) == balance.dossier.cost_lines.count() >= 1
    assert asked.expenses_total == sum(line.amount_excl_vat for line in lines)
    assert asked.amount_requested == balance.amount <= asked.expenses_total
    kinds = sorted(asked.pieces.values_list("kind", flat=True))
    assert kinds.count("invoice") == len(lines) and "completion_certificate" in kinds
    assert postaward.due_ceiling(asked) == asked.amount_requested  # the manager may certify it
    assert balance.paid == 0 and not balance.legal_commitments.exists()
    # Paid off and closed.
    assert closed.dossier.state == State.PAID
    assert (closed.status, closed.paid, closed.certified) == (
        GrantStatus.CLOSED, closed.amount, closed.amount
    )  # fmt: skip
    assert closed.payment_requests.get().payment.ledger_entry.kind == EntryKind.PAYMENT
    assert_ledger_is_the_grants(call)
    # The history of each dossier says it, and the command's report too.
    assert Event.objects.filter(dossier=closed.dossier, kind="payment").exists()
    text = out.getvalue()
    assert "Suivi des subventions de la séance n° 1 :" in text
    assert f"{closed.dossier.number} : solde versé, subvention soldée" in text
    assert f"{pending.dossier.number} : preuve d’engagement à vérifier" in text


def test_without_the_committee_s_accounts_the_demo_says_which_command_to_run():
    AgentRole.objects.filter(call=demo_call(), role=Role.COMMITTEE).delete()
    with pytest.raises(demo.DemoError, match="create_demo_accounts"):
        demo.create()
    assert not demo.demo_dossiers(demo_call()).exists()


@override_settings(TASKS=DATABASE_TASKS)
def test_with_the_database_backend_receipts_wait_for_the_worker_and_stale_ones_are_dropped(
    django_capture_on_commit_callbacks,
):
    from django_tasks_db.models import DBTaskResult

    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        result = demo.create()
    queued = DBTaskResult.objects.filter(task_path="guichet.dossiers.tasks.send_receipt")
    assert queued.count() == result.receipts > 0
    # Each meeting's convocation went to every member, with its summary note.
    convocations = [m for m in mail.outbox if "Convocation" in m.subject]
    members = {r.user.email for r in committee.members(demo_call())}
    assert len(convocations) == 2 * len(members)
    assert {a for m in convocations for a in m.to} == members
    assert all(m.attachments[0][2] == "application/pdf" for m in convocations)
    assert not Dossier.objects.filter(attachments__kind=PieceKind.RECEIPT).exists()
    with django_capture_on_commit_callbacks(execute=True):
        demo.create()
    # The first run's receipts, for dossiers that no longer exist, are no longer queued.
    assert queued.count() == result.receipts
    ids = set(Dossier.objects.values_list("pk", flat=True))
    assert all(r.args_kwargs["args"][0] in ids for r in queued)


def test_the_demo_is_no_part_of_the_domain_and_needs_no_test_tools():
    import ast
    from pathlib import Path

    import guichet

    tree = ast.parse(Path(demo.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m == "django.test" or m.startswith("django.test.") for m in imported)
    # Nothing of the application imports the demo (only its own command and the tests do).
    root = Path(guichet.__file__).parent
    for path in root.rglob("*.py"):
        if root / "demo" in path.parents:
            continue
        assert "guichet.demo" not in path.read_text(encoding="utf-8"), path


def test_the_demo_prose_is_data_and_every_text_fills_for_every_kind_of_collectivite():
    texts = demo.texts()
    assert len(texts["projects"]) == len(demo.projects()) == 16
    assert {p.category for p in demo.projects()} == {"1", "2", "3"}
    targets = [
        demo.Target("commune", "63040", "Billom", 4805),
        demo.Target("commune", "63113", "Clermont-Ferrand", 147_284),
        demo.Target("commune", "63178", "Issoire", 15_000),
        demo.Target("epci", "200067627", "CC Billom Communauté", 26_000),
        demo.Target("metropole", "246300701", "Clermont Auvergne Métropole", 300_000),
        demo.Target("departement", "63", "Puy-de-Dôme", 660_000),
    ]
    for target in targets:
        words = demo.phrases(target)
        assert "{" not in "".join(words.values()), words
        builder = object.__new__(demo.Builder)  # only the texts, no database
        builder.rng = random.Random(1)
        builder.examples = []
        user = SimpleNamespace(get_full_name=lambda: "", function="", email="", phone="")
        for project in demo.projects():
            values = builder.values(target, user, project)
            filled = " ".join(v for v in values.values() if isinstance(v, str))
            assert "{" not in filled and "}" not in filled, (target.name, project.title)
    assert demo.phrases(targets[0])["collectivite"] == "la commune de Billom"
    assert demo.phrases(targets[2])["collectivite"] == "la commune d’Issoire"
    assert demo.phrases(targets[3])["nom"] == "la CC Billom Communauté"


def test_the_email_backend_is_given_back_even_when_the_demo_fails(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

    def fail(*args, **kwargs):
        raise demo.DemoError("Aucune commune")

    monkeypatch.setattr(demo, "pick_targets", fail)
    with pytest.raises(demo.DemoError):
        demo.create()
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.dummy.EmailBackend"
