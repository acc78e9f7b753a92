"""The mairie's side of its grant, in the browser: from the dossier's page to the grant's page, the
engagement proven with the signed quote (a first proof refused, with its reason), then (once a reviewer validated it) the balance asked
with its statement of expenses, an invoice and the completion certificate; a request returned
for a missing piece is completed. Every page passes axe-core."""

from __future__ import annotations

import datetime as dt
import os
import re

from playwright.sync_api import expect

from guichet import clock
from guichet.grants import postaward
from guichet.grants.models import EngagementProof, PaymentRequest
from tests.dossiers.factories import pdf_bytes
from tests.grants.factories import FOLLOW_AT, granted

from .conftest import assert_accessible
from .test_csp import violations, watch

SHOTS = os.environ.get("GUICHET_SHOTS", "var/screenshots")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/grant-{name}.png", full_page=True)


def tick(where, label):
    """DSFR draws its own checkboxes and radios: the label takes the click."""
    where.locator("label", has_text=re.compile(label)).first.click()


def test_the_mairie_proves_its_engagement_and_asks_for_the_balance(
    committed_db, signed_in, tmp_path
):
    grant, owner, people = granted()
    dossier = grant.dossier
    quote = tmp_path / "devis-signe.pdf"
    quote.write_bytes(pdf_bytes())
    invoice = tmp_path / "facture.pdf"
    invoice.write_bytes(pdf_bytes())
    certificate = tmp_path / "certificat-achevement.pdf"
    certificate.write_bytes(pdf_bytes())

    with clock.frozen(FOLLOW_AT):
        page = watch(signed_in(owner))
        page.goto(f"/mes-dossiers/{dossier.uuid}/#subvention")
        summary = page.locator("#subvention")
        expect(summary).to_contain_text(re.compile(r"5\s000\s€"))
        expect(summary).to_contain_text("Prouvez l’engagement du projet")
        assert_accessible(page, "dossier accepté, sa subvention")
        shot(page, "dossier")
        summary.get_by_role("link", name="Suivre la subvention").click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("Subvention")
        expect(page.locator("#grant-dates")).to_contain_text("31 décembre 2021")
        expect(page.locator("#grant-left")).to_have_text(re.compile(r"5\s000\s€"))
        assert_accessible(page, "la subvention, à engager")
        shot(page, "to-engage")

        # A signature after the deadline is refused at its field; the date typed stays.
        page.locator("#id_file").set_input_files(quote)
        page.locator("#id_signed_on").fill("01/10/2021")
        page.get_by_role("button", name="Envoyer la preuve d’engagement").click()
        expect(page.locator("#signed_on-error")).to_contain_text("dans le futur")
        expect(page.locator("#id_signed_on")).to_have_value("01/10/2021")
        assert_accessible(page, "la preuve refusée au formulaire")
        shot(page, "engagement-error")

        page.locator("#id_file").set_input_files(quote)
        page.locator("#id_signed_on").fill("02/09/2021")
        page.get_by_role("button", name="Envoyer la preuve d’engagement").click()
        expect(page.locator("#engagement-state")).to_contain_text("À vérifier")

        # Refused (the quote is not signed): the reason, and the form again.
        first = EngagementProof.objects.get(grant=grant)
        postaward.refuse_engagement(first, people.reviewer, "Le devis joint n’est pas signé.")
        page.reload()
        expect(page.locator("#engagement-refused")).to_contain_text("n’est pas signé")
        assert_accessible(page, "preuve refusée")
        shot(page, "engagement-refused")
        page.locator("#id_file").set_input_files(quote)
        page.locator("#id_signed_on").fill("01/09/2021")
        page.get_by_role("button", name="Envoyer la preuve d’engagement").click()
        expect(page.locator("#engagement-state")).to_contain_text("À vérifier")

        # The reviewer validates it (their pages are the back-office's).
        pending = EngagementProof.objects.get(grant=grant, status="submitted")
        postaward.validate_engagement(pending, people.reviewer)
        page.reload()
        expect(page.locator("#engagement-state")).to_contain_text("Validé")
        expect(page.locator("#etapes")).to_contain_text("Engagement validé")
        page.locator("#next-step").get_by_role("link", name="Demander un versement").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Demander un versement")
        expect(page.locator("#kind-fieldset")).to_contain_text(re.compile(r"30\s%"))
        assert_accessible(page, "demande de versement")
        shot(page, "request-form")
        tick(page, "^Solde")
        page.locator("#id_amount").fill("5 000,00")
        page.locator("#id_lignes-0-supplier").fill("Mairie Numérique SARL")
        page.locator("#id_lignes-0-invoice_number").fill("F-21-104")
        page.locator("#id_lignes-0-invoiced_on").fill("10/09/2021")
        page.locator("#id_lignes-0-nature").fill("Portail citoyen")
        page.locator("#id_lignes-0-amount_excl_vat").fill("4 200,00")
        page.locator("#id_lignes-0-amount_incl_vat").fill("5 040,00")
        page.get_by_role("button", name="Ajouter une ligne").click()
        expect(page.locator("#id_lignes-3-supplier")).to_be_visible()
        expect(page.locator("#id_lignes-0-supplier")).to_have_value("Mairie Numérique SARL")
        # Above the cost: refused at the amount, everything typed kept.
        page.locator("#id_piece_invoice").set_input_files(invoice)
        page.locator("#id_piece_completion_certificate").set_input_files(certificate)
        tick(page, "Je certifie exacts")
        page.get_by_role("button", name="Envoyer la demande de versement").click()
        expect(page.locator("#amount-error")).to_contain_text(re.compile(r"au plus 4\s200"))
        expect(page.locator("#id_lignes-0-nature")).to_have_value("Portail citoyen")
        expect(page.locator("#files-again")).to_be_visible()
        assert_accessible(page, "demande refusée au formulaire")
        shot(page, "request-error")

        page.locator("#id_amount").fill("4 200,00")
        page.locator("#id_piece_invoice").set_input_files(invoice)
        page.locator("#id_piece_completion_certificate").set_input_files(certificate)
        page.get_by_role("button", name="Envoyer la demande de versement").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Demande de versement n° 1")
        expect(page.locator("#request-state")).to_have_text("Déposée")
        expect(page.locator("#expenses")).to_contain_text("Mairie Numérique SARL")
        expect(page.locator("#pieces")).to_contain_text("facture.pdf")
        assert_accessible(page, "demande déposée")
        shot(page, "request-sent")

        # Returned for a missing piece: the reason, and the form that completes it.
        request = PaymentRequest.objects.get(grant=grant)
        postaward.return_request(request, people.reviewer, "Joignez la seconde facture.")
        page.goto(f"/mes-dossiers/{dossier.uuid}/subvention/")
        page.locator("#next-step").get_by_role("link", name="Compléter la demande n° 1").click()
        expect(page.locator("#request-reason")).to_contain_text("Joignez la seconde facture.")
        assert_accessible(page, "demande retournée")
        shot(page, "request-returned")
        page.locator("#id_piece_invoice").set_input_files(invoice)
        page.get_by_label("Message à la préfecture").fill("Voici la seconde facture.")
        page.get_by_role("button", name="Renvoyer la demande complétée").click()
        expect(page.locator("#request-state")).to_have_text("Déposée")

        page.goto(f"/mes-dossiers/{dossier.uuid}/subvention/")
        expect(page.locator("#requests")).to_contain_text("Demande n° 1")
        expect(page.locator("#etapes")).to_contain_text("Demande de versement n° 1 complétée")
        assert_accessible(page, "la subvention, engagée et demandée")
        shot(page, "engaged")
        assert not page.csp_messages, page.csp_messages  # on every page of the journey
        assert not violations(page)
    assert PaymentRequest.objects.get(grant=grant).pieces.count() == 3
    assert grant.engagement_proofs.get(status="validated").signed_on == dt.date(2021, 9, 1)
