"""The SIRET on the « Porteur » step, refused then accepted, and the call page's open-data links,
in Chromium, with axe-core."""

import os
import re

from django.urls import reverse
from playwright.sync_api import expect
from stdnum import luhn

from guichet.dossiers.services import applicant_siren
from tests.dossiers.factories import agent, draft
from tests.e2e.conftest import assert_accessible
from tests.grants.factories import granted

DEMO = "demo-fitn7-axe3-puy-de-dome"
SHOTS = os.environ.get("GUICHET_SHOTS", "")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_the_siret_is_refused_at_its_field_then_saved(committed_db, signed_in):
    secretary = agent("commune", "63040", "Billom", email="siret@mairie-billom.example.fr")
    dossier = draft(secretary, call_slug=DEMO)
    page = signed_in(secretary)
    page.goto(reverse("applicant:step", args=[dossier.uuid, "porteur"]))
    field = page.get_by_label(re.compile("SIRET de l’établissement"))
    siren = applicant_siren(dossier)
    wrong = "200069177" + "0001"
    wrong += luhn.calc_check_digit(wrong)
    field.fill(wrong)
    # The form also saves itself as one types (htmx), which shows the error before the page
    # reloads: wait for the submitted page, or axe-core would run during the navigation.
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#siret-error")).to_contain_text("il doit commencer par son SIREN")
    expect(field).to_have_value(wrong)
    shot(page, "porteur-siret-error")
    assert_accessible(page, "porteur, SIRET refusé")
    good = siren + "0001" + luhn.calc_check_digit(siren + "0001")
    field.fill(f"{good[:3]} {good[3:6]} {good[6:9]} {good[9:]}")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#siret-error")).to_have_text("")
    expect(page.get_by_label(re.compile("SIRET de l’établissement"))).to_have_value(good)


def test_the_call_page_names_the_schema_and_links_the_files(committed_db, page):
    granted()
    page.goto("/appels/fitn7-axe3-puy-de-dome-2021/")
    section = page.locator("#donnees")
    expect(section).to_have_text("Subventions attribuées : données ouvertes")
    link = page.locator("#open-data-csv")
    expect(link).to_have_attribute(
        "href", "/appels/fitn7-axe3-puy-de-dome-2021/donnees/subventions.csv"
    )
    section.scroll_into_view_if_needed()
    shot(page, "call-open-data")
    assert_accessible(page, "page de l’appel")
    response = page.request.get(link.get_attribute("href"))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "Billom" in response.text()
