"""After a closed meeting: the manager generates the documents (the progress on the page), uploads
a signed scan recognised by its QR code, notifies; the retained applicant downloads the signed
arrêté from the dossier's page and the refused one reads the committee's reason."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from guichet.committee.models import DecisionDocument
from tests.accounts.two_factor_helpers import give_totp
from tests.committee.decision_factories import (
    REFUSAL_REASON,
    billom_and_arconsat,
    closed_meeting,
    read,
    scanned,
)
from tests.committee.factories import REAL_CALL, Committee

from .conftest import assert_accessible


def test_the_manager_issues_the_decisions_and_the_applicants_read_them(
    committed_db, signed_in, tmp_path
):
    team = Committee()
    give_totp(team.manager)
    billom, arconsat = billom_and_arconsat()
    m = closed_meeting(team, [billom], [arconsat])

    page = signed_in(team.manager)
    page.goto(f"/instruction/appels/{REAL_CALL}/comite/seances/{m.number}/decisions/")
    expect(page.get_by_role("heading", name="Décisions de la séance n° 1", level=1)).to_be_visible()
    expect(page.locator("#decisions-run")).to_contain_text("2 documents à générer")
    page.get_by_role("button", name="Générer les documents").click()
    expect(page.locator("#decisions-run")).to_contain_text("Génération terminée : 2 documents")
    award = DecisionDocument.objects.get(kind="award")
    expect(page.locator(f"#document-{award.uuid}")).to_contain_text("Généré, à signer")
    assert_accessible(page, "décisions de la séance")

    # The signed scan: recognised by the QR code of its first page.
    scan = tmp_path / "arrete-signe.pdf"
    scan.write_bytes(scanned(read(award)).read())
    page.get_by_label("Scan signé (PDF)").set_input_files(scan)
    page.get_by_role("button", name="Déposer le scan signé").click()
    expect(
        page.get_by_text(f"Le scan signé du document n° {award.number} est enregistré")
    ).to_be_visible()
    row = page.locator(f"#document-{award.uuid}")
    expect(row).to_contain_text("Signé, à notifier")
    expect(row).to_contain_text("par son code QR")
    row.get_by_role("button", name=re.compile("^Notifier")).click()
    expect(page.locator(f"#document-{award.uuid}")).to_contain_text("Notifié le")

    # The refusal, signed by hand-chosen match, notified with the others.
    refusal = DecisionDocument.objects.get(kind="refusal")
    scan.write_bytes(scanned(read(refusal)).read())
    page.get_by_label("Scan signé (PDF)").set_input_files(scan)
    page.get_by_role("button", name="Déposer le scan signé").click()
    page.get_by_role("button", name="Notifier les documents signés").click()
    expect(page.get_by_text("1 document notifié.")).to_be_visible()

    applicant = signed_in(billom.memberships.get(role="owner").user)
    applicant.goto(f"/mes-dossiers/{billom.uuid}/")
    expect(applicant.locator("#decision-outcome")).to_have_text(
        re.compile(r"Accepté — 5\s000\s€ \(enveloppe 2021\)")
    )
    with applicant.expect_download() as info:
        applicant.locator("#decision-download").click()
    assert info.value.suggested_filename == f"arrete-{award.number}.pdf"
    assert_accessible(applicant, "dossier accepté")

    refused = signed_in(arconsat.memberships.get(role="owner").user)
    refused.goto(f"/mes-dossiers/{arconsat.uuid}/")
    expect(refused.locator("#decision")).to_contain_text("Refusé")
    expect(refused.locator("#decision")).to_contain_text(REFUSAL_REASON)
