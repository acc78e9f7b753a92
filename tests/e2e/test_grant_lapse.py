"""After the engagement deadline (the clock frozen for the server too): the manager finds a grant
to lapse on the call's grants page, confirms the lapse, and sees the money released and the
waiting list's dossier offered on the committee's home; axe-core finds nothing on the way."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from guichet import clock
from guichet.grants.models import GrantStatus
from tests.accounts.two_factor_helpers import give_totp
from tests.committee.factories import REAL_CALL
from tests.grants.factories import AFTER_DEADLINE
from tests.grants.lapse_factories import granted_and_waiting

from .conftest import assert_accessible

SHOTS = "/tmp/manager"


def test_the_manager_pronounces_a_lapse_and_sees_the_money_back(committed_db, signed_in):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    grant, _, people, (arconsat,) = granted_and_waiting()
    give_totp(people.manager)
    number = grant.dossier.number
    with clock.frozen(AFTER_DEADLINE):
        page = signed_in(people.manager)
        page.goto(f"/instruction/appels/{REAL_CALL}/comite/")
        expect(page.locator("#envelope-2021")).to_contain_text(re.compile(r"143\s500\s€"))
        page.get_by_role("link", name=re.compile("Subventions de l’appel")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Subventions de l’appel")
        expect(page.locator("#grants-table")).to_contain_text(number)
        assert_accessible(page, "subventions")
        page.screenshot(path=f"{SHOTS}/grants.png", full_page=True)

        page.get_by_role(
            "link", name=f"Prononcer la caducité de la subvention du dossier {number}"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Prononcer la caducité")
        # Without the box ticked: said at the box, the note kept.
        page.get_by_label(re.compile("^Précision")).fill("Aucun devis reçu malgré deux relances.")
        page.get_by_role("button", name="Prononcer la caducité").click()
        expect(page.locator("#id_confirm ~ .fr-messages-group, #confirm-error")).to_contain_text(
            "Cochez la case"
        )
        expect(page.get_by_label(re.compile("^Précision"))).to_have_value(
            "Aucun devis reçu malgré deux relances."
        )
        assert_accessible(page, "caducité, erreur")
        page.screenshot(path=f"{SHOTS}/lapse-error.png", full_page=True)
        page.get_by_text(re.compile("Je constate que l’engagement")).click()
        page.get_by_role("button", name="Prononcer la caducité").click()
        expect(page.get_by_role("status")).to_contain_text(
            f"La caducité de la subvention du dossier {number} est prononcée"
        )
        expect(page.locator("#grants-table")).to_contain_text("Caduque")
        expect(page.locator("#liste-complementaire")).to_be_visible()
        page.screenshot(path=f"{SHOTS}/grants-after.png", full_page=True)

        page.goto(f"/instruction/appels/{REAL_CALL}/comite/")
        row = page.locator("#envelope-2021")
        expect(row).to_contain_text(re.compile(r"148\s500\s€"))  # not committed any more
        expect(row).to_contain_text(re.compile(r"5\s000\s€"))  # released
        expect(page.locator("#envelope-alert-2021")).to_contain_text("L’année 2021 est terminée")
        expect(
            page.get_by_text(re.compile(f"proposé suite à la caducité de {number}"))
        ).to_be_visible()
        expect(page.get_by_text(arconsat.number).first).to_be_visible()
        assert_accessible(page, "comité après la caducité")
        page.screenshot(path=f"{SHOTS}/committee-after.png", full_page=True)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.LAPSED
    assert any(m.subject.endswith("subvention caduque") for m in mail.outbox)
