"""A collectivité finds out, in one minute, whether it may apply and for how much."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db

SIMULATOR = "/appels/fitn7-axe3-puy-de-dome-2021/simulateur/"


def expect_amount(page, euros):
    """The result's amount, waited for: the form also updates the result as one types, so an
    earlier result may still be on screen for a moment on a busy machine."""
    pattern = re.compile("^" + euros.replace(" ", "[ \u00a0\u202f]") + "$")
    expect(page.locator("#result-amount")).to_have_text(pattern)


def choose_collectivity(page, typed, option_text):
    page.get_by_label("Votre collectivité").fill(typed)
    option = page.get_by_role("option", name=re.compile(option_text))
    expect(option.first).to_be_visible()
    option.first.click()


def test_billom_with_8000_gets_5000(page):
    page.goto("/")
    page.get_by_role("link", name=re.compile("Puy-de-Dôme 2021")).click()
    page.get_by_role("link", name="Suis-je éligible ? Combien puis-je recevoir ?").click()
    choose_collectivity(page, "bill", "Billom")
    page.get_by_label(re.compile("Coût global")).fill("8000")
    page.locator("label[for=category-1]").click()  # DSFR radios: the label is what one clicks
    expect(page.get_by_label(re.compile("Accompagnement par un expert"))).to_be_checked()
    page.get_by_role("button", name="Vérifier mon éligibilité").click()
    expect(page.get_by_role("heading", name="Résultat pour Billom")).to_be_visible()
    expect_amount(page, "5 000 €")
    expect(page.locator('tr[data-rule="ELIG-KIND"]')).to_contain_text(
        "Les structures pouvant candidater"
    )
    expect(page.locator('tr[data-rule="FLAT-RATE"]')).to_contain_text("moins de 5")
    # The result has a shareable URL that gives the same verdict.
    assert "applicant=commune%3A63040" in page.url or "applicant=commune:63040" in page.url
    shared = page.locator("#share-url").input_value()
    page.goto(shared)
    expect_amount(page, "5 000 €")


def test_clermont_ferrand_with_12000_gets_10000(page):
    page.goto(SIMULATOR)
    choose_collectivity(page, "clermont", "Clermont-Ferrand")
    page.get_by_label(re.compile("Coût global")).fill("12 000")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Résultat pour Clermont-Ferrand")).to_be_visible()
    expect_amount(page, "10 000 €")


def test_commune_of_another_departement_sees_why_not(page):
    page.goto(SIMULATOR)
    choose_collectivity(page, "vichy", "Vichy")
    page.get_by_label(re.compile("Coût global")).fill("8000")
    page.get_by_role("button", name="Vérifier mon éligibilité").click()
    expect(page.get_by_role("heading", name="Votre projet n’est pas éligible")).to_be_visible()
    expect(page.locator("#result")).to_contain_text("n'est pas située dans le département 63")
    expect(page.locator('tr[data-rule="ELIG-TERRITORY"]')).to_have_attribute(
        "data-status", "failed"
    )


def test_an_association_sees_why_not(page):
    page.goto(SIMULATOR)
    page.get_by_label("Votre collectivité").fill("Association des amis du numérique")
    page.get_by_label(re.compile("Coût global")).fill("8000")
    page.get_by_role("button", name="Vérifier mon éligibilité").click()
    expect(page.locator("#q-error")).to_contain_text("Seules les communes, EPCI")
    page.get_by_role("link", name="Une association").click()
    expect(page.get_by_role("heading", name="Votre projet n’est pas éligible")).to_be_visible()
    expect(page.locator('tr[data-rule="ELIG-KIND"]')).to_contain_text("association")
    expect(page.locator('tr[data-rule="ELIG-KIND"]')).to_have_attribute("data-status", "failed")


def test_bad_cost_is_reported_at_the_field_and_nothing_is_lost(page):
    page.goto(SIMULATOR)
    choose_collectivity(page, "billom", "Billom")
    page.get_by_label(re.compile("Coût global")).fill("huit mille")
    page.get_by_role("button", name="Vérifier mon éligibilité").click()
    expect(page.locator("#cost-error")).to_contain_text("montant")
    expect(page.get_by_label("Votre collectivité")).to_have_value("Billom")
    expect(page.get_by_label(re.compile("Coût global"))).to_have_value("huit mille")


def test_works_without_javascript(browser, server_url):
    context = browser.new_context(java_script_enabled=False, base_url=server_url, locale="fr-FR")
    page = context.new_page()
    page.goto(SIMULATOR)
    page.get_by_label("Votre collectivité").fill("Billom")
    page.get_by_label(re.compile("Coût global")).fill("8000")
    page.get_by_role("button", name="Vérifier mon éligibilité").click()
    expect_amount(page, "5 000 €")
    context.close()
