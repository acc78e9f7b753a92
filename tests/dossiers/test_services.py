"""The dossier's life through its services: submission, its checks, corrections, messages, team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from guichet import clock
from guichet.clock import PARIS
from guichet.dossiers import services
from guichet.dossiers.models import Event, EventKind, PieceKind
from guichet.dossiers.workflow import Actor, State, TransitionRefused

from .factories import IN_WINDOW, agent, complete, draft, reviewer, siret_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return agent()


@pytest.fixture
def ready(owner):
    with clock.frozen(IN_WINDOW):
        return complete(draft(owner), owner)


def submit_at(dossier, user, moment, capture):
    with clock.frozen(moment), capture(execute=True):
        return services.submit(dossier, user)


def test_a_draft_belongs_to_its_creator_and_records_its_creation(owner):
    dossier = draft(owner)
    assert dossier.state == State.DRAFT
    assert dossier.applicant_name == "Billom"
    assert dossier.population_used is not None and dossier.population_used < 5000
    assert list(dossier.memberships.values_list("user", flat=True)) == [owner.pk]
    assert [e.kind for e in dossier.events.all()] == [EventKind.CREATED]


def test_submission_numbers_attaches_session_and_sends_a_receipt_with_its_pdf(
    ready, owner, django_capture_on_commit_callbacks
):
    submitted = submit_at(ready, owner, IN_WINDOW, django_capture_on_commit_callbacks)
    assert submitted.state == State.SUBMITTED
    assert submitted.number == "63-2021-0001"
    assert submitted.session.date == dt.date(2021, 6, 7)
    assert submitted.maximum_amount == Decimal("5000.00")
    assert submitted.arrondissement_code == "632"  # Billom: arrondissement de Clermont-Ferrand
    receipt = submitted.attachments.get(kind=PieceKind.RECEIPT)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.endswith("Accusé de réception du dossier 63-2021-0001")
    assert owner.email in message.to
    ((name, _content, mimetype),) = message.attachments
    assert (name, mimetype) == ("accuse-de-reception-63-2021-0001.pdf", "application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(receipt.file.open("rb")).pages)
    assert "63-2021-0001" in text
    assert "devis-signe.pdf" in text and "rib.png" in text
    assert "7 juin 2021" in text


def test_a_second_submission_changes_nothing_and_sends_nothing(
    ready, owner, django_capture_on_commit_callbacks
):
    first = submit_at(ready, owner, IN_WINDOW, django_capture_on_commit_callbacks)
    again = submit_at(
        ready, owner, IN_WINDOW + dt.timedelta(seconds=1), django_capture_on_commit_callbacks
    )
    assert again.number == first.number and again.submitted_at == first.submitted_at
    assert len(mail.outbox) == 1
    assert Event.objects.filter(dossier=ready, action="submit").count() == 1


def test_numbers_follow_each_other_within_a_call(owner, django_capture_on_commit_callbacks):
    numbers = []
    for _ in range(3):
        with clock.frozen(IN_WINDOW):
            d = complete(draft(owner), owner)
        numbers.append(submit_at(d, owner, IN_WINDOW, django_capture_on_commit_callbacks).number)
    assert numbers == ["63-2021-0001", "63-2021-0002", "63-2021-0003"]


@pytest.mark.parametrize(
    ("local", "session"),
    [
        (dt.datetime(2021, 6, 7, 23, 59, 59), dt.date(2021, 6, 7)),
        (dt.datetime(2021, 6, 8, 0, 0, 0), dt.date(2021, 7, 7)),
        (dt.datetime(2021, 6, 30, 23, 59, 59), dt.date(2021, 7, 7)),
    ],
)
def test_the_session_follows_the_submission_in_paris_time(
    ready, owner, local, session, django_capture_on_commit_callbacks
):
    submitted = submit_at(
        ready, owner, local.replace(tzinfo=PARIS), django_capture_on_commit_callbacks
    )
    assert submitted.session.date == session


def test_a_late_submission_is_refused_and_says_the_deadline(
    ready, owner, django_capture_on_commit_callbacks
):
    late = dt.datetime(2021, 7, 1, 0, 0, 0, tzinfo=PARIS)
    with pytest.raises(services.SubmissionRefused) as refused:
        submit_at(ready, owner, late, django_capture_on_commit_callbacks)
    assert any("30 juin 2021" in p.message for p in refused.value.problems)
    ready.refresh_from_db()
    assert ready.state == State.DRAFT and ready.number is None
    assert mail.outbox == []


def test_an_empty_draft_lists_every_missing_field_at_its_step(owner):
    problems = services.problems(draft(owner), at=IN_WINDOW)
    where = {(p.step, p.field) for p in problems}
    assert ("projet", "title") in where
    assert ("budget", "cost_lines") in where
    assert ("calendrier", "engagement_date") in where
    assert ("pieces", "quote") in where and ("pieces", "bank_details") in where
    assert ("recapitulatif", "sworn_statement") in where


def test_a_request_above_the_maximum_is_refused_at_the_amount(ready, owner):
    services.update(ready, owner, Actor.APPLICANT, {"requested_amount": Decimal("5000.01")})
    problems = services.problems(ready, at=IN_WINDOW)
    assert [p.field for p in problems] == ["requested_amount"]
    assert "5\u00a0000\u00a0€" in problems[0].message


def test_the_siret_is_required_at_submission_on_the_porteur_step(ready, owner):
    services.update(ready, owner, Actor.APPLICANT, {"siret": ""})
    problems = services.problems(ready, at=IN_WINDOW)
    assert [(p.step, p.field) for p in problems] == [("porteur", "siret")]
    assert "SIRET" in problems[0].message
    with clock.frozen(IN_WINDOW), pytest.raises(services.SubmissionRefused):
        services.submit(ready, owner)
    services.update(ready, owner, Actor.APPLICANT, {"siret": siret_for(ready)})
    assert services.problems(ready, at=IN_WINDOW) == []


def test_a_project_under_the_cost_floor_cannot_be_submitted(owner):
    with clock.frozen(IN_WINDOW):
        d = complete(draft(owner), owner, cost="4999.99", requested="4999.99")
    problems = services.problems(d, at=IN_WINDOW)
    assert ("budget", "cost_lines") in {(p.step, p.field) for p in problems}


def test_engagement_after_the_deadline_is_refused_at_its_field(ready, owner):
    services.update(
        ready,
        owner,
        Actor.APPLICANT,
        {"engagement_date": dt.date(2022, 1, 1), "end_date": dt.date(2022, 6, 1)},
    )
    assert ("calendrier", "engagement_date") in {
        (p.step, p.field) for p in services.problems(ready, at=IN_WINDOW)
    }
    services.update(ready, owner, Actor.APPLICANT, {"engagement_date": dt.date(2021, 12, 31)})
    assert services.problems(ready, at=IN_WINDOW) == []


def test_edits_after_submission_are_recorded_and_stop_when_review_starts(
    ready, owner, django_capture_on_commit_callbacks
):
    submitted = submit_at(ready, owner, IN_WINDOW, django_capture_on_commit_callbacks)
    services.update(submitted, owner, Actor.APPLICANT, {"title": "Portail citoyen"})
    edit = submitted.events.get(kind=EventKind.EDITED)
    assert edit.changes == {
        "Intitulé du projet": [
            "Portail citoyen et prise de rendez-vous en ligne",
            "Portail citoyen",
        ]
    }
    agent_of_state = reviewer()
    services.start_review(submitted, agent_of_state)
    submitted.refresh_from_db()
    with pytest.raises(services.NotEditable):
        services.update(submitted, owner, Actor.APPLICANT, {"title": "Autre"})


def test_correction_round_trip_notifies_both_sides(
    ready, owner, django_capture_on_commit_callbacks
):
    submitted = submit_at(ready, owner, IN_WINDOW, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    instructor = reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_correction(submitted, instructor, "Le devis n’est pas signé.")
    submitted.refresh_from_db()
    assert submitted.state == State.CORRECTION_REQUESTED
    (to_team,) = mail.outbox
    assert owner.email in to_team.to and "Le devis n’est pas signé." in to_team.body
    services.update(submitted, owner, Actor.APPLICANT, {"summary": "Résumé corrigé."})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.resubmit(submitted, owner)
    submitted.refresh_from_db()
    assert submitted.state == State.IN_REVIEW
    recipients = sorted(a for m in mail.outbox for a in m.to)
    assert instructor.email in recipients and owner.email in recipients


def test_a_correction_request_needs_a_message(ready, owner, django_capture_on_commit_callbacks):
    submitted = submit_at(ready, owner, IN_WINDOW, django_capture_on_commit_callbacks)
    with pytest.raises(TransitionRefused):
        services.request_correction(submitted, reviewer(), "   ")


def test_applicants_cannot_review_and_reviewers_cannot_submit(
    ready, owner, django_capture_on_commit_callbacks
):
    with pytest.raises(services.DossierNotFound):
        services.submit(ready, reviewer())  # a draft is invisible to reviewers
    submitted = submit_at(ready, owner, IN_WINDOW, django_capture_on_commit_callbacks)
    with pytest.raises(TransitionRefused):
        services.start_review(submitted, owner)


def test_withdrawal_is_final(ready, owner, django_capture_on_commit_callbacks):
    submitted = submit_at(ready, owner, IN_WINDOW, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(submitted, owner, "Projet abandonné")
    submitted.refresh_from_db()
    assert submitted.state == State.WITHDRAWN and submitted.withdrawn_at is not None
    with pytest.raises(TransitionRefused):
        services.withdraw(submitted, owner)
    with pytest.raises(services.NotEditable):
        services.update(submitted, owner, Actor.APPLICANT, {"title": "x"})


def test_a_draft_can_be_withdrawn_without_a_number(owner):
    d = services.withdraw(draft(owner), owner)
    assert d.state == State.WITHDRAWN and d.number is None


def test_other_collectivities_never_see_a_dossier(ready):
    stranger = agent("commune", "63113", "Clermont-Ferrand")
    with pytest.raises(services.DossierNotFound):
        services.get_for(stranger, ready.uuid)
    assert not services.visible_dossiers(stranger).exists()
    with pytest.raises(services.DossierNotFound):
        services.post_message(ready, stranger, "Bonjour")
    with pytest.raises(services.DossierNotFound):
        services.get_for(stranger, "not-a-uuid")


def test_messages_go_to_the_other_side(ready, owner, django_capture_on_commit_callbacks):
    submitted = submit_at(ready, owner, IN_WINDOW, django_capture_on_commit_callbacks)
    instructor = reviewer()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(submitted, instructor, "Pouvez-vous préciser le calendrier ?")
        services.post_message(submitted, owner, "Le devis sera signé en septembre.")
    assert [m.to for m in mail.outbox] == [
        [owner.email, "claire.martin@mairie.example.fr"],
        [instructor.email],
    ]
    with pytest.raises(services.NotEditable):
        services.post_message(submitted, owner, "   ")


def test_an_invited_colleague_joins_the_team(ready, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(ready, owner, "Collegue@Mairie.example.fr")
    (message,) = mail.outbox
    assert str(invitation.token) in message.body
    colleague = agent(email="collegue@mairie.example.fr")
    wrong = agent(email="autre@mairie.example.fr")
    with pytest.raises(services.NotEditable):
        services.accept_invitation(invitation.token, wrong)
    services.accept_invitation(invitation.token, colleague)
    services.accept_invitation(invitation.token, colleague)  # a second click
    assert services.get_for(colleague, ready.uuid)[1] is Actor.APPLICANT
    assert ready.memberships.count() == 2
    with pytest.raises(services.NotEditable):
        services.invite(ready, owner, "collegue@mairie.example.fr")


def test_an_invitation_expires_after_14_days(ready, owner):
    with clock.frozen(IN_WINDOW):
        invitation = services.invite(ready, owner, "tard@mairie.example.fr")
    late = agent(email="tard@mairie.example.fr")
    with (
        clock.frozen(IN_WINDOW + dt.timedelta(days=14, seconds=1)),
        pytest.raises(services.NotEditable),
    ):
        services.accept_invitation(invitation.token, late)
    with clock.frozen(IN_WINDOW + dt.timedelta(days=13)):
        services.accept_invitation(invitation.token, late)
