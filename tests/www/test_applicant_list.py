"""« Mes dossiers » as a secretary reads it: the call to start from, the drafts with their
deadline, the submitted dossiers."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.urls import reverse

from guichet.calls.models import Call
from tests.dossiers.factories import agent, draft

pytestmark = pytest.mark.django_db

DEMO = "demo-fitn7-axe3-puy-de-dome"


@pytest.fixture
def page(client):
    owner = agent()
    client.force_login(owner)
    d = draft(owner, call_slug=DEMO)
    html = htmllib.unescape(client.get(reverse("applicant:dossiers")).content.decode())
    return d, html


def test_the_call_card_reads_title_deadline_then_the_button(page):
    _, html = page
    call = Call.objects.get(slug=DEMO)
    card = re.search(r'<div class="fr-card[^"]*">(.*?)</form>', html, re.S).group(1)
    assert (
        card.index(call.title) < card.index("Dépôt jusqu’au") < card.index("Commencer un dossier")
    )
    assert '<div class="fr-card__footer">' in card  # the DSFR's place for a card's action


def test_a_draft_says_its_call_and_its_deadline_and_tables_repeat_no_heading(page):
    d, html = page
    row = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    assert f'href="{reverse("applicant:step", args=[d.uuid, "porteur"])}"' in row
    assert d.call.title in row
    assert "date limite de dépôt :" in row
    # The captions are for screen readers; sighted readers already have the heading above.
    assert html.count("fr-table--no-caption") == 1 and "Brouillons en cours" not in html
