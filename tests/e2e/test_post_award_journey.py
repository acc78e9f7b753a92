"""Issue 10's journey after the decision, through the pages only, several people in turn: the
mairie of Billom proves its engagement (a signature in the future refused at its field), a reviewer
of its arrondissement validates the proof, the mairie asks for the balance with two expense lines
below the grant (5 000 € refused at the amount: the flat grant is capped by the actual cost), the
reviewer checks the request, the manager certifies the service done, records the engagement
juridique and the payment; the mairie sees its grant paid and closed with its history, the manager
sees 4 200 € paid and 800 € released. Then a second grant of the same meeting, never engaged, is
lapsed after the deadline and the committee home shows its money back in the envelope.

The server reads the process clock: each step runs with it frozen at its own day (September,
November 2021, January 2022). Every page visited passes axe-core; screenshots go to /tmp/journey/.
"""

from __future__ import annotations

import datetime as dt
import os
import re

from playwright.sync_api import expect

from guichet import clock
from guichet.grants.models import Grant, GrantStatus
from tests.accounts.two_factor_helpers import give_totp
from tests.committee.decision_factories import closed_meeting
from tests.committee.factories import REAL_CALL, proposed
from tests.dossiers.factories import pdf_bytes, reviewer
from tests.grants.factories import AFTER_DEADLINE, FOLLOW_AT, PARIS, Followers

from .conftest import assert_accessible

SHOTS = os.environ.get("GUICHET_SHOTS", "/tmp/journey")
VALIDATED_AT = FOLLOW_AT + dt.timedelta(days=2)  # 17 September 2021
ASKED_AT = dt.datetime(2021, 11, 3, 9, 30, tzinfo=PARIS)
CHECKED_AT = dt.datetime(2021, 11, 8, 14, 0, tzinfo=PARIS)
PAID_AT = dt.datetime(2021, 11, 15, 11, 0, tzinfo=PARIS)
EUROS = {n: re.compile(n.replace(" ", r"\s") + r"\s€") for n in ("5 000", "4 200", "800")}


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def tick(where, label):
    """DSFR draws its own checkboxes and radios: the label takes the click."""
    where.locator("label", has_text=re.compile(label)).first.click()


def visit(page, name, what):
    assert_accessible(page, what)
    shot(page, name)


def test_from_the_engagement_to_the_closed_grant_and_a_lapse(committed_db, signed_in, tmp_path):
    people = Followers()
    billom = proposed()  # 8 000 € of costs: 5 000 € granted
    arconsat = proposed(code="63008", name="Arconsat")
    closed_meeting(people.team, retained=[billom, arconsat])
    billom_grant = Grant.objects.get(dossier=billom)
    arconsat_grant = Grant.objects.get(dossier=arconsat)
    owner = billom.memberships.get().user
    in_clermont = reviewer(arrondissements=("632",), email="clermont@puy-de-dome.gouv.fr")
    manager = people.manager  # not the reviewer who checks: the one who certifies
    for agent_, (first, last) in (
        (in_clermont, ("Inès", "Vidal")),
        (manager, ("Hélène", "Garnier")),
    ):
        agent_.first_name, agent_.last_name = first, last  # the history names its authors
        agent_.save(update_fields=["first_name", "last_name"])
    give_totp(manager)
    files = {}
    for name in ("devis-signe", "facture-1", "facture-2", "certificat-achevement"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(pdf_bytes())
    mairie = signed_in(owner)
    agent = signed_in(in_clermont)
    boss = signed_in(manager)
    grant_path = f"/instruction/dossiers/{billom.uuid}/subvention/"

    # 1. The mairie proves its engagement.
    with clock.frozen(FOLLOW_AT):
        mairie.goto("/mes-dossiers/")
        mairie.locator("tr", has_text=billom.number).get_by_role("link").click()
        expect(mairie.locator("#subvention")).to_contain_text(EUROS["5 000"])
        mairie.locator("#subvention").get_by_role("link", name="Suivre la subvention").click()
        expect(mairie.get_by_role("heading", level=1)).to_contain_text("Subvention")
        expect(mairie.locator("#grant-left")).to_have_text(EUROS["5 000"])
        visit(mairie, "01-mairie-grant", "la subvention, à engager")
        mairie.locator("#id_file").set_input_files(files["devis-signe"])
        mairie.locator("#id_signed_on").fill("01/01/2022")
        mairie.get_by_role("button", name="Envoyer la preuve d’engagement").click()
        expect(mairie.locator("#signed_on-error")).to_contain_text("dans le futur")
        expect(mairie.locator("#id_signed_on")).to_have_value("01/01/2022")
        visit(mairie, "02-mairie-proof-refused", "preuve refusée à son champ")
        mairie.locator("#id_file").set_input_files(files["devis-signe"])
        mairie.locator("#id_signed_on").fill("15/09/2021")
        mairie.get_by_role("button", name="Envoyer la preuve d’engagement").click()
        expect(mairie.locator("#engagement-state")).to_contain_text("À vérifier")
        visit(mairie, "03-mairie-proof-sent", "preuve déposée")

    # 2. A reviewer of Clermont-Ferrand's arrondissement validates it.
    with clock.frozen(VALIDATED_AT):
        agent.goto(f"/instruction/dossiers/{billom.uuid}/")
        expect(agent.locator("#subvention")).to_contain_text("Preuve d’engagement à vérifier")
        agent.locator("#subvention").get_by_role("link", name="Suivi de la subvention").click()
        expect(agent.locator("#pending-proof")).to_contain_text("signée le 15 septembre 2021")
        visit(agent, "04-reviewer-proof", "preuve à vérifier")
        agent.get_by_role("button", name="Valider").click()
        expect(agent.get_by_text("L’engagement est validé")).to_be_visible()
        expect(agent.locator("#dossier-state")).to_have_text("Engagé")
        visit(agent, "05-reviewer-engaged", "engagement validé")

    # 3. The mairie asks for the balance: 4 200 € spent, so 4 200 € at most.
    with clock.frozen(ASKED_AT):
        mairie.goto(f"/mes-dossiers/{billom.uuid}/subvention/")
        expect(mairie.locator("#engagement-state")).to_contain_text("Validé")
        mairie.locator("#next-step").get_by_role("link", name="Demander un versement").click()
        expect(mairie.get_by_role("heading", level=1)).to_have_text("Demander un versement")
        visit(mairie, "06-mairie-request-form", "demande de versement")
        tick(mairie, "^Solde")
        mairie.locator("#id_amount").fill("5 000,00")
        lines = [
            ("Mairie Numérique SARL", "F-21-104", "12/10/2021", "Portail citoyen", "3 000,00"),
            (
                "Formations du Livradois",
                "2021-88",
                "25/10/2021",
                "Formation des agents",
                "1 200,00",
            ),
        ]
        for i, (supplier, number, on, nature, excl) in enumerate(lines):
            mairie.locator(f"#id_lignes-{i}-supplier").fill(supplier)
            mairie.locator(f"#id_lignes-{i}-invoice_number").fill(number)
            mairie.locator(f"#id_lignes-{i}-invoiced_on").fill(on)
            mairie.locator(f"#id_lignes-{i}-nature").fill(nature)
            mairie.locator(f"#id_lignes-{i}-amount_excl_vat").fill(excl)
            mairie.locator(f"#id_lignes-{i}-amount_incl_vat").fill(excl)

        def attach():
            mairie.locator("#id_piece_invoice").set_input_files(
                [files["facture-1"], files["facture-2"]]
            )
            mairie.locator("#id_piece_completion_certificate").set_input_files(
                files["certificat-achevement"]
            )

        attach()
        tick(mairie, "Je certifie exacts")
        mairie.get_by_role("button", name="Envoyer la demande de versement").click()
        expect(mairie.locator("#amount-error")).to_contain_text(re.compile(r"au plus 4\s200"))
        expect(mairie.locator("#id_lignes-1-supplier")).to_have_value("Formations du Livradois")
        expect(mairie.locator("#id_amount")).to_have_value(re.compile(r"^5\s?000"))
        visit(mairie, "07-mairie-request-refused", "montant refusé à son champ")
        mairie.locator("#id_amount").fill("4 200,00")
        attach()
        mairie.get_by_role("button", name="Envoyer la demande de versement").click()
        expect(mairie.get_by_role("heading", level=1)).to_contain_text("Demande de versement n° 1")
        expect(mairie.locator("#request-state")).to_have_text("Déposée")
        expect(mairie.locator("#expenses")).to_contain_text("Formations du Livradois")
        expect(mairie.locator("#pieces")).to_contain_text("facture-2.pdf")
        expect(mairie.locator("#pieces")).to_contain_text("certificat-achevement.pdf")
        visit(mairie, "08-mairie-request-sent", "demande déposée")

    # 4. The reviewer checks it; the manager certifies, records the EJ and the payment.
    with clock.frozen(CHECKED_AT):
        agent.goto(grant_path)
        agent.get_by_role("link", name="Demande n° 1").click()
        expect(agent.get_by_role("heading", level=1)).to_contain_text("Solde")
        expect(agent.locator("#expenses")).to_contain_text(re.compile(r"Total\s*4\s200\s€"))
        expect(agent.locator("#due-ceiling")).to_contain_text(EUROS["4 200"])
        visit(agent, "09-reviewer-request", "demande à vérifier")
        agent.get_by_role("button", name="Vérifier").click()
        expect(agent.get_by_text("La demande est vérifiée")).to_be_visible()
        expect(agent.locator("#request-status")).to_have_text("Vérifiée")

    with clock.frozen(PAID_AT):
        boss.goto(grant_path)
        boss.get_by_role("link", name="Demande n° 1").click()
        form = boss.locator("#certify-form")
        expect(form.get_by_label("Montant dû", exact=True)).to_have_value(EUROS["4 200"])
        visit(boss, "10-manager-certify", "service fait à certifier")
        tick(form, "Je certifie que le service a été fait")
        form.get_by_role("button", name="Certifier").click()
        expect(
            boss.get_by_text(re.compile(r"Le service fait est certifié : 4\s200\s€ dus"))
        ).to_be_visible()
        request_url = boss.url

        boss.goto(grant_path + "#ej")
        form = boss.locator("#ej-form")
        form.get_by_label("Numéro d’engagement juridique").fill("2103456789")
        tick(form, "Je confirme que cet engagement juridique")
        visit(boss, "11-manager-ej", "engagement juridique")
        form.get_by_role("button", name="Enregistrer l’engagement juridique").click()
        expect(
            boss.get_by_text("L’engagement juridique n° 2103456789 est enregistré")
        ).to_be_visible()

        boss.goto(request_url)
        form = boss.locator("#payment-form")
        form.get_by_label(re.compile("Numéro de la demande de paiement")).fill("100045")
        form.get_by_label(re.compile("Date du paiement")).fill("15/11/2021")
        expect(form.get_by_label("Montant payé", exact=True)).to_have_value(EUROS["4 200"])
        tick(form, "Je confirme que ce paiement")
        visit(boss, "12-manager-payment", "paiement")
        form.get_by_role("button", name="Enregistrer le paiement").click()
        expect(
            boss.get_by_text(re.compile(r"Le paiement de 4\s200\s€ est enregistré"))
        ).to_be_visible()
        expect(boss.locator("#request-status")).to_have_text("Versée")

        boss.goto(grant_path)
        expect(boss.locator("#grant-status")).to_contain_text("soldée")
        expect(boss.locator("#ledger")).to_contain_text("DP 100045")
        visit(boss, "13-manager-grant-closed", "subvention soldée")

    # 5. What each side sees of the closed grant.
    with clock.frozen(PAID_AT + dt.timedelta(hours=2)):
        mairie.goto(f"/mes-dossiers/{billom.uuid}/subvention/")
        expect(mairie.locator("#dossier-state")).to_have_text("Versé")
        expect(mairie.locator("#next-step")).to_contain_text("La subvention est soldée")
        expect(mairie.locator("#grant-paid")).to_have_text(EUROS["4 200"])
        expect(mairie.locator("#grant-left")).to_have_text(re.compile(r"^0\s€"))
        steps = mairie.locator("#etapes")
        for text in (
            r"15 septembre 2021 à 10:00 — Preuve d’engagement déposée .*\(Claire Martin\)",
            r"17 septembre 2021 à 10:00 — Engagement validé .*\(Inès Vidal\)",
            r"3 novembre 2021 à 09:30 — Demande de versement n° 1 déposée : solde de 4\s200\s€",
            r"8 novembre 2021 à 14:00 — Demande de versement n° 1 vérifiée \(Inès Vidal\)",
            r"15 novembre 2021 à 11:00 — Service fait certifié .*4\s200\s€ dus \(Hélène Garnier\)",
            r"15 novembre 2021 à 11:00 — Engagement juridique n° 2103456789 .*\(Hélène Garnier\)",
            r"15 novembre 2021 à 11:00 — Versement de 4\s200\s€ enregistré .*DP 100045.*"
            r"\(Hélène Garnier\) : Engagé → Versé",
        ):
            expect(steps).to_contain_text(re.compile(text))
        visit(mairie, "14-mairie-grant-paid", "subvention versée, côté mairie")

        boss.goto(f"/instruction/appels/{REAL_CALL}/comite/")
        row = boss.locator("#envelope-2021")
        expect(row).to_contain_text(EUROS["4 200"])  # paid
        expect(row).to_contain_text(EUROS["800"])  # released when the balance closed the grant
        clermont = boss.locator("#by-arrondissement tr", has_text="Clermont-Ferrand (632)")
        expect(clermont).to_contain_text(EUROS["4 200"])  # granted, at what the grant came to
        visit(boss, "15-manager-committee-paid", "comité, subvention versée")
        boss.get_by_role("link", name=re.compile("Subventions de l’appel")).click()
        billom_row = boss.locator("#grants-table tr", has_text=billom.number)
        expect(billom_row).to_contain_text("Soldée")
        expect(billom_row).to_contain_text(EUROS["4 200"])
        expect(billom_row).to_contain_text(EUROS["800"])
        visit(boss, "16-manager-grants", "subventions de l’appel")
        not_committed_before = boss_figure(boss, f"/instruction/appels/{REAL_CALL}/comite/")

    # 6. After the deadline, Arconsat's grant (never engaged) lapses.
    with clock.frozen(AFTER_DEADLINE):
        boss.goto(f"/instruction/appels/{REAL_CALL}/subventions/")
        boss.get_by_role(
            "link", name=f"Prononcer la caducité de la subvention du dossier {arconsat.number}"
        ).click()
        expect(boss.get_by_role("heading", level=1)).to_have_text("Prononcer la caducité")
        visit(boss, "17-manager-lapse", "caducité")
        boss.get_by_text(re.compile("Je constate que l’engagement")).click()
        boss.get_by_role("button", name="Prononcer la caducité").click()
        expect(boss.get_by_role("status")).to_contain_text(
            f"La caducité de la subvention du dossier {arconsat.number} est prononcée"
        )
        arconsat_row = boss.locator("#grants-table tr", has_text=arconsat.number)
        expect(arconsat_row).to_contain_text("Caduque")
        visit(boss, "18-manager-grants-lapsed", "subventions après la caducité")
        assert boss_figure(boss, f"/instruction/appels/{REAL_CALL}/comite/") == (
            not_committed_before + arconsat_grant.amount
        )
        row = boss.locator("#envelope-2021")
        expect(row).to_contain_text(re.compile(r"5\s800\s€"))  # released: 800 € + 5 000 €
        visit(boss, "19-manager-committee-lapsed", "comité après la caducité")

    billom_grant.refresh_from_db()
    arconsat_grant.refresh_from_db()
    assert billom_grant.status == GrantStatus.CLOSED and billom_grant.paid == 4200
    assert arconsat_grant.status == GrantStatus.LAPSED


def boss_figure(page, url):
    """The envelope 2021's « Non engagé » figure on the committee home, in euros."""
    from decimal import Decimal

    page.goto(url)
    text = page.locator("#envelope-2021 td").last.inner_text()
    return Decimal(re.sub(r"[^\d,]", "", text).replace(",", "."))
