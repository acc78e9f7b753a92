"""The public results page of a call, without a browser: content, the map, the empty call, a
département without contours, an unknown call."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from guichet.grants import results
from tests.grants.factories import granted

pytestmark = pytest.mark.django_db

PDD = "fitn7-axe3-puy-de-dome-2021"
HAUT_RHIN = "fitn7-axe3-haut-rhin-2021"


def page(client, slug=PDD):
    response = client.get(reverse("public:results", args=[slug]))
    assert response.status_code == 200
    return response.content.decode()


def text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ").split())


def test_the_page_lists_the_project_its_totals_the_envelope_and_the_download_links(client):
    grant, _, _ = granted(amount=Decimal("4000"))
    Dossier = type(grant.dossier)
    Dossier.objects.filter(pk=grant.dossier_id).update(title="Portail citoyen")
    html = page(client)
    body = text(html)
    assert "1 projet retenu, pour un total de 4 000 €." in body
    assert "Billom" in body and "Portail citoyen" in body
    assert "Clermont-Ferrand (632)" in body  # Billom's arrondissement
    assert "3. Projets ayant un impact concret dans la relation à" in body
    assert "4 000 € engagés sur 148 500 € (2,7 %), 144 500 € restent à engager" in body
    assert 'href="/appels/fitn7-axe3-puy-de-dome-2021/donnees/subventions.csv"' in html
    assert 'href="/appels/fitn7-axe3-puy-de-dome-2021/donnees/subventions.json"' in html
    assert "SCDL Subventions 2.1.1" in body


def test_the_map_is_inline_svg_with_an_accessible_name_and_a_title_per_beneficiary(client):
    granted()
    html = page(client)
    svg = re.search(r'<svg viewBox="0 0 \d+ \d+" role="img" aria-labelledby="map-title map-desc" id="results-map".*?</svg>', html, re.S)  # fmt: skip
    assert svg is not None
    mark = re.search(r'<path d="M[^"]+"[^>]*data-code="63040"><title>([^<]+)</title>', svg[0])
    assert mark is not None and text(mark[1]) == "Billom : 5 000 €, 1 projet retenu"
    assert "style=" not in html and "<style" not in html  # the Content-Security-Policy
    assert 'id="beneficiaries"' in html and "Légende de la carte" in html


def test_a_call_without_grants_says_so_in_french_and_draws_no_map(client):
    html = page(client, HAUT_RHIN)
    assert "Aucun projet n’a encore été retenu pour cet appel." in text(html)
    assert 'id="results-map"' not in html and 'id="projects"' not in html
    assert 'id="envelopes"' in html  # the envelopes, all to commit


def test_a_departement_without_contours_keeps_its_tables_and_says_the_map_is_unavailable(
    client, monkeypatch
):
    monkeypatch.setattr(results.contours, "load", lambda vintage, departement: None)
    granted()
    html = page(client)
    assert "La carte n’est pas disponible pour ce département" in text(html)
    assert 'id="results-map"' not in html and "Billom" in html


def test_an_unknown_call_is_a_404(client):
    assert client.get(reverse("public:results", args=["nulle-part"])).status_code == 404


def test_the_call_page_links_to_its_results(client):
    html = client.get(reverse("public:call", args=[PDD])).content.decode()
    assert f'href="{reverse("public:results", args=[PDD])}" id="results-link"' in html
