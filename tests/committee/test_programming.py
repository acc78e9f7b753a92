"""The programming assistant on an open meeting: the proposal within what each year has left,
the committee's pins, exclusions, amounts and years kept until adopted, and adoption as decisions."""

import datetime as dt
from decimal import Decimal

import pytest

from guichet import clock
from guichet.committee import programming
from guichet.committee.models import Decision, Outcome, ProgrammingChoice
from guichet.committee.services import CommitteeError
from guichet.grants import services as grants

from .factories import MEETING_AT, Committee, meeting, proposed

pytestmark = pytest.mark.django_db
E = Decimal


def now():
    return clock.frozen(MEETING_AT + dt.timedelta(minutes=5))


@pytest.fixture
def setting():
    team = Committee()
    # Other grants leave 10 000 € in 2021 and nothing in 2022: two of the three 5 000 € fit.
    grants.commit(proposed(code="63113", name="Clermont-Ferrand"), 2021, E(138500), team.chair)
    grants.commit(proposed(code="63430", name="Thiers"), 2022, E(148500), team.chair)
    best = proposed(marks=3)
    middle = proposed(code="63008", name="Arconsat", marks=2)
    low = proposed(code="63005", name="Antoingt", marks=1)
    m = meeting(team, [best, middle, low])
    return team, m, best, middle, low


def line_of(p, dossier):
    return next(line for line in p.lines if line.item.dossier_id == dossier.pk)


def test_the_proposal_retains_the_best_within_what_is_left(setting):
    _team, m, best, middle, low = setting
    p = programming.programming(m)
    assert p.proposal.optimal and not p.error
    assert {line.item.dossier_id for line in p.retained} == {best.pk, middle.pk}
    assert all(line.retained.year == 2021 for line in p.retained)
    assert p.left == {2021: E(0), 2022: E(0)}
    assert [line.item.dossier_id for line in p.waiting] == [low.pk]
    assert line_of(p, low).waiting.amount == E(5000)


def test_pinning_and_excluding_change_the_proposal_and_are_kept(setting):
    team, m, best, middle, low = setting
    with now():
        programming.change(m.items.get(dossier=low), team.chair, "pin")
        programming.change(m.items.get(dossier=best), team.chair, "exclude")
    p = programming.programming(m)
    assert {line.item.dossier_id for line in p.retained} == {low.pk, middle.pk}
    assert ProgrammingChoice.objects.count() == 2
    # The excluded dossier scores higher than one retained: the proposal says why.
    assert line_of(p, best).reason.text == "Écarté par le comité."
    with now():
        programming.change(m.items.get(dossier=best), team.chair, "reset")
    p = programming.programming(m)
    assert {line.item.dossier_id for line in p.retained} == {low.pk, best.pk}
    assert line_of(p, middle).waiting.rank == 1


def test_a_reduced_amount_needs_its_reason_and_lets_a_third_fit(setting):
    team, m, _best, middle, low = setting
    item = m.items.get(dossier=middle)
    with now(), pytest.raises(CommitteeError, match="doit être motivé") as exc:
        programming.change(item, team.chair, "amount", amount=E(2500))
    assert exc.value.field == "reason"
    with now(), pytest.raises(CommitteeError, match="dépasse le maximum"):
        programming.change(item, team.chair, "amount", amount=E(5001), reason="x")
    with now():
        programming.change(item, team.chair, "amount", amount=E(2500), reason="Coût réduit")
        programming.change(m.items.get(dossier=low), team.chair, "amount", amount=E(2500),
                           reason="Coût réduit")  # fmt: skip
    p = programming.programming(m)
    assert len(p.retained) == 3 and p.left == {2021: E(0), 2022: E(0)}


def test_a_pinned_set_that_cannot_fit_is_said(setting):
    team, m, best, middle, low = setting
    with now():
        for d in (best, middle, low):
            programming.change(m.items.get(dossier=d), team.chair, "pin")
    p = programming.programming(m)
    assert p.proposal is None and p.error


def test_adopting_records_decisions_dossier_by_dossier_or_all(setting):
    team, m, best, middle, low = setting
    with now():
        programming.adopt(m, team.chair, [m.items.get(dossier=best).pk])
    assert Decision.objects.get().item.dossier == best
    with now():
        decisions = programming.adopt(m, team.chair)
    outcomes = {d.item.dossier_id: (d.outcome, d.amount, d.year, d.waiting_rank) for d in
                Decision.objects.all()}  # fmt: skip
    assert outcomes == {
        best.pk: (Outcome.RETAINED, E(5000), 2021, None),
        middle.pk: (Outcome.RETAINED, E(5000), 2021, None),
        low.pk: (Outcome.WAITING_LIST, None, None, 1),
    }
    assert len(decisions) == 2
    with now(), pytest.raises(CommitteeError, match="aucun dossier"):
        programming.adopt(m, team.chair)
    # A decided dossier is no longer changed through the proposal.
    with now(), pytest.raises(CommitteeError, match="déjà sa décision"):
        programming.change(m.items.get(dossier=best), team.chair, "exclude")


def test_only_present_committee_members_change_the_proposal(setting):
    team, m, best, _middle, _low = setting
    with now(), pytest.raises(CommitteeError, match="Votre rôle"):
        programming.change(m.items.get(dossier=best), team.manager, "pin")
