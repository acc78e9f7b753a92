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
    # The suggestions come from the server after the input's debounce: on a CI machine busy with
    # the other worker's browser tests, the first answer once took more than Playwright's 5 s.
    # A wait, not a measure of speed (that is the bench's).
    expect(option.first).to_be_visible(timeout=20_000)
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


def test_the_association_shortcut_from_an_empty_form_gives_the_verdict(page):
    page.goto(SIMULATOR)
    page.get_by_role("link", name="Une association").click()
    expect(page.get_by_role("heading", name="Votre projet n’est pas éligible")).to_be_visible()
    expect(page.locator("#result-title")).to_have_text("Résultat pour une association")
    expect(page.locator("#cost-error")).to_have_count(0)
    expect(page.locator("#result .fr-alert")).to_contain_text("Les structures pouvant candidater")
    expect(page.locator("#result")).not_to_contain_text("STRUCTURE")


def test_from_a_positive_verdict_to_a_started_dossier(committed_db, page):
    # Simulator → positive verdict → « Déposer un dossier » → sign in → the dossier starts
    # with the collectivité and the cost of the simulation.
    from guichet.dossiers.models import Dossier
    from tests.dossiers.factories import agent

    secretary = agent("commune", "63040", "Billom", email="secretariat@mairie-billom.example.fr")
    page.goto("/appels/demo-fitn7-axe3-puy-de-dome/")
    page.get_by_role("link", name="Suis-je éligible ? Combien puis-je recevoir ?").click()
    choose_collectivity(page, "bill", "Billom")
    page.get_by_label(re.compile("Coût global")).fill("8000")
    page.get_by_role("button", name="Vérifier mon éligibilité").click()
    expect(page.get_by_role("heading", name="Votre projet peut être éligible")).to_be_visible()
    page.get_by_role("link", name="Déposer un dossier").click()

    expect(page.get_by_role("heading", name="Se connecter", exact=True)).to_be_visible()
    page.get_by_label(re.compile("Adresse électronique")).fill(secretary.email)
    page.get_by_label("Mot de passe", exact=True).fill("Un-mot-de-passe-solide-42")
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("heading", name="Déposer un dossier")).to_be_visible()
    expect(page.locator("#apply-summary")).to_contain_text("Billom")
    expect(page.locator("#apply-cost")).to_contain_text("8\u00a0000")
    page.get_by_role("button", name="Commencer le dossier").click()

    expect(page.get_by_role("heading", name=re.compile("Porteur du projet"))).to_be_visible()
    expect(page.get_by_text("Le coût de votre simulation")).to_be_visible()
    dossier = Dossier.objects.get(created_by=secretary)
    assert (dossier.applicant_code, dossier.applicant_name) == ("63040", "Billom")
    assert dossier.total_cost == 8000


@pytest.mark.parametrize("width", [320, 375])
def test_on_a_phone_the_result_fits_the_screen(browser, server_url, width):
    context = browser.new_context(
        locale="fr-FR",
        timezone_id="Europe/Paris",
        base_url=server_url,
        viewport={"width": width, "height": 800},
        is_mobile=True,
    )
    page = context.new_page()
    try:
        page.goto(SIMULATOR + "?applicant=commune:63040&q=Billom&cost=8000&category=3")
        expect(page.locator("#checks")).to_be_visible()
        overflow = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert overflow[0] <= overflow[1], overflow
        # Every explanation is as wide as the screen allows, none cut by its table's box.
        for cell in page.locator("#checks td:nth-child(3)").all():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box
            assert box["width"] >= width * 0.7, box
        page.screenshot(path=f"/tmp/simulator-{width}.png", full_page=True)
    finally:
        context.close()
