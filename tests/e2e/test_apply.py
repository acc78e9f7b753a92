"""The secretary of a small mairie applies: every step, a reload in the middle, the pieces, the
submission and its receipt, a correction asked and answered, and the withdrawal."""

import datetime as dt
import re

from django.core import mail
from playwright.sync_api import expect

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.models import Dossier
from guichet.dossiers.tasks import send_receipt
from guichet.dossiers.workflow import Actor, State
from tests.dossiers.factories import (
    IN_WINDOW,
    agent,
    complete,
    draft,
    pdf_bytes,
    png_upload,
    reviewer,
)

DEMO = "demo-fitn7-axe3-puy-de-dome"


def saved(page):
    """Wait for the autosave that the last keystrokes started (typing waits one second)."""
    page.wait_for_timeout(1100)
    expect(page.locator("form[data-saving]")).to_have_count(0)
    expect(page.locator("#save-status")).to_contain_text("Enregistré à")


def test_a_mairie_applies_answers_a_correction_and_withdraws(committed_db, signed_in):
    call = Call.objects.get(slug=DEMO)
    secretary = agent("commune", "63040", "Billom", email="secretariat@mairie-billom.example.fr")
    page = signed_in(secretary)

    page.goto("/mes-dossiers/")
    page.get_by_role("button", name="Commencer un dossier").first.click()

    # Porteur: the account prefilled the contact; the phone is missing.
    expect(page.get_by_role("heading", name=re.compile("Porteur du projet"))).to_be_visible()
    expect(page.get_by_label("Nom et prénom")).to_have_value("Claire Martin")
    # A joint project: the partner is found as one types.
    page.get_by_role("combobox", name=re.compile("Collectivité partenaire")).fill("mauzu")
    page.get_by_role("option", name=re.compile("Mauzun")).first.click()
    page.get_by_label("Rôle dans le projet").select_option("co_funder")
    page.get_by_role("button", name="Ajouter ce partenaire").click()
    expect(page.get_by_role("cell", name="Mauzun", exact=True)).to_be_visible()
    page.get_by_label("Fonction", exact=True).fill("Secrétaire de mairie")
    page.get_by_label(re.compile("Téléphone")).fill("04 73 68 39 85")
    # Billom's SIRET, as the secretary copies it from its notice of SIRENE: spaces kept.
    page.get_by_label(re.compile("SIRET de l’établissement")).fill("216 300 400 00019")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Projet: half of it, then a reload: nothing is lost.
    expect(page.get_by_role("heading", name=re.compile("^Projet"))).to_be_visible()
    page.get_by_label("Intitulé du projet").fill("Prise de rendez-vous en ligne pour l’état civil")
    page.get_by_label("Résumé du projet").fill(
        "Les habitants prennent rendez-vous sans se déplacer."
    )
    page.locator("label[for=id_category_2]").click()
    saved(page)
    page.reload()
    expect(page.get_by_label("Intitulé du projet")).to_have_value(
        "Prise de rendez-vous en ligne pour l’état civil"
    )
    expect(page.get_by_label(re.compile("Les habitants prennent"))).to_have_count(0)
    expect(page.get_by_label("Résumé du projet")).to_have_value(
        "Les habitants prennent rendez-vous sans se déplacer."
    )
    expect(page.locator("#id_category_2")).to_be_checked()
    page.locator("label[for=id_examples_0]").click()
    page.get_by_label("Description du projet").fill(
        "Un module de rendez-vous relié au logiciel d’état civil."
    )
    page.get_by_label("Effet attendu sur la vie quotidienne des habitants").fill(
        "Moins d’attente au guichet."
    )
    page.locator("label[for=id_participatory_1]").click()  # non
    page.get_by_label("En quoi le projet est-il innovant ?").fill(
        "Première commune du canton à le proposer."
    )
    page.get_by_label("Pourquoi cette solution numérique ?").fill(
        "Solution libre déjà utilisée par la communauté de communes."
    )
    page.get_by_label("Nombre d’agents formés ou équipés").fill("3")
    page.get_by_label("Nombre d’usagers touchés").fill("4 700")
    page.get_by_label("Gouvernance du projet").fill("Le maire et la secrétaire de mairie.")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Budget: the maximum the rules allow appears as the lines are typed; a request above it is refused.
    expect(page.get_by_role("heading", name=re.compile("^Budget"))).to_be_visible()
    page.get_by_label("Nature de la dépense").first.fill("Module de prise de rendez-vous")
    page.get_by_label("Fournisseur").first.fill("Éditeur public")
    page.get_by_label(re.compile("Montant HT")).first.fill("8 000")
    page.get_by_label(re.compile("Montant TTC")).first.fill("9 600")
    expect(page.locator("#maximum-amount")).to_have_text(re.compile(r"5\s000\s€"))
    page.get_by_label(re.compile("Montant demandé")).fill("6 000")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("#requested_amount-error")).to_contain_text("dépasse le maximum")
    expect(page.get_by_label(re.compile("Montant demandé"))).to_have_value("6 000")
    page.get_by_label(re.compile("Montant demandé")).fill("5 000")
    page.get_by_label(re.compile("Autres financements")).fill("0")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Calendrier: a date after the engagement deadline is announced before submission.
    rules = call.rules
    page.get_by_label(re.compile("Date d’engagement")).fill(
        (rules.engagement_deadline + dt.timedelta(days=1)).isoformat()
    )
    page.get_by_label(re.compile("Date de fin")).fill(
        (rules.engagement_deadline + dt.timedelta(days=90)).isoformat()
    )
    expect(page.locator("#engagement-warning")).to_contain_text("Date d’engagement trop tardive")
    engaged = min(rules.engagement_deadline, clock.today() + dt.timedelta(days=20))
    page.get_by_label(re.compile("Date d’engagement")).fill(engaged.isoformat())
    saved(page)
    expect(page.locator("#engagement-warning")).not_to_contain_text("trop tardive")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Pièces: a file that is not what its name says is refused; the real ones are kept.
    expect(page.get_by_role("heading", name=re.compile("Pièces justificatives"))).to_be_visible()
    rib = png_upload()
    page.get_by_label("Nature de la pièce").select_option("quote")
    page.get_by_label(re.compile("^Fichier")).set_input_files(
        {"name": "devis.pdf", "mimeType": "application/pdf", "buffer": rib.read()}
    )
    page.get_by_role("button", name="Joindre ce fichier").click()
    expect(page.locator("#file-error")).to_contain_text("devis.pdf")
    for kind, name, content, mime in [
        ("quote", "devis-signe.pdf", pdf_bytes(), "application/pdf"),
        ("deliberation", "deliberation-conseil.pdf", pdf_bytes(), "application/pdf"),
        ("bank_details", "rib.png", png_upload().read(), "image/png"),
    ]:
        page.get_by_label("Nature de la pièce").select_option(kind)
        page.get_by_label(re.compile("^Fichier")).set_input_files(
            {"name": name, "mimeType": mime, "buffer": content}
        )
        page.get_by_role("button", name="Joindre ce fichier").click()
        expect(page.get_by_role("link", name=name)).to_be_visible()
    page.get_by_role("link", name="Continuer").click()

    # Récapitulatif: the sworn statement, then the submission.
    expect(page.get_by_role("heading", name=re.compile("Récapitulatif"))).to_be_visible()
    page.locator("label[for=id_sworn_statement]").click()
    page.get_by_role("button", name="Déposer le dossier").click()
    expect(page.locator("#dossier-state")).to_have_text("Déposé")
    dossier = Dossier.objects.get(created_by=secretary)
    assert dossier.number.startswith("DEMO-63-")
    expect(page.get_by_text(dossier.number).first).to_be_visible()

    # The receipt: an e-mail with the PDF, also downloadable from the dossier's page.
    receipts = [m for m in mail.outbox if "Accusé de réception" in m.subject]
    assert len(receipts) == 1 and secretary.email in receipts[0].to
    ((name, content, mimetype),) = receipts[0].attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    page.reload()
    expect(page.get_by_role("link", name=re.compile("Accusé de réception"))).to_be_visible()

    # The reviewer asks for a correction; the mairie fixes the budget and sends it back.
    instructor = reviewer()
    services.request_correction(
        dossier, instructor, "Merci de joindre le devis signé et de préciser le fournisseur."
    )
    page.reload()
    expect(
        page.get_by_role("heading", name="Le service instructeur demande des corrections")
    ).to_be_visible()
    expect(page.get_by_role("alert").get_by_text("Merci de joindre le devis signé")).to_be_visible()
    page.get_by_role("link", name="Corriger le dossier").click()
    page.goto(page.url.replace("/porteur/", "/budget/"))
    page.get_by_label("Fournisseur").first.fill("Éditeur public du logiciel d’état civil")
    saved(page)
    page.goto(page.url.replace("/budget/", "/recapitulatif/"))
    page.get_by_role("button", name="Renvoyer le dossier corrigé").click()
    expect(page.locator("#dossier-state")).to_have_text("En instruction")
    expect(page.locator("#historique")).to_be_visible()
    expect(page.get_by_text(re.compile("Lignes de dépense"))).to_be_visible()
    assert any(instructor.email in m.to for m in mail.outbox)

    # Withdrawal asks for a confirmation.
    page.get_by_role("link", name="Retirer le dossier").click()
    page.get_by_role("button", name="Retirer définitivement le dossier").click()
    expect(page.locator("#confirm-error")).to_contain_text("Cochez la case")
    page.locator("label[for=id_confirm]").click()
    page.get_by_role("button", name="Retirer définitivement le dossier").click()
    expect(page.locator("#dossier-state")).to_have_text("Retiré")
    dossier.refresh_from_db()
    assert dossier.state == State.WITHDRAWN


def _submitted_without_receipt(owner):
    """A submitted dossier whose receipt the background task has not rendered yet."""
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    dossier.attachments.filter(kind="receipt").delete()
    return dossier


def test_the_dossier_page_shows_whole_buttons_cards_sized_to_their_text_and_the_footer_last(
    committed_db, signed_in
):
    secretary = agent(email="secretariat@mairie-billom.example.fr")
    dossier = _submitted_without_receipt(secretary)
    send_receipt.call(dossier.pk)
    services.post_message(dossier, reviewer(), "Le projet est-il mutualisé ?")
    services.post_message(dossier, secretary, "Oui, avec deux communes voisines.\nÀ suivre.")
    page = signed_in(secretary)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/mes-dossiers/{dossier.uuid}/")

    for name in ("Modifier le dossier", "Accusé de réception (PDF)"):
        button = page.get_by_role("link", name=name)
        expect(button).to_be_visible()
        # The whole label is drawn: the button is as wide as its text, nothing is clipped.
        clipped = button.evaluate("b => b.scrollWidth > b.clientWidth || b.clientWidth < 120")
        assert not clipped, name
    for card in page.locator(".guichet-message").all():
        height = card.bounding_box()["height"]
        text = card.locator(".fr-card__content").evaluate(
            "c => [...c.children].reduce((h, e) => h + e.getBoundingClientRect().height, 0)"
        )
        assert height < text + 150, (height, text)  # the card holds its text and its padding
    footer_top = page.locator("footer").bounding_box()["y"]
    bottom = page.locator("main").evaluate(
        "m => Math.max(...[...m.querySelectorAll('*')].map(e => e.getBoundingClientRect().bottom))"
    )
    assert bottom <= footer_top, (bottom, footer_top)


def test_right_after_submission_the_receipt_is_announced_then_shown(committed_db, signed_in):
    secretary = agent(email="secretariat@mairie-billom.example.fr")
    dossier = _submitted_without_receipt(secretary)
    page = signed_in(secretary)
    page.goto(f"/mes-dossiers/{dossier.uuid}/")
    expect(page.get_by_text("L’accusé de réception est en préparation")).to_be_visible()
    expect(page.get_by_role("link", name="Accusé de réception (PDF)")).to_have_count(0)
    # The background task renders it: the page, asking every few seconds, shows the link.
    send_receipt.call(dossier.pk)
    expect(page.get_by_role("link", name="Accusé de réception (PDF)")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("en préparation")).to_have_count(0)


def test_adding_a_cost_line_right_after_typing_keeps_everything_and_says_what_is_wrong(
    committed_db, signed_in
):
    secretary = agent(email="secretariat@mairie-billom.example.fr")
    dossier = draft(secretary, call_slug=DEMO)
    page = signed_in(secretary)
    page.goto(f"/mes-dossiers/{dossier.uuid}/etapes/budget/")
    page.get_by_label("Nature de la dépense").first.fill("Licence du portail citoyen")
    page.get_by_label(re.compile("Montant HT")).first.fill("7 000")
    page.get_by_label(re.compile("Montant TTC")).first.fill("8 400")
    page.get_by_label(re.compile("Montant demandé")).fill("6 000")
    # No supplier, an amount above the maximum, and the click before the autosave's delay.
    page.get_by_role("button", name="Ajouter une ligne de dépense").click()
    expect(page.get_by_text("Dépense 2", exact=True)).to_be_visible()
    expect(page.get_by_label(re.compile("Montant HT")).first).to_have_value("7 000")
    expect(page.get_by_label(re.compile("Montant TTC")).first).to_have_value("8 400")
    expect(page.locator("#requested_amount-error")).to_contain_text("dépasse le maximum")
    saved(page)
    line = dossier.cost_lines.get()
    assert (line.nature, line.supplier, line.amount_excl_vat) == (
        "Licence du portail citoyen",
        "",
        7000,
    )
    dossier.refresh_from_db()
    assert dossier.requested_amount == 6000
    # Reopened: the amount is still there, and so is the reason it cannot be submitted.
    page.goto(f"/mes-dossiers/{dossier.uuid}/etapes/budget/")
    expect(page.get_by_label(re.compile("Montant demandé"))).to_have_value("6\u00a0000")
    expect(page.locator("#requested_amount-error")).to_contain_text(
        re.compile(r"dépasse le maximum permis par l’appel pour ce projet : 5\s000\s€")
    )


def test_changing_one_count_after_submission_logs_that_change_only(committed_db, signed_in):
    secretary = agent(email="secretariat@mairie-billom.example.fr")
    dossier = _submitted_without_receipt(secretary)
    services.update(
        dossier,
        secretary,
        Actor.APPLICANT,
        {"description": "Un portail.\nEt un guichet d’accueil."},
    )
    before = dossier.events.filter(kind="edited").count()
    page = signed_in(secretary)
    page.goto(f"/mes-dossiers/{dossier.uuid}/etapes/projet/")
    page.get_by_label("Nombre d’usagers touchés").fill("5 000")
    saved(page)  # the autosave sends the description's line end as \n…
    page.get_by_role("button", name="Enregistrer", exact=True).click()  # …the button as \r\n
    expect(page.get_by_text("Vos modifications sont enregistrées.")).to_be_visible()
    edits = [e.changes for e in dossier.events.filter(kind="edited").order_by("pk")][before:]
    assert edits == [{"Usagers touchés": ["4700", "5000"]}]
