"""A visitor reads a call's results page (table, map, chart) and downloads the file, in
Chromium with axe-core; then reads the same page with JavaScript disabled."""

import os
import re

from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible
from tests.grants.factories import Followers, granted

SHOTS = os.environ.get("GUICHET_SHOTS", "")
PDD = "fitn7-axe3-puy-de-dome-2021"


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def two_beneficiaries():
    people = Followers()
    granted(people)
    granted(people, code="63008", name="Arconsat")


def test_a_visitor_reads_the_results_and_downloads_the_file(committed_db, page):
    two_beneficiaries()
    page.goto(reverse("public:call", args=[PDD]))
    page.locator("#results-link").click()
    expect(page).to_have_url(re.compile(r"/appels/fitn7-axe3-puy-de-dome-2021/resultats/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Résultats de l’appel")
    expect(page.locator("#results-summary")).to_contain_text("2 projets retenus")
    projects = page.locator("#projects table")
    expect(projects.get_by_role("row")).to_have_count(4)  # the head, two projects, the total
    expect(projects.get_by_role("row", name=re.compile("Arconsat"))).to_contain_text("2021")
    # The map: Billom's shape carries its title, and the table beside it lists the same.
    billom = page.locator('#results-map path[data-code="63040"] title')
    expect(billom).to_have_count(1)
    assert re.fullmatch(r"Billom : 5\s000\s€, 1 projet retenu", billom.text_content())
    expect(page.locator("#results-map")).to_have_attribute("role", "img")
    expect(page.locator("#beneficiaries tbody tr")).to_have_count(2)
    expect(page.locator("#category-chart rect")).to_have_count(1)
    shot(page, "results-page")
    assert_accessible(page, "page des résultats")
    page.set_viewport_size({"width": 375, "height": 800})  # its tables scroll: by keyboard too
    assert_accessible(page, "page des résultats, sur un téléphone")
    page.set_viewport_size({"width": 1280, "height": 800})

    link = page.locator("#results-csv")
    expect(link).to_contain_text("fichier CSV")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    lines = response.text().splitlines()
    assert lines[0].startswith("nomAttribuant,idAttribuant") and len(lines) == 3
    assert any(",Arconsat," in line for line in lines[1:])


def test_the_results_are_readable_without_javascript(committed_db, browser, server_url):
    two_beneficiaries()
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", base_url=server_url, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(reverse("public:results", args=[PDD]))
        expect(page.locator("#projects")).to_contain_text("Arconsat")
        expect(page.locator('#results-map path[data-code="63008"]')).to_be_visible()
        expect(page.locator("#by-category")).to_contain_text("Projets ayant un impact concret")
        expect(page.locator("#envelopes")).to_contain_text("148 500 €")
        shot(page, "results-page-without-javascript")
    finally:
        context.close()
