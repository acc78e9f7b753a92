"""The reviewers' first pages: only staff agents reach them; corrections and messages go out."""

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.workflow import State
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft, pdf_upload, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(django_capture_on_commit_callbacks):
    owner = agent()
    with clock.frozen(IN_WINDOW), django_capture_on_commit_callbacks(execute=True):
        dossier = services.submit(complete(draft(owner), owner), owner)
    mail.outbox.clear()
    return dossier


def urls(dossier):
    piece = dossier.attachments.first()
    return [
        ("get", reverse("backoffice:dossiers")),
        ("get", reverse("backoffice:dossier", args=[dossier.uuid])),
        ("post", reverse("backoffice:start-review", args=[dossier.uuid])),
        ("post", reverse("backoffice:request-correction", args=[dossier.uuid])),
        ("post", reverse("backoffice:message-post", args=[dossier.uuid])),
        ("get", reverse("backoffice:attachment", args=[dossier.uuid, piece.pk])),
    ]


def test_applicants_and_strangers_get_404_everywhere(client, submitted):
    owner = submitted.memberships.get().user
    for user in (owner, agent("commune", "63113", "Clermont-Ferrand")):
        client.force_login(user)
        for method, url in urls(submitted):
            assert getattr(client, method)(url).status_code == 404, url
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED


def test_anonymous_visitors_are_sent_to_sign_in(client, submitted):
    response = client.get(reverse("backoffice:dossier", args=[submitted.uuid]))
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]


def test_a_draft_is_invisible_to_reviewers(client):
    client.force_login(reviewer())
    assert client.get(reverse("backoffice:dossier", args=[draft().uuid])).status_code == 404


def test_a_reviewer_sees_the_dossier_with_its_verdict_and_pieces(client, submitted):
    client.force_login(reviewer())
    page = client.get(reverse("backoffice:dossier", args=[submitted.uuid])).content.decode()
    assert submitted.number in page
    assert "montant maximal 5\u00a0000\u00a0€" in page
    assert "devis-signe.pdf" in page
    response = client.get(
        reverse("backoffice:attachment", args=[submitted.uuid, submitted.attachments.first().pk])
    )
    assert response.status_code == 200


def test_a_correction_request_needs_a_message_then_reaches_the_team(
    client, submitted, django_capture_on_commit_callbacks
):
    client.force_login(reviewer())
    url = reverse("backoffice:request-correction", args=[submitted.uuid])
    response = client.post(url, {"message": "  "})
    assert response.status_code == 422
    assert "Expliquez au porteur ce qu’il doit corriger." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"message": "Le devis n’est pas signé."})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == State.CORRECTION_REQUESTED
    (message,) = mail.outbox
    assert message.subject.endswith(
        f"Dossier {submitted.number} : des corrections vous sont demandées"
    )
    assert "Le devis n’est pas signé." in message.body


def test_starting_the_review_freezes_the_dossier(client, submitted):
    client.force_login(reviewer())
    client.post(reverse("backoffice:start-review", args=[submitted.uuid]))
    submitted.refresh_from_db()
    assert submitted.state == State.IN_REVIEW and submitted.review_started_at is not None
    again = client.post(reverse("backoffice:start-review", args=[submitted.uuid]), follow=True)
    assert "impossible" in again.content.decode()


def test_a_reviewer_message_with_a_file_reaches_the_team(
    client, submitted, django_capture_on_commit_callbacks
):
    client.force_login(reviewer())
    url = reverse("backoffice:message-post", args=[submitted.uuid])
    bad = client.post(url, {"body": "Voici le modèle", "file": pdf_upload("modele.docx")})
    assert bad.status_code == 422 and "modele.docx" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(url, {"body": "Voici le modèle", "file": pdf_upload("modele.pdf")})
    assert ok.status_code == 302
    message = submitted.messages.get()
    assert message.attachments.get().original_name == "modele.pdf"
    assert len(mail.outbox) == 1 and "Voici le modèle" in mail.outbox[0].body


def test_a_draft_withdrawn_before_submission_stays_invisible_to_reviewers(client):
    owner = agent()
    withdrawn = services.withdraw(draft(owner), owner)
    client.force_login(reviewer())
    assert client.get(reverse("backoffice:dossier", args=[withdrawn.uuid])).status_code == 404
    from guichet.review.permissions import visible_dossiers

    assert not visible_dossiers(reviewer(), withdrawn.call).filter(pk=withdrawn.pk).exists()


def test_the_team_never_sees_the_prefectures_internal_work(client, submitted):
    from decimal import Decimal

    from guichet.review import services as review

    instructor = reviewer()
    services.start_review(submitted, instructor)
    review.assign(submitted, instructor, reviewer=instructor)
    review.add_note(submitted, instructor, "Projet solide, à prioriser.")
    review.correct_population(submitted, instructor, 4800, "Recensement complémentaire 2023.")
    review.propose(
        submitted, instructor, kind="reserved", amount=Decimal("4000"),
        justification="Coût du logiciel surévalué de moitié.", without_scores=True,
    )  # fmt: skip
    client.force_login(submitted.memberships.get().user)
    page = client.get(reverse("applicant:dossier", args=[submitted.uuid])).content.decode()
    assert "Proposé au comité" in page
    for secret in (
        "surévalué",
        "4\u00a0000",
        "Projet solide",
        "Affectation",
        "Population corrigée",
        "Recensement",
    ):
        assert secret not in page, secret


def test_the_population_is_no_longer_corrected_once_proposed(submitted):
    from decimal import Decimal

    from guichet.review import services as review

    instructor = reviewer()
    services.start_review(submitted, instructor)
    review.propose(
        submitted, instructor, kind="favourable", amount=Decimal("5000"), justification="",
        without_scores=True,
    )  # fmt: skip
    with pytest.raises(review.ReviewRefused, match="ne se corrige plus"):
        review.correct_population(submitted, instructor, 6000, "Nouveau recensement.")
