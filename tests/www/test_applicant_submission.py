"""The summary page and the submission: what is missing, the deadline, one number per dossier."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.clock import PARIS
from guichet.dossiers import services
from guichet.dossiers.models import Event
from guichet.dossiers.workflow import Actor, State
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft

pytestmark = pytest.mark.django_db

LATE = dt.datetime(2021, 7, 1, 0, 0, tzinfo=PARIS)


@pytest.fixture
def owner():
    return agent()


@pytest.fixture
def ready(owner):
    with clock.frozen(IN_WINDOW):
        return complete(draft(owner), owner)


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def summary_url(dossier):
    return reverse("applicant:step", args=[dossier.uuid, "recapitulatif"])


def error_at(html: str, name: str) -> str:
    match = re.search(rf'<div[^>]*id="{re.escape(name)}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def submit(client, dossier, moment=IN_WINDOW, capture=None, sworn=True):
    data = {"sworn_statement": "on"} if sworn else {}
    with clock.frozen(moment):
        if capture is None:
            return client.post(summary_url(dossier), data)
        with capture(execute=True):
            return client.post(summary_url(dossier), data)


def test_the_summary_lists_what_is_missing_with_links_to_the_steps(signed_in, owner):
    dossier = draft(owner)
    with clock.frozen(IN_WINDOW):
        html = htmllib.unescape(signed_in.get(summary_url(dossier)).content.decode())
    assert "points à compléter" in html
    for step in ("porteur", "projet", "budget", "calendrier", "pieces"):
        assert f'href="{reverse("applicant:step", args=[dossier.uuid, step])}"' in html
    assert "Donnez un intitulé au projet." in html
    assert "Ajoutez au moins une ligne de dépense." in html
    assert "Joignez la pièce « Devis signé »" in html or "Joignez la pièce" in html
    assert "Indiquez la date d’engagement, prévue ou réelle." in html


def test_a_complete_dossier_in_the_window_can_be_submitted_from_the_summary(signed_in, ready):
    with clock.frozen(IN_WINDOW):
        html = htmllib.unescape(signed_in.get(summary_url(ready)).content.decode())
    assert "La date limite de dépôt est dépassée" not in html
    assert 'id="submit-form"' in html
    assert "Déposer le dossier" in html
    assert "à compléter" not in html


def test_submitting_with_missing_items_lists_them_and_keeps_the_draft(signed_in, owner):
    dossier = draft(owner)
    response = submit(signed_in, dossier)
    assert response.status_code == 422
    html = htmllib.unescape(response.content.decode())
    assert "Donnez un intitulé au projet." in html
    assert f'href="{reverse("applicant:step", args=[dossier.uuid, "projet"])}"' in html
    dossier.refresh_from_db()
    assert dossier.state == State.DRAFT and dossier.number is None
    assert dossier.sworn_statement is True  # the ticked box is kept


def test_the_late_submission_is_refused_with_the_deadline(
    signed_in, ready, django_capture_on_commit_callbacks
):
    response = submit(signed_in, ready, LATE, django_capture_on_commit_callbacks)
    assert response.status_code == 422
    html = htmllib.unescape(response.content.decode())
    assert "La date limite de dépôt est dépassée" in html
    assert "30 juin 2021" in html
    ready.refresh_from_db()
    assert ready.state == State.DRAFT and ready.number is None and ready.submitted_at is None
    assert mail.outbox == []


def test_the_summary_after_the_deadline_says_so_without_a_submit_button(signed_in, ready):
    with clock.frozen(LATE):
        html = htmllib.unescape(signed_in.get(summary_url(ready)).content.decode())
    assert "La date limite de dépôt est dépassée" in html and "30 juin 2021" in html
    assert 'id="submit-form"' not in html


def test_the_last_minute_is_still_in_time(signed_in, ready, django_capture_on_commit_callbacks):
    last_minute = dt.datetime(2021, 6, 30, 23, 59, 30, tzinfo=PARIS)
    response = submit(signed_in, ready, last_minute, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.state == State.SUBMITTED


def test_a_valid_submission_goes_to_the_dossier_page_with_its_number(
    signed_in, ready, django_capture_on_commit_callbacks
):
    response = submit(signed_in, ready, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("applicant:dossier", args=[ready.uuid])
    ready.refresh_from_db()
    assert ready.state == State.SUBMITTED and ready.number == "63-2021-0001"
    html = htmllib.unescape(signed_in.get(response["Location"]).content.decode())
    assert "Votre dossier est déposé sous le numéro 63-2021-0001." in html
    assert "Accusé de réception (PDF)" in html
    assert len(mail.outbox) == 1
    assert "63-2021-0001" in mail.outbox[0].subject


def test_posting_the_submit_form_twice_gives_one_number_and_one_receipt(
    signed_in, ready, django_capture_on_commit_callbacks
):
    first = submit(signed_in, ready, capture=django_capture_on_commit_callbacks)
    second = submit(
        signed_in, ready, IN_WINDOW + dt.timedelta(seconds=2), django_capture_on_commit_callbacks
    )
    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("applicant:dossier", args=[ready.uuid])
    ready.refresh_from_db()
    assert ready.number == "63-2021-0001"
    assert ready.submitted_at == IN_WINDOW
    assert len(mail.outbox) == 1
    assert Event.objects.filter(dossier=ready, action="submit").count() == 1
    assert ready.attachments.filter(kind="receipt").count() == 1


def test_the_sworn_statement_unchecked_is_said_at_its_field(signed_in, ready):
    response = submit(signed_in, ready, sworn=False)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Cochez la déclaration sur l’honneur." in error_at(html, "sworn_statement")
    ready.refresh_from_db()
    assert ready.state == State.DRAFT and ready.sworn_statement is False
    assert mail.outbox == []


def test_a_requested_amount_above_the_maximum_blocks_the_submission(signed_in, ready, owner):
    from decimal import Decimal

    services.update(ready, owner, Actor.APPLICANT, {"requested_amount": Decimal("6000")})
    response = submit(signed_in, ready)
    assert response.status_code == 422
    html = htmllib.unescape(response.content.decode())
    assert "Le montant demandé dépasse le maximum permis par l’appel" in html
    assert f'href="{reverse("applicant:step", args=[ready.uuid, "budget"])}"' in html


def test_after_submission_the_steps_stay_editable_and_the_summary_keeps_the_number(
    signed_in, ready, django_capture_on_commit_callbacks
):
    submit(signed_in, ready, capture=django_capture_on_commit_callbacks)
    with clock.frozen(IN_WINDOW + dt.timedelta(days=1)):
        html = htmllib.unescape(signed_in.get(summary_url(ready)).content.decode())
    assert "63-2021-0001" in html
    assert "La date limite de dépôt est dépassée" not in html


def test_creating_a_dossier_from_an_open_call(signed_in):
    with clock.frozen(IN_WINDOW):
        response = signed_in.post(reverse("applicant:create", args=["fitn7-axe3-puy-de-dome-2021"]))
    assert response.status_code == 302
    assert response["Location"].endswith("/etapes/porteur/")


def test_creating_a_dossier_after_the_deadline_is_refused(signed_in, owner):
    with clock.frozen(LATE + dt.timedelta(days=1)):
        response = signed_in.post(reverse("applicant:create", args=["fitn7-axe3-puy-de-dome-2021"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("applicant:dossiers")
    assert not services.visible_dossiers(owner).exists()


def test_creating_a_dossier_for_an_unknown_call_is_a_404(signed_in):
    assert signed_in.post(reverse("applicant:create", args=["appel-inconnu"])).status_code == 404
    assert (
        signed_in.get(reverse("applicant:create", args=["fitn7-axe3-puy-de-dome-2021"])).status_code
        == 405
    )


def test_a_submitted_dossier_cannot_lose_its_sworn_statement(
    signed_in, ready, django_capture_on_commit_callbacks
):
    first = submit(signed_in, ready, capture=django_capture_on_commit_callbacks)
    signed_in.get(first["Location"])  # reads the success message
    events = ready.events.count()
    response = submit(signed_in, ready, IN_WINDOW + dt.timedelta(minutes=5), sworn=False)
    assert response.status_code == 422
    assert "Cochez la déclaration sur l’honneur." in error_at(
        response.content.decode(), "sworn_statement"
    )
    assert "déposé sous le numéro" not in htmllib.unescape(response.content.decode())
    ready.refresh_from_db()
    assert ready.sworn_statement is True and ready.state == State.SUBMITTED
    assert ready.events.count() == events
