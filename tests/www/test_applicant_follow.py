"""After submission: messages with an attachment, invitations, withdrawal with its confirmation."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.models import Invitation, Message
from guichet.dossiers.workflow import State
from tests.dossiers.factories import (
    IN_WINDOW,
    agent,
    complete,
    draft,
    pdf_bytes,
    pdf_upload,
    reviewer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return agent()


@pytest.fixture
def submitted(owner, django_capture_on_commit_callbacks):
    with clock.frozen(IN_WINDOW), django_capture_on_commit_callbacks(execute=True):
        dossier = services.submit(complete(draft(owner), owner), owner)
    mail.outbox.clear()
    return dossier


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def error_at(html: str, name: str) -> str:
    match = re.search(rf'<div[^>]*id="{re.escape(name)}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def post(client, name, dossier, data, capture=None):
    url = reverse(f"applicant:{name}", args=[dossier.uuid])
    with clock.frozen(IN_WINDOW):
        if capture is None:
            return client.post(url, data)
        with capture(execute=True):
            return client.post(url, data)


# ---------------------------------------------------------------- messages


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_message_is_refused_at_its_field(signed_in, submitted, body):
    response = post(signed_in, "message-post", submitted, {"body": body})
    assert response.status_code == 422
    assert "Écrivez un message." in error_at(response.content.decode(), "body")
    assert submitted.messages.count() == 0


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (
            lambda: SimpleUploadedFile("outil.exe", b"MZ\x90\x00" + b"\x00" * 64),
            "n’est pas accepté",
        ),
        (lambda: SimpleUploadedFile("vide.pdf", b""), "est vide"),
        (
            lambda: SimpleUploadedFile("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
            "ne correspond pas à son extension",
        ),
    ],
    ids=["exe", "empty", "renamed"],
)
def test_a_message_with_a_bad_attachment_is_refused_and_its_text_kept(
    signed_in, submitted, file, message
):
    body = "Voici le devis corrigé <signé>."
    response = post(signed_in, "message-post", submitted, {"body": body, "file": file()})
    assert response.status_code == 422
    html = response.content.decode()
    assert message in error_at(html, "file")
    assert "Voici le devis corrigé &lt;signé&gt;." in html
    assert submitted.messages.count() == 0
    assert mail.outbox == []


def test_a_message_goes_to_the_reviewers_who_acted(
    signed_in, submitted, owner, django_capture_on_commit_callbacks
):
    instructor = reviewer()
    bystander = reviewer()
    with clock.frozen(IN_WINDOW), django_capture_on_commit_callbacks(execute=True):
        services.start_review(submitted, instructor)
    mail.outbox.clear()
    response = post(
        signed_in, "message-post", submitted,
        {"body": "Le devis signé est joint.", "file": pdf_upload("devis-v2.pdf")},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"].endswith("#messages")
    (message,) = Message.objects.filter(dossier=submitted)
    assert message.from_applicant and message.body == "Le devis signé est joint."
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [instructor.email]
    assert bystander.email not in mail.outbox[0].to and owner.email not in mail.outbox[0].to
    attachment = message.attachments.get()
    download = signed_in.get(
        reverse("applicant:message-attachment", args=[submitted.uuid, attachment.pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes()
    assert "devis-v2.pdf" in download["Content-Disposition"]
    page = signed_in.get(reverse("applicant:dossier", args=[submitted.uuid])).content.decode()
    assert "Le devis signé est joint." in page and "devis-v2.pdf" in page


def test_a_message_attachment_is_a_404_for_a_stranger(client, submitted, owner):
    with clock.frozen(IN_WINDOW):
        message = services.post_message(submitted, owner, "Pièce", [pdf_upload()])
    attachment = message.attachments.get()
    client.force_login(agent(code="63113", name="Clermont-Ferrand"))
    url = reverse("applicant:message-attachment", args=[submitted.uuid, attachment.pk])
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- invitations


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Indiquez l’adresse électronique de votre collègue."),
        ("collegue@", "Saisissez une adresse électronique valide"),
        ("pas une adresse", "Saisissez une adresse électronique valide"),
    ],
)
def test_a_bad_invitation_address_is_refused_at_its_field(signed_in, submitted, email, message):
    response = post(signed_in, "invite", submitted, {"email": email})
    assert response.status_code == 422
    assert message in error_at(response.content.decode(), "email")
    assert Invitation.objects.filter(dossier=submitted).count() == 0


def test_inviting_a_member_is_refused_at_the_field(signed_in, submitted, owner):
    response = post(signed_in, "invite", submitted, {"email": owner.email.upper()})
    assert response.status_code == 422
    assert "fait déjà partie de l’équipe du dossier" in error_at(response.content.decode(), "email")
    assert Invitation.objects.filter(dossier=submitted).count() == 0


def test_an_invitation_is_sent_and_accepted(
    client, signed_in, submitted, django_capture_on_commit_callbacks
):
    response = post(
        signed_in,
        "invite",
        submitted,
        {"email": "Collegue@Mairie.example.fr"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(dossier=submitted)
    assert invitation.email == "collegue@mairie.example.fr"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["collegue@mairie.example.fr"]
    colleague = agent(email="collegue@mairie.example.fr")
    client.force_login(colleague)
    url = reverse("applicant:invitation", args=[invitation.token])
    assert client.get(url).status_code == 200
    with clock.frozen(IN_WINDOW):
        response = client.post(url)
    assert response.status_code == 302
    assert client.get(reverse("applicant:dossier", args=[submitted.uuid])).status_code == 200


def test_an_invitation_for_another_address_is_refused(client, signed_in, submitted):
    with clock.frozen(IN_WINDOW):
        invitation = services.invite(
            submitted, submitted.memberships.get().user, "collegue@mairie.example.fr"
        )
    client.force_login(agent(code="63113", name="Clermont-Ferrand"))
    with clock.frozen(IN_WINDOW):
        response = client.post(reverse("applicant:invitation", args=[invitation.token]))
    assert response.status_code == 422
    assert "une autre adresse électronique" in htmllib.unescape(response.content.decode())
    assert client.get(reverse("applicant:dossier", args=[submitted.uuid])).status_code == 404


@pytest.mark.parametrize("token", ["pas-un-jeton", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_invitation_is_a_404(signed_in, token):
    assert signed_in.post(reverse("applicant:invitation", args=[token])).status_code == 404


# ---------------------------------------------------------------- withdrawal


def test_withdrawing_without_the_confirmation_is_refused_at_the_box(signed_in, submitted):
    response = post(
        signed_in, "withdraw", submitted, {"reason": "Projet abandonné par le conseil."}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Cochez la case pour confirmer le retrait." in error_at(html, "confirm")
    assert "Projet abandonné par le conseil." in html
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED


def test_withdrawing_with_the_confirmation(
    signed_in, submitted, django_capture_on_commit_callbacks
):
    response = post(
        signed_in,
        "withdraw",
        submitted,
        {"reason": "Projet abandonné.", "confirm": "on"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == State.WITHDRAWN and submitted.withdrawn_at == IN_WINDOW
    page = htmllib.unescape(
        signed_in.get(reverse("applicant:dossier", args=[submitted.uuid])).content.decode()
    )
    assert "Le dossier est retiré." in page
    assert reverse("applicant:withdraw", args=[submitted.uuid]) not in page
    # a second click: a message, not an error page, and the dossier stays withdrawn
    again = post(signed_in, "withdraw", submitted, {"confirm": "on"})
    assert again.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == State.WITHDRAWN
    # a withdrawn dossier's steps lead back to its page
    with clock.frozen(IN_WINDOW):
        step = signed_in.post(
            reverse("applicant:step", args=[submitted.uuid, "porteur"]), {"contact_name": "X"}
        )
    assert step.status_code == 302
    submitted.refresh_from_db()
    assert submitted.contact_name == "Claire Martin"


def test_the_dossier_page_of_a_draft_renders(signed_in, owner):
    dossier = draft(owner)
    response = signed_in.get(reverse("applicant:dossier", args=[dossier.uuid]))
    assert response.status_code == 200
    assert "Continuer le dossier" in htmllib.unescape(response.content.decode())


def test_a_message_on_a_draft_is_refused_with_a_message(signed_in, owner):
    """The page of a draft has no message form: the refusal must not be an invisible field error."""
    dossier = draft(owner)
    response = post(signed_in, "message-post", dossier, {"body": "Bonjour"})
    assert response.status_code == 302
    page = htmllib.unescape(signed_in.get(response["Location"]).content.decode())
    assert "une fois le dossier déposé" in page
    assert dossier.messages.count() == 0


# ---------------------------------------------------------------- the receipt, once it is ready


@pytest.fixture
def receipt_pending(owner):
    """Submitted, its receipt task not run yet (its on-commit callbacks are dropped)."""
    with clock.frozen(IN_WINDOW):
        return services.submit(complete(draft(owner), owner), owner)


def test_while_the_receipt_is_prepared_the_page_says_so_and_polls_for_it(
    signed_in, receipt_pending
):
    assert not receipt_pending.attachments.filter(kind="receipt").exists()
    fragment_url = reverse("applicant:receipt", args=[receipt_pending.uuid])
    for url in (reverse("applicant:dossier", args=[receipt_pending.uuid]), fragment_url):
        html = htmllib.unescape(signed_in.get(url).content.decode())
        assert "L’accusé de réception est en préparation" in html
        assert f'hx-get="{fragment_url}"' in html and 'hx-trigger="every 3s"' in html
        # Without JavaScript, a link reloads the page.
        assert (
            f'href="{reverse("applicant:dossier", args=[receipt_pending.uuid])}">Recharger' in html
        )
        assert "Accusé de réception (PDF)" not in html


def test_once_the_receipt_exists_the_fragment_links_it_and_stops_polling(signed_in, submitted):
    receipt = submitted.attachments.get(kind="receipt")
    response = signed_in.get(reverse("applicant:receipt", args=[submitted.uuid]))
    html = htmllib.unescape(response.content.decode())
    assert response.status_code == 200
    link = reverse("applicant:attachment", args=[submitted.uuid, receipt.pk])
    assert f'href="{link}">Accusé de réception (PDF)' in html
    assert "hx-trigger" not in html and "en préparation" not in html


def test_the_receipt_fragment_is_a_404_outside_the_team(client, submitted):
    client.force_login(agent(email="autre@mairie.example.fr"))
    assert client.get(reverse("applicant:receipt", args=[submitted.uuid])).status_code == 404


def test_a_draft_page_has_no_receipt_to_wait_for(signed_in, owner):
    dossier = draft(owner)
    html = htmllib.unescape(
        signed_in.get(reverse("applicant:dossier", args=[dossier.uuid])).content.decode()
    )
    assert "accusé de réception" not in html.lower()
