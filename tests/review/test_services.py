"""The review services at their boundaries: scores, averages, proposals, population, assignment."""

from decimal import Decimal

import pytest
from django.core import mail

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.models import Event
from guichet.dossiers.workflow import State
from guichet.review import services as review
from guichet.review.models import Assignment, Opinion, Score
from guichet.review.services import ReviewRefused, ScoreInput
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft, reviewer

pytestmark = pytest.mark.django_db

# Billom: 4 777 inhabitants in the 2021 reference data, arrondissement of Clermont-Ferrand (632).
BILLOM_ARRONDISSEMENT = "632"


def submit(cost="8000", requested="5000"):
    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(
            complete(draft(owner), owner, cost=cost, requested=requested), owner
        )
    mail.outbox.clear()
    return dossier


@pytest.fixture
def submitted():
    return submit()


@pytest.fixture
def in_review(submitted):
    return services.start_review(submitted, reviewer())


def full_marks(dossier, value=2):
    return {c.code: ScoreInput(value) for c in dossier.call.rules.scoring.criteria}


# ---------------------------------------------------------------- scores


def test_a_mark_outside_the_scale_is_refused_at_its_criterion(submitted):
    with pytest.raises(ReviewRefused) as exc:
        review.score(submitted, reviewer(), {"innovation": ScoreInput(4)})
    assert exc.value.field == "innovation"
    assert "entre 0 et 3" in str(exc.value)
    assert not Score.objects.exists()


def test_an_unknown_criterion_is_refused(submitted):
    with pytest.raises(ReviewRefused) as exc:
        review.score(submitted, reviewer(), {"beauty": ScoreInput(3)})
    assert exc.value.field == "beauty" and "Critère inconnu" in str(exc.value)


def test_a_dossier_waiting_for_corrections_is_not_scored(submitted):
    instructor = reviewer()
    services.request_correction(submitted, instructor, "Le devis n’est pas signé.")
    with pytest.raises(ReviewRefused, match="ne se note pas"):
        review.score(submitted, instructor, full_marks(submitted))


def test_the_average_is_weighted_by_the_grid(submitted):
    grid = submitted.call.rules.scoring
    # daily_life ×3 at 3, pooling ×2 at 0, the rest (×1 ×5 and ×2) at 1: (9 + 0 + 5 + 2) / 12.
    values = {c.code: 1 for c in grid.criteria} | {"daily_life": 3, "pooling": 0}
    assert review.weighted_average(values, grid) == Decimal("1.33")
    instructor = reviewer()
    marks = {code: ScoreInput(v) for code, v in values.items()}
    assert review.score(submitted, instructor, marks) == Decimal("1.33")
    submitted.refresh_from_db()
    assert submitted.score_average == Decimal("1.33")


def test_an_incomplete_grid_has_no_average_yet(submitted):
    assert review.score(submitted, reviewer(), {"innovation": ScoreInput(3)}) is None


def test_the_dossier_average_is_the_mean_of_the_reviewers_averages(submitted):
    first, second = reviewer(), reviewer()
    review.score(submitted, first, full_marks(submitted, 3))
    average = review.score(submitted, second, full_marks(submitted, 1))
    assert review.reviewer_averages(submitted) == {
        first.pk: Decimal("3.00"),
        second.pk: Decimal("1.00"),
    }
    assert average == Decimal("2.00")
    # Scoring again replaces the reviewer's marks, it does not add to them.
    review.score(submitted, second, {"daily_life": ScoreInput(3, " Fort effet ")})
    assert Score.objects.filter(reviewer=second).count() == 8
    assert Score.objects.get(reviewer=second, criterion="daily_life").comment == "Fort effet"


def test_auditors_and_committee_members_do_not_score(submitted):
    for role in ("auditor", "committee"):
        with pytest.raises(ReviewRefused, match="Votre rôle"):
            review.score(submitted, reviewer(role=role), full_marks(submitted))


def test_a_reviewer_of_another_arrondissement_does_not_see_the_dossier(submitted):
    with pytest.raises(services.DossierNotFound):
        review.score(submitted, reviewer(arrondissements=("631",)), full_marks(submitted))


def test_re_scoring_keeps_every_previous_version(submitted):
    from guichet.review.models import ScoreVersion

    instructor = reviewer()
    review.score(submitted, instructor, {"innovation": ScoreInput(1, "Outil courant.")})
    review.score(submitted, instructor, {"innovation": ScoreInput(1, "Outil courant.")})
    assert not ScoreVersion.objects.exists()  # the same mark again is not a new version
    review.score(submitted, instructor, {"innovation": ScoreInput(2, "Nouveau sur le territoire.")})
    review.score(submitted, instructor, {"innovation": ScoreInput(3)})
    current = Score.objects.get(dossier=submitted, reviewer=instructor, criterion="innovation")
    assert (current.value, current.comment) == (3, "")
    versions = list(ScoreVersion.objects.filter(dossier=submitted).order_by("id"))
    assert [(v.value, v.comment) for v in versions] == [
        (1, "Outil courant."),
        (2, "Nouveau sur le territoire."),
    ]
    assert all(
        v.reviewer == instructor and v.reviewer_label == "Paul Instructeur" for v in versions
    )
    assert versions[0].replaced_at == versions[1].scored_at


def test_who_acted_is_kept_and_their_account_cannot_be_deleted(in_review):
    from django.db.models import ProtectedError

    event = in_review.events.get(action="start_review")
    instructor = event.actor  # started the review, nothing else
    assert event.actor_label == "Paul Instructeur"
    with pytest.raises(ProtectedError):
        instructor.delete()
    event.refresh_from_db()
    assert event.actor == instructor
    # Renaming the account later does not rewrite the history.
    instructor.first_name = "Pierre"
    instructor.save()
    event.refresh_from_db()
    assert event.actor_label == "Paul Instructeur"


def test_a_manager_who_assigned_a_dossier_cannot_be_deleted(submitted):
    from django.db.models import ProtectedError

    manager, instructor = reviewer(role="manager"), reviewer()
    review.assign(submitted, manager, reviewer=instructor, reason="Charge de travail.")
    with pytest.raises(ProtectedError) as refused:
        manager.delete()
    assignment = Assignment.objects.get(dossier=submitted, ended_at=None)
    assert assignment in refused.value.protected_objects  # not only the history line
    assert assignment.assigned_by == manager


# ---------------------------------------------------------------- opinion and proposal


def propose(dossier, amount, justification="", kind="favourable", user=None, without_scores=True):
    return review.propose(
        dossier, user or reviewer(), kind=kind, amount=Decimal(amount),
        justification=justification, without_scores=without_scores,
    )  # fmt: skip


def test_an_amount_above_the_maximum_is_refused_at_the_amount(in_review):
    with pytest.raises(ReviewRefused) as exc:
        propose(in_review, "5000.01")
    assert exc.value.field == "amount" and "dépasse le maximum" in str(exc.value)
    in_review.refresh_from_db()
    assert in_review.state == State.IN_REVIEW and not Opinion.objects.exists()


def test_the_maximum_needs_no_justification_and_goes_to_the_committee(in_review):
    opinion = propose(in_review, "5000")
    assert opinion.maximum_amount == Decimal("5000") and opinion.justification == ""
    in_review.refresh_from_db()
    assert in_review.state == State.PROPOSED
    assert in_review.proposed_amount == Decimal("5000") and in_review.opinion == "favourable"
    event = in_review.events.get(action="propose")
    assert "Avis favorable, montant proposé 5\u00a0000\u00a0€" in event.message


def test_below_the_maximum_a_justification_is_required(in_review):
    with pytest.raises(ReviewRefused) as exc:
        propose(in_review, "4000", "   ")
    assert exc.value.field == "justification"
    opinion = propose(in_review, "4000", "Coût du logiciel surestimé.")
    assert opinion.proposed_amount == Decimal("4000")
    in_review.refresh_from_db()
    assert in_review.state == State.PROPOSED


def test_an_unfavourable_opinion_with_nothing(in_review):
    opinion = propose(
        in_review, "0", "Projet sans lien avec la relation à l’usager.", "unfavourable"
    )
    assert opinion.kind == "unfavourable" and opinion.proposed_amount == 0


def test_an_ineligible_dossier_cannot_get_a_favourable_opinion(in_review):
    in_review.category = "9"  # not a category of the call
    in_review.save(update_fields=["category"])
    assert not services.verdict(in_review).eligible
    with pytest.raises(ReviewRefused) as exc:
        propose(in_review, "0", "Hors catégories.", "favourable")
    assert exc.value.field == "kind"
    opinion = propose(in_review, "0", "Hors catégories.", "unfavourable")
    assert opinion.maximum_amount == 0


def test_an_unknown_opinion_is_refused(in_review):
    with pytest.raises(ReviewRefused) as exc:
        propose(in_review, "5000", kind="maybe")
    assert exc.value.field == "kind"


def test_only_a_dossier_in_review_is_proposed(submitted):
    with pytest.raises(ReviewRefused, match="Seul un dossier en instruction"):
        propose(submitted, "5000")
    assert not Opinion.objects.exists()
    services.start_review(submitted, reviewer())
    propose(submitted, "5000")
    with pytest.raises(ReviewRefused, match="Proposé au comité"):
        propose(submitted, "5000")
    assert Opinion.objects.count() == 1


def test_an_unscored_dossier_needs_the_reviewers_confirmation(in_review):
    with pytest.raises(ReviewRefused) as exc:
        propose(in_review, "5000", without_scores=False)
    assert exc.value.field == "without_scores" and "sans notation" in str(exc.value)
    in_review.refresh_from_db()
    assert in_review.state == State.IN_REVIEW and not Opinion.objects.exists()


def test_a_partly_scored_dossier_still_needs_the_confirmation(in_review):
    instructor = reviewer()
    review.score(in_review, instructor, {"innovation": ScoreInput(3)})
    with pytest.raises(ReviewRefused, match="sans notation"):
        propose(in_review, "5000", user=instructor, without_scores=False)


def test_a_fully_scored_dossier_is_proposed_without_confirmation(in_review):
    instructor = reviewer()
    review.score(in_review, instructor, full_marks(in_review))
    opinion = propose(in_review, "5000", user=instructor, without_scores=False)
    in_review.refresh_from_db()
    assert in_review.state == State.PROPOSED and opinion.proposed_amount == Decimal("5000")


def test_the_same_reviewers_repeated_proposal_returns_the_first_opinion(in_review):
    instructor = reviewer()
    first = propose(in_review, "4000", "Devis surévalué.", "reserved", user=instructor)
    again = propose(in_review, "4000", "Devis surévalué.", "reserved", user=instructor)
    assert again == first and Opinion.objects.count() == 1
    assert in_review.events.filter(action="propose").count() == 1
    with pytest.raises(ReviewRefused, match="Seul un dossier en instruction"):
        propose(in_review, "3000", "Devis surévalué.", "reserved", user=instructor)


def test_the_maximum_is_read_on_the_locked_dossier(in_review):
    """A population corrected after the page was read: the proposal checks today's maximum."""
    stale = type(in_review).objects.get(pk=in_review.pk)
    review.correct_population(in_review, reviewer(), 5000, "Recensement complémentaire.")
    opinion = propose(stale, "8000")
    assert opinion.maximum_amount == Decimal("8000")


# ---------------------------------------------------------------- population


def test_a_corrected_population_crosses_the_5000_threshold():
    dossier = submit(cost="12000", requested="5000")
    assert dossier.population_used == 4777 and dossier.flat_amount == Decimal("5000")
    corrected = review.correct_population(
        dossier, reviewer(), 5000, "Recensement complémentaire de 2020."
    )
    assert corrected.population_used == 5000
    assert corrected.flat_amount == Decimal("10000") and corrected.maximum_amount == Decimal(
        "10000"
    )
    assert services.verdict(corrected).amount == Decimal("10000")
    event = corrected.events.get(summary="Population corrigée")
    assert event.kind == "review" and event.message == "Recensement complémentaire de 2020."
    assert event.changes == {
        "Population retenue": ["4\u00a0777", "5\u00a0000"],
        "Forfait": ["5\u00a0000\u00a0€", "10\u00a0000\u00a0€"],
        "Montant maximal": ["5\u00a0000\u00a0€", "10\u00a0000\u00a0€"],
    }


def test_the_maximum_stays_within_the_cost(submitted):
    corrected = review.correct_population(submitted, reviewer(), 5000, "Recensement de 2020.")
    assert corrected.flat_amount == Decimal("10000")
    assert corrected.maximum_amount == Decimal("8000")  # the project costs 8 000 € HT


def test_a_population_correction_needs_a_justification(submitted):
    with pytest.raises(ReviewRefused) as exc:
        review.correct_population(submitted, reviewer(), 5000, "  ")
    assert exc.value.field == "justification"
    submitted.refresh_from_db()
    assert submitted.population_used == 4777


# ---------------------------------------------------------------- assignment


def test_submission_routes_the_dossier_to_its_arrondissement(submitted):
    (routed,) = Assignment.objects.filter(dossier=submitted)
    assert routed.arrondissement_code == BILLOM_ARRONDISSEMENT
    assert routed.reviewer is None and routed.ended_at is None


def test_a_reviewer_takes_a_dossier_for_themselves_only(submitted):
    instructor = reviewer(arrondissements=(BILLOM_ARRONDISSEMENT,))
    colleague = reviewer(arrondissements=(BILLOM_ARRONDISSEMENT,))
    with pytest.raises(ReviewRefused, match="Seul un gestionnaire"):
        review.assign(submitted, instructor, reviewer=colleague)
    with pytest.raises(ReviewRefused, match="Seul un gestionnaire"):
        review.assign(submitted, instructor, reviewer=instructor, arrondissement_code="631")
    review.assign(submitted, instructor, reviewer=instructor)
    submitted.refresh_from_db()
    assert submitted.assignee == instructor


def test_a_manager_assigns_a_covering_reviewer_and_history_keeps_every_assignment(submitted):
    manager = reviewer(role="manager", arrondissements=("631",))
    issoire = reviewer(arrondissements=("633",))
    clermont = reviewer(arrondissements=(BILLOM_ARRONDISSEMENT,))
    with pytest.raises(ReviewRefused) as exc:
        review.assign(submitted, manager, reviewer=issoire, reason="Charge de travail")
    assert exc.value.field == "reviewer"
    review.assign(submitted, manager, reviewer=clermont, reason="Charge de travail")
    review.assign(
        submitted, manager, reviewer=issoire, arrondissement_code="633", reason="Projet à Issoire"
    )
    submitted.refresh_from_db()
    assert submitted.assignee == issoire and submitted.arrondissement_code == "633"
    rows = list(Assignment.objects.filter(dossier=submitted))
    assert [(a.arrondissement_code, a.reviewer) for a in rows] == [
        (BILLOM_ARRONDISSEMENT, None),
        (BILLOM_ARRONDISSEMENT, clermont),
        ("633", issoire),
    ]
    assert [a.ended_at is None for a in rows] == [False, False, True]
    last = Event.objects.filter(dossier=submitted, kind="assignment").last()
    assert last.message == "Projet à Issoire"
    assert last.changes["Arrondissement"] == [BILLOM_ARRONDISSEMENT, "633"]
    assert last.changes["Instructeur"] == [str(clermont), str(issoire)]


def test_an_auditor_assigns_nothing(submitted):
    with pytest.raises(ReviewRefused, match="Votre rôle"):
        review.assign(submitted, reviewer(role="auditor"), reviewer=None)


# ---------------------------------------------------------------- notes


def test_a_private_note_needs_text_and_stays_out_of_the_history(submitted):
    instructor = reviewer()
    with pytest.raises(ReviewRefused) as exc:
        review.add_note(submitted, instructor, " ")
    assert exc.value.field == "body"
    note = review.add_note(submitted, instructor, " Appeler le maire lundi. ")
    assert note.body == "Appeler le maire lundi."
    assert not submitted.events.filter(message__contains="Appeler").exists()
    with pytest.raises(ReviewRefused, match="Votre rôle"):
        review.add_note(submitted, reviewer(role="committee"), "Vu.")
