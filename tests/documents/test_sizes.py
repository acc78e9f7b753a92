"""Sizes shown to people are in French units: octets, Ko, Mo (Django's filesizeformat says Kio)."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from guichet.documents.uploads import format_size

KB = 1024
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 octet"),
        (1, "1 octet"),
        (2, "2 octets"),
        (1023, "1023 octets"),
        (1024, "1 Ko"),
        (1025, "2 Ko"),
        (12 * KB, "12 Ko"),
        (1023 * KB, "1023 Ko"),
        (1023 * KB + 1, "1 Mo"),
        (MB, "1 Mo"),
        (MB + 1, "1,1 Mo"),
        (int(2.4 * MB), "2,4 Mo"),
        (10 * MB, "10 Mo"),
        (10 * MB + 1, "10,1 Mo"),
        (100 * MB, "100 Mo"),
        (100 * MB + 1, "101 Mo"),
    ],
)
def test_sizes_in_french_units_at_every_boundary(size, text):
    assert format_size(size) == text


def test_the_template_filter_never_says_kio():
    template = Template("{% load documents %}{{ size|taille }}|{{ none|taille }}")
    assert template.render(Context({"size": 10 * MB, "none": None})) == "10 Mo|"
    assert "Kio" not in Template("{% load documents %}{{ s|taille }}").render(Context({"s": 5000}))


@pytest.mark.django_db
def test_the_pieces_step_shows_a_piece_s_size_in_ko(client):
    from django.urls import reverse

    from guichet import clock
    from tests.dossiers.factories import IN_WINDOW, agent, draft

    from .samples import pdf_bytes, upload

    owner = agent()
    dossier = draft(owner)
    client.force_login(owner)
    url = reverse("applicant:step", args=[dossier.uuid, "pieces"])
    with clock.frozen(IN_WINDOW):
        client.post(url, {"kind": "quote", "file": upload("devis.pdf", pdf_bytes(padding=12 * KB))})
        html = client.get(url).content.decode()
    assert 12 * KB < dossier.attachments.get().size <= 13 * KB
    assert "(13 Ko)" in html
    assert "Kio" not in html
