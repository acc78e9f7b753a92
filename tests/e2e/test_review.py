"""A reviewer instructs a dossier: finds it in the list, reads the verdict, previews the pieces,
scores the grid, asks for a correction and, once the dossier is back, proposes a lower amount with a
justification to the committee."""

import re

from playwright.sync_api import expect

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import Actor, State
from guichet.review.models import Score
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft, reviewer

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


def test_a_reviewer_scores_asks_a_correction_and_proposes(committed_db, signed_in):
    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner, cost="8000"), owner)
    instructor = reviewer(arrondissements=("632",))  # Billom is in Clermont-Ferrand's
    page = signed_in(instructor)

    # The call's list, searched by number, then the dossier.
    page.goto(f"/instruction/?appel={dossier.call.slug}")
    page.get_by_label("Rechercher une collectivité, un projet ou un numéro").fill(dossier.number)
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name=dossier.number).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(dossier.number)

    # The verdict recomputed now, the population used and its vintage.
    expect(page.locator("#verdict-title")).to_have_text(
        re.compile(r"Éligible — montant maximal 5\s000\s€")
    )
    expect(page.locator("#population-used")).to_contain_text("4 777 habitants")
    expect(page.locator("#population")).to_contain_text("millésime 2021")

    # The signed quote previewed in Chromium's PDF viewer, the bank details shown inline.
    page.get_by_text("Aperçu de devis-signe.pdf").click()
    frame = page.locator('iframe[title="Aperçu de devis-signe.pdf"]')
    expect(frame).to_be_visible()
    for _ in range(50):
        if any(f.url.startswith(PDF_VIEWER) for f in page.frames):
            break
        page.wait_for_timeout(100)
    assert any(f.url.startswith(PDF_VIEWER) for f in page.frames), [f.url for f in page.frames]
    image = page.get_by_role("img", name=re.compile("rib.png"))
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 4
    expect(page.get_by_role("link", name="Télécharger").first).to_be_visible()

    # Review starts, then every criterion of the grid is scored.
    page.get_by_role("button", name="Commencer l’instruction").click()
    expect(page.locator("#dossier-state")).to_have_text("En instruction")
    criteria = dossier.call.rules.scoring.criteria
    # Each mark says what it means.
    expect(page.locator("label[for=id_daily_life_0]")).to_contain_text("Aucun effet")
    for criterion in criteria:
        page.locator(f"label[for=id_{criterion.code}_2]").click()
    page.locator("label[for=id_daily_life_3]").click()
    page.get_by_label(re.compile("Commentaire sur « Effet sur la vie quotidienne")).fill(
        "Moins de déplacements en mairie."
    )
    page.get_by_role("button", name="Enregistrer ma notation").click()
    expect(page.get_by_text("Votre notation est enregistrée.")).to_be_visible()
    # (3×3 + 2×(1+1+1+1+1+2+2)) / 12 = 27 / 12
    expect(page.locator("#score-average")).to_have_text(re.compile(r"2,25 / 3"))
    expect(page.locator("#score-table")).to_contain_text("Moins de déplacements en mairie.")
    assert Score.objects.filter(dossier=dossier, reviewer=instructor).count() == len(criteria)

    # A correction is requested; the team answers it and sends the dossier back.
    page.get_by_label("Ce que le porteur doit corriger").fill("Précisez la gouvernance du projet.")
    page.get_by_role("button", name="Demander des corrections").click()
    expect(page.locator("#dossier-state")).to_have_text("En attente de corrections")
    expect(page.locator("#proposal-form")).to_have_count(0)
    dossier.refresh_from_db()
    services.update(
        dossier, owner, Actor.APPLICANT, {"governance": "Comité de pilotage avec les usagers."}
    )
    services.resubmit(dossier, owner)
    page.reload()
    expect(page.locator("#dossier-state")).to_have_text("En instruction")
    expect(page.locator("#historique")).to_be_visible()
    expect(page.locator("#history-list")).to_contain_text("Comité de pilotage avec les usagers.")

    # The proposal: nothing chosen in advance, the maximum as a hint; the grid is complete, so no
    # « sans notation » to tick; below the maximum, a justification is required.
    amount = page.get_by_role("textbox", name=re.compile("^Montant proposé"))
    expect(amount).to_have_value("")
    expect(page.locator("#proposal-form")).to_contain_text(re.compile(r"Au plus 5\s000\s€"))
    expect(page.locator("#proposal-form input[name=kind]:checked")).to_have_count(0)
    expect(page.locator("#proposal-form input[name=without_scores]")).to_have_count(0)
    page.locator("label[for=id_kind_1]").click()  # réservé
    amount.fill("4 000")
    page.get_by_role("button", name="Proposer au comité").click()
    expect(page.locator("#justification-error")).to_contain_text("doit être justifié")
    expect(page.get_by_role("textbox", name=re.compile("^Montant proposé"))).to_have_value("4 000")
    expect(page.locator("#id_kind_1")).to_be_checked()
    page.get_by_role("textbox", name=re.compile("^Justification de la modulation")).fill(
        "Une partie du devis concerne la maintenance."
    )
    page.get_by_role("button", name="Proposer au comité").click()
    expect(page.locator("#dossier-state")).to_have_text("Proposé au comité")
    expect(page.locator("#opinion-list")).to_contain_text("Avis réservé")
    expect(page.locator("#opinion-list")).to_contain_text(re.compile(r"4\s000\s€"))
    expect(page.locator("#history-list")).to_contain_text("Notation enregistrée")
    expect(page.locator("#history-list")).to_contain_text(
        "Une partie du devis concerne la maintenance."
    )
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.state == State.PROPOSED and str(dossier.proposed_amount) == "4000.00"
