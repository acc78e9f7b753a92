"""The committee's meetings at their boundaries: who may do what, when, with which amounts, and
what closing does to the dossiers, the grants and the envelopes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from guichet import clock
from guichet.committee import services as committee
from guichet.committee.models import (
    Decision,
    MeetingDocument,
    MeetingStatus,
    Outcome,
    Vote,
)
from guichet.committee.services import CommitteeError, DecisionInput
from guichet.dossiers.models import Event
from guichet.dossiers.workflow import State
from guichet.grants import services as grants
from guichet.grants.models import Grant, LedgerEntry
from tests.dossiers.factories import reviewer

from .factories import CONVENED_ON, MEETING_AT, Committee, meeting, proposed

pytestmark = pytest.mark.django_db

E = Decimal
RETAIN_5000 = DecisionInput(Outcome.RETAINED, amount=E(5000), year=2021)


@pytest.fixture
def team():
    return Committee()


@pytest.fixture
def two(team):
    return [proposed(), proposed(code="63008", name="Arconsat")]


def item_of(m, dossier):
    return m.items.get(dossier=dossier)


def at_meeting(fn, *args, **kwargs):
    with clock.frozen(MEETING_AT + dt.timedelta(minutes=30)):
        return fn(*args, **kwargs)


# ---------------------------------------------------------------- preparing and convening


def test_only_the_manager_prepares_and_convenes(team, two):
    with pytest.raises(CommitteeError, match="Votre rôle"):
        committee.create_meeting(
            team.call, team.member, starts_at=MEETING_AT, place="Thiers",
            sessions=list(team.call.sessions.all()),
        )  # fmt: skip
    m = meeting(team, two, convene=False)
    for who in (team.chair, reviewer()):
        with pytest.raises(CommitteeError, match="Votre rôle"):
            committee.convene(m, who)


def test_a_meeting_needs_a_time_a_place_and_a_session(team):
    sessions = list(team.call.sessions.all())
    cases = [
        ({"starts_at": None, "place": "Thiers", "sessions": sessions}, "starts_at"),
        ({"starts_at": MEETING_AT.replace(tzinfo=None), "place": "Thiers", "sessions": sessions},
         "starts_at"),
        ({"starts_at": MEETING_AT, "place": " ", "sessions": sessions}, "place"),
        ({"starts_at": MEETING_AT, "place": "Thiers", "sessions": []}, "sessions"),
    ]  # fmt: skip
    for fields, field in cases:
        with pytest.raises(CommitteeError) as exc:
            committee.create_meeting(team.call, team.manager, **fields)
        assert exc.value.field == field
    m = committee.create_meeting(
        team.call, team.manager, starts_at=MEETING_AT, video_url="https://webconf.numerique.gouv.fr/x",
        sessions=sessions,
    )  # fmt: skip
    assert m.number == 1 and m.status == MeetingStatus.DRAFT


def test_the_agenda_takes_only_dossiers_proposed_and_not_on_another_agenda(team, two):
    m1 = meeting(team, two[:1], convene=False)
    with clock.frozen(CONVENED_ON):
        m2 = committee.create_meeting(
            team.call, team.manager, starts_at=MEETING_AT, place="Thiers",
            sessions=list(team.call.sessions.all()),
        )  # fmt: skip
    assert m2.number == 2
    assert list(committee.candidates(m2)) == [two[1]]
    with pytest.raises(CommitteeError) as exc:
        committee.set_agenda(m2, team.manager, [two[0].pk])
    assert exc.value.field == "dossiers"
    assert m1.items.count() == 1


def test_convening_freezes_the_agenda_and_sends_the_note_to_every_member(
    team, two, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        m = meeting(team, two, open_=False)
    assert m.status == MeetingStatus.CONVENED and m.convened_at == CONVENED_ON
    note = MeetingDocument.objects.get(meeting=m, kind="summary_note")
    assert note.mime_type == "application/pdf" and note.size > 1000
    sent = [msg for msg in mail.outbox if "Convocation" in msg.subject]
    assert sorted(a for msg in sent for a in msg.to) == sorted(
        [team.chair.email, team.member.email, team.other.email]
    )
    assert all(msg.attachments[0][0] == "note-de-synthese-seance-1.pdf" for msg in sent)
    assert two[0].number in sent[0].body
    with pytest.raises(CommitteeError, match="ordre du jour est arrêté"):
        committee.set_agenda(m, team.manager, [two[0].pk])
    with pytest.raises(CommitteeError, match="ordre du jour est arrêté"):
        committee.convene(m, team.manager)


def test_an_empty_agenda_or_a_past_meeting_is_not_convened(team, two):
    m = meeting(team, [], convene=False)
    with clock.frozen(CONVENED_ON), pytest.raises(CommitteeError, match="ordre du jour est vide"):
        committee.convene(m, team.manager)
    committee.set_agenda(m, team.manager, [two[0].pk])
    with clock.frozen(MEETING_AT), pytest.raises(CommitteeError, match="La séance est passée"):
        committee.convene(m, team.manager)


def test_the_clear_days_of_the_call_are_counted(team, two, monkeypatch):
    """DETR's five clear days: the day of sending and the meeting's day do not count."""
    from dataclasses import replace

    rules = team.call.rules
    monkeypatch.setattr(
        type(team.call), "rules",
        property(lambda self: replace(rules, committee=replace(rules.committee,
                                                                convocation_clear_days=5))),
    )  # fmt: skip
    m = meeting(team, two[:1], convene=False)
    # Meeting on the 15th: sent on the 9th, the 10th to 14th are five clear days.
    with clock.frozen(dt.datetime(2021, 7, 10, 8, 0, tzinfo=dt.UTC)):
        assert "il n’en reste que 4" in committee.convocation_problem(m)
    with clock.frozen(dt.datetime(2021, 7, 9, 8, 0, tzinfo=dt.UTC)):
        assert committee.convocation_problem(m) is None


# ---------------------------------------------------------------- the open meeting


def test_only_the_chair_opens_and_only_on_its_day(team, two):
    m = meeting(team, two, open_=False)
    with clock.frozen(MEETING_AT), pytest.raises(CommitteeError, match="Votre rôle"):
        committee.open_meeting(m, team.member, [team.member.pk])
    with (
        clock.frozen(MEETING_AT - dt.timedelta(days=1)),
        pytest.raises(CommitteeError, match="à sa date"),
    ):
        committee.open_meeting(m, team.chair, [team.chair.pk])
    with clock.frozen(MEETING_AT), pytest.raises(CommitteeError, match="doit être présent"):
        committee.open_meeting(m, team.chair, [team.member.pk])
    with clock.frozen(MEETING_AT), pytest.raises(CommitteeError, match="pas membre"):
        committee.open_meeting(m, team.chair, [team.chair.pk, team.manager.pk])
    with clock.frozen(MEETING_AT):
        m = committee.open_meeting(m, team.chair, [team.chair.pk, team.member.pk])
    assert m.status == MeetingStatus.OPEN and m.chair_label == str(team.chair)
    assert {(a.member_id, a.present, a.is_chair) for a in m.attendance.all()} == {
        (team.chair.pk, True, True), (team.member.pk, True, False), (team.other.pk, False, False)
    }  # fmt: skip
    assert m.envelopes_before["2021"]["remaining"] == "148500.00"


def test_nothing_is_decided_before_the_opening(team, two):
    m = meeting(team, two, open_=False)
    with pytest.raises(CommitteeError, match="convoquée"):
        committee.decide(item_of(m, two[0]), team.chair, RETAIN_5000)


def test_a_member_in_conflict_neither_votes_nor_decides_and_is_left_out_of_the_count(team, two):
    m = meeting(team, two)
    item = item_of(m, two[0])
    at_meeting(committee.vote, item, team.member, "for")
    at_meeting(committee.vote, item, team.other, "against")
    at_meeting(committee.declare_conflict, item, team.member, "Conseiller municipal de Billom")
    assert not Vote.objects.filter(item=item, member=team.member).exists()
    with pytest.raises(CommitteeError, match="conflit d’intérêts"):
        at_meeting(committee.vote, item, team.member, "for")
    with pytest.raises(CommitteeError, match="conflit d’intérêts"):
        at_meeting(committee.decide, item, team.member, RETAIN_5000)
    assert committee.tally(item) == committee.Tally(for_=0, against=1, abstain=0, voters=2)
    # The same member still takes part in the other dossier.
    at_meeting(committee.vote, item_of(m, two[1]), team.member, "for")


def test_an_absent_member_takes_no_part(team, two):
    m = meeting(team, two, present=[team.chair, team.member])
    with pytest.raises(CommitteeError, match="membres présents"):
        at_meeting(committee.vote, item_of(m, two[0]), team.other, "for")


def test_a_reviewer_or_the_manager_cannot_decide(team, two):
    m = meeting(team, two)
    for who in (team.manager, reviewer()):
        with pytest.raises(CommitteeError, match="Votre rôle"):
            at_meeting(committee.decide, item_of(m, two[0]), who, RETAIN_5000)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (DecisionInput("maybe"), "outcome", "Choisissez une décision"),
        (DecisionInput(Outcome.RETAINED, amount=None, year=2021), "amount", "Indiquez le montant"),
        (DecisionInput(Outcome.RETAINED, amount=E(0), year=2021), "amount", "Indiquez le montant"),
        (DecisionInput(Outcome.RETAINED, amount=E("5000.01"), year=2021), "amount", "dépasse le maximum"),
        (DecisionInput(Outcome.RETAINED, amount=E(4000), year=2021), "reason", "doit être motivé"),
        (DecisionInput(Outcome.RETAINED, amount=E(5000)), "year", "Choisissez l’enveloppe"),
        (DecisionInput(Outcome.RETAINED, amount=E(5000), year=2023), "year", "pas d’enveloppe pour l’année 2023"),
        (DecisionInput(Outcome.REFUSED), "reason", "motif du refus"),
        (DecisionInput(Outcome.WAITING_LIST, waiting_rank=0), "waiting_rank", "commence à 1"),
    ],
)  # fmt: skip
def test_bad_decisions_are_refused_at_their_field(team, two, data, field, message):
    m = meeting(team, two)
    with pytest.raises(CommitteeError, match=message) as exc:
        at_meeting(committee.decide, item_of(m, two[0]), team.chair, data)
    assert exc.value.field == field
    assert not Decision.objects.exists()


def test_the_maximum_and_a_reduced_amount_with_its_reason_are_accepted(team, two):
    m = meeting(team, two)
    at_meeting(committee.decide, item_of(m, two[0]), team.chair, RETAIN_5000)
    reduced = DecisionInput(Outcome.RETAINED, amount=E("4999.99"), year=2022, reason="Coût réduit")
    decision = at_meeting(committee.decide, item_of(m, two[1]), team.member, reduced)
    assert decision.amount == E("4999.99") and decision.recorded_by == team.member
    # Recorded again: the last one stands.
    at_meeting(committee.decide, item_of(m, two[1]), team.chair, DecisionInput(Outcome.POSTPONED))
    assert Decision.objects.get(item__dossier=two[1]).outcome == Outcome.POSTPONED


def test_a_decision_cannot_exceed_what_the_year_has_left_with_this_meeting_s_retained(team, two):
    # Someone else's grant leaves 8 000 € in 2021.
    other = proposed(code="63113", name="Clermont-Ferrand")
    grants.commit(other, 2021, E(140500), team.chair)
    m = meeting(team, two)
    at_meeting(committee.decide, item_of(m, two[0]), team.chair, RETAIN_5000)
    with pytest.raises(CommitteeError, match="il reste 3") as exc:
        at_meeting(committee.decide, item_of(m, two[1]), team.chair, RETAIN_5000)
    assert exc.value.field == "amount"
    assert committee.left_by_year(m) == {2021: E(3000), 2022: E(148500)}


# ---------------------------------------------------------------- closing


def test_closing_needs_every_decision_and_the_chair(team, two):
    m = meeting(team, two)
    at_meeting(committee.decide, item_of(m, two[0]), team.chair, RETAIN_5000)
    with pytest.raises(CommitteeError, match=two[1].number):
        at_meeting(committee.close_meeting, m, team.chair)
    at_meeting(committee.decide, item_of(m, two[1]), team.chair, DecisionInput(Outcome.POSTPONED))
    with pytest.raises(CommitteeError, match="Votre rôle"):
        at_meeting(committee.close_meeting, m, team.member)


def test_closing_commits_the_grants_moves_the_dossiers_and_writes_the_minutes(team, two):
    third, fourth = proposed(code="63005", name="Antoingt"), proposed(code="63007", name="Apchat")
    m = meeting(team, [*two, third, fourth])
    at_meeting(committee.decide, item_of(m, two[0]), team.chair, RETAIN_5000)
    refusal = DecisionInput(Outcome.REFUSED, reason="Projet déjà financé par la région.")
    at_meeting(committee.decide, item_of(m, two[1]), team.chair, refusal)
    at_meeting(committee.decide, item_of(m, third), team.chair, DecisionInput(Outcome.POSTPONED))
    at_meeting(
        committee.decide, item_of(m, fourth), team.chair, DecisionInput(Outcome.WAITING_LIST)
    )
    m = at_meeting(committee.close_meeting, m, team.chair)
    assert m.status == MeetingStatus.CLOSED
    for d in (*two, third, fourth):
        d.refresh_from_db()
    assert [d.state for d in (*two, third, fourth)] == [
        State.ACCEPTED,
        State.REFUSED,
        State.POSTPONED,
        State.WAITING_LIST,
    ]
    grant = Grant.objects.get(dossier=two[0])
    assert (grant.amount, grant.envelope.year, grant.decision.item.meeting) == (E(5000), 2021, m)
    assert LedgerEntry.objects.get().remaining_after == E(143500)
    assert m.envelopes_after["2021"]["remaining"] == "143500.00"
    refused_event = Event.objects.get(dossier=two[1], action="refuse")
    assert refused_event.message == "Projet déjà financé par la région."
    assert Decision.objects.get(item__dossier=fourth).waiting_rank == 1
    minutes = MeetingDocument.objects.get(meeting=m, kind="minutes")
    assert minutes.size > 1000
    # Read-only once closed; a postponed dossier goes to a later meeting.
    with pytest.raises(CommitteeError, match="close"):
        at_meeting(committee.decide, item_of(m, third), team.chair, RETAIN_5000)
    with clock.frozen(CONVENED_ON):
        later = committee.create_meeting(
            team.call, team.manager, starts_at=MEETING_AT + dt.timedelta(days=30), place="Thiers",
            sessions=list(team.call.sessions.all()),
        )  # fmt: skip
    assert set(committee.candidates(later)) == {third, fourth}


def test_a_close_that_the_envelope_refuses_changes_nothing(team, two):
    m = meeting(team, two)
    at_meeting(committee.decide, item_of(m, two[0]), team.chair, RETAIN_5000)
    at_meeting(committee.decide, item_of(m, two[1]), team.chair, RETAIN_5000)
    # Between the decision and the closing, another commitment takes the money.
    grants.commit(proposed(code="63113", name="Clermont-Ferrand"), 2021, E(140000), team.chair)
    with pytest.raises(CommitteeError, match="il reste 3"):
        at_meeting(committee.close_meeting, m, team.chair)
    m.refresh_from_db()
    assert m.status == MeetingStatus.OPEN
    assert Grant.objects.filter(dossier__in=two).count() == 0
    for d in two:
        d.refresh_from_db()
        assert d.state == State.PROPOSED


def test_every_step_is_in_the_dossier_s_history_and_the_applicant_sees_only_the_outcome(team, two):
    from guichet.www.applicant.follow_views import applicant_history

    m = meeting(team, two)
    item = item_of(m, two[0])
    at_meeting(committee.declare_conflict, item, team.member, "Élu de Billom")
    at_meeting(committee.decide, item, team.chair, RETAIN_5000)
    at_meeting(committee.decide, item_of(m, two[1]), team.chair, DecisionInput(Outcome.POSTPONED))
    at_meeting(committee.close_meeting, m, team.chair)
    summaries = [e.summary for e in Event.objects.filter(dossier=two[0]).order_by("at", "pk")]
    assert any(s.startswith("Inscrit à l’ordre du jour de la séance n° 1") for s in summaries)
    assert "Conflit d’intérêts déclaré en séance n° 1" in summaries
    assert any("Retenu, 5" in s and "enveloppe 2021" in s for s in summaries)
    seen = [e.summary for e in applicant_history(two[0])]
    assert not any("Conflit" in s or "ordre du jour" in s or "enregistrée" in s for s in seen)
    assert any(s.startswith("Dossier retenu (séance n° 1") for s in seen)


ALLOWED_IN = {
    "set_agenda": "draft", "convene": "draft", "open": "convened", "vote": "open",
    "conflict": "open", "decide": "open", "close": "open",
}  # fmt: skip
STATUS_REFUSALS = ("pas encore convoquée", "ordre du jour est arrêté", "La séance est ouverte",
                   "La séance est close")  # fmt: skip


def _at_status(team, dossiers, status):
    m = meeting(team, dossiers, convene=status != "draft", open_=status in ("open", "closed"))
    if status == "closed":
        for d in dossiers:
            at_meeting(
                committee.decide, item_of(m, d), team.chair, DecisionInput(Outcome.POSTPONED)
            )
        m = at_meeting(committee.close_meeting, m, team.chair)
    return m


def _action(name, team, m, item, dossier):
    return {
        "set_agenda": lambda: committee.set_agenda(m, team.manager, [dossier.pk]),
        "convene": lambda: committee.convene(m, team.manager),
        "open": lambda: committee.open_meeting(m, team.chair, [team.chair.pk]),
        "vote": lambda: committee.vote(item, team.chair, "for"),
        "conflict": lambda: committee.declare_conflict(item, team.other),
        "decide": lambda: committee.decide(item, team.chair, DecisionInput(Outcome.POSTPONED)),
        "close": lambda: committee.close_meeting(m, team.chair),
    }[name]


@pytest.mark.parametrize("name", list(ALLOWED_IN))
@pytest.mark.parametrize("status", [s.value for s in MeetingStatus])
def test_each_action_only_in_its_meeting_status(team, two, status, name):
    m = _at_status(team, two, status)
    action = _action(name, team, m, item_of(m, two[0]), two[0])
    when = CONVENED_ON if name in ("set_agenda", "convene") else MEETING_AT
    with clock.frozen(when + dt.timedelta(minutes=1)):
        if ALLOWED_IN[name] == status:
            try:
                action()
            except CommitteeError as exc:  # allowed in this status: refused for another reason
                assert not any(r in str(exc) for r in STATUS_REFUSALS), exc
                assert name == "close" and two[1].number in str(exc)  # an undecided dossier
        else:
            with pytest.raises(CommitteeError) as exc:
                action()
            assert any(r in str(exc.value) for r in STATUS_REFUSALS), exc.value
