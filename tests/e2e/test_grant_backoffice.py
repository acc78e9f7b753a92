"""After the decision, the préfecture's side of one grant: a reviewer validates the engagement
proof and checks the balance request; the manager (another agent) certifies the service done,
records the engagement juridique (after a wrong number) and the payment. axe-core finds nothing
on each page, errors included."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal

from playwright.sync_api import expect

from guichet import clock
from guichet.grants import postaward
from guichet.grants.models import GrantStatus
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import pdf_upload
from tests.grants.factories import (
    FOLLOW_AT,
    SIGNED_ON,
    certificate,
    expense,
    granted,
    invoice,
)

from .conftest import assert_accessible

SHOTS = os.environ.get("GUICHET_SHOTS", "var/screenshots")
CHECKED_AT = FOLLOW_AT + dt.timedelta(days=20)  # 5 October 2021
PAID_AT = FOLLOW_AT + dt.timedelta(days=40)  # 25 October 2021


def tick(where, label):
    """DSFR draws its own checkboxes: the label takes the click."""
    where.locator("label", has_text=re.compile(label)).click()


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_a_reviewer_and_the_manager_follow_a_grant_to_its_payment(committed_db, signed_in):
    grant, owner, people = granted()
    give_totp(people.manager)
    with clock.frozen(FOLLOW_AT):
        postaward.submit_engagement(grant, owner, pdf_upload(), SIGNED_ON)
    grant_url = f"/instruction/dossiers/{grant.dossier.uuid}/subvention/"

    reviewer = signed_in(people.reviewer)
    with clock.frozen(CHECKED_AT):
        reviewer.goto(f"/instruction/dossiers/{grant.dossier.uuid}/")
        expect(reviewer.locator("#subvention")).to_contain_text("Preuve d’engagement à vérifier")
        assert_accessible(reviewer, "dossier avec sa subvention")
        shot(reviewer, "dossier-grant")
        reviewer.locator("#subvention").get_by_role("link", name="Suivi de la subvention").click()
        expect(reviewer.get_by_role("heading", level=1)).to_contain_text("Subvention")
        expect(reviewer.locator("#pending-proof")).to_contain_text(
            "Preuve à vérifier : signée le 1er septembre 2021"
        )
        assert_accessible(reviewer, "subvention, preuve à vérifier")
        shot(reviewer, "grant-pending-proof")
        # Refusing without a reason is refused at the field, on an accessible page.
        reviewer.get_by_role("button", name="Refuser").click()
        expect(reviewer.locator("#reason-error")).to_contain_text("Expliquez au porteur")
        assert_accessible(reviewer, "refus sans motif")
        reviewer.get_by_role("button", name="Valider").click()
        expect(reviewer.get_by_text("L’engagement est validé")).to_be_visible()
        expect(reviewer.locator("#dossier-state")).to_have_text("Engagé")

    with clock.frozen(CHECKED_AT):
        request = postaward.request_payment(
            grant, owner, "balance", Decimal("5000"), [expense("4200"), expense("1300")],
            [invoice(), certificate()],
        )  # fmt: skip
        reviewer.goto(grant_url)
        reviewer.get_by_role("link", name="Demande n° 1").click()
        expect(reviewer.get_by_role("heading", level=1)).to_contain_text(
            "Solde — demande de versement n° 1"
        )
        expect(reviewer.locator("#expenses")).to_contain_text(re.compile(r"Total\s*5\s500\s€"))
        expect(reviewer.locator("#due-ceiling")).to_contain_text(re.compile(r"5\s000\s€"))
        assert_accessible(reviewer, "demande de versement à vérifier")
        shot(reviewer, "request-submitted")
        reviewer.get_by_role("button", name="Vérifier").click()
        expect(reviewer.get_by_text("La demande est vérifiée")).to_be_visible()
        expect(reviewer.locator("#request-status")).to_have_text("Vérifiée")

    manager = signed_in(people.manager)
    request_url = f"{grant_url}demandes/{request.uuid}/"
    with clock.frozen(PAID_AT):
        manager.goto(request_url)
        form = manager.locator("#certify-form")
        expect(form.get_by_label("Montant dû", exact=True)).to_have_value(re.compile(r"5\s000\s€"))
        assert_accessible(manager, "certification du service fait")
        shot(manager, "request-certify")
        form.get_by_role("button", name="Certifier le service fait").click()
        expect(manager.locator("#confirm-error")).to_contain_text("Je certifie")
        assert_accessible(manager, "certification sans la case")
        tick(manager.locator("#certify-form"), "Je certifie que le service a été fait")
        manager.locator("#certify-form").get_by_role("button", name="Certifier").click()
        expect(
            manager.get_by_text(re.compile(r"Le service fait est certifié : 5\s000\s€ dus"))
        ).to_be_visible()
        expect(manager.locator("#no-commitment")).to_be_visible()

        # The engagement juridique: a wrong number first.
        manager.goto(grant_url + "#ej")
        form = manager.locator("#ej-form")
        form.get_by_label("Numéro d’engagement juridique").fill("123")
        tick(form, "Je confirme que cet engagement juridique")
        form.get_by_role("button", name="Enregistrer l’engagement juridique").click()
        expect(manager.locator("#number-error")).to_contain_text("dix chiffres")
        expect(manager.locator("#id_number")).to_have_value("123")
        assert_accessible(manager, "engagement juridique refusé")
        shot(manager, "grant-ej-error")
        expect(manager.locator("#id_confirm")).to_be_checked()  # kept, as the rest
        manager.locator("#id_number").fill("2103456789")
        manager.get_by_role("button", name="Enregistrer l’engagement juridique").click()
        expect(
            manager.get_by_text("L’engagement juridique n° 2103456789 est enregistré")
        ).to_be_visible()

        # The payment.
        manager.goto(request_url)
        form = manager.locator("#payment-form")
        form.get_by_label(re.compile("Numéro de la demande de paiement")).fill("100045")
        form.get_by_label(re.compile("Date du paiement")).fill("25/10/2021")
        expect(form.get_by_label("Montant payé", exact=True)).to_have_value(
            re.compile(r"5\s000\s€")
        )
        tick(form, "Je confirme que ce paiement")
        assert_accessible(manager, "paiement")
        shot(manager, "request-payment")
        form.get_by_role("button", name="Enregistrer le paiement").click()
        expect(
            manager.get_by_text(re.compile(r"Le paiement de 5\s000\s€ est enregistré"))
        ).to_be_visible()
        expect(manager.locator("#request-status")).to_have_text("Versée")
        assert_accessible(manager, "demande versée")

        manager.goto(grant_url)
        expect(manager.locator("#grant-status")).to_contain_text("soldée")
        expect(manager.locator("#ledger")).to_contain_text("DP 100045")
        assert_accessible(manager, "subvention soldée")
        shot(manager, "grant-closed")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.CLOSED
