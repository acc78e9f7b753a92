"""A reviewer exports the list to XLSX: at once for a small list, then through the export's page
(progress, then the link) for a large one; each file opens with openpyxl."""

import datetime as dt
import re
from decimal import Decimal

import openpyxl
from playwright.sync_api import expect

from guichet.calls.models import Call
from guichet.dossiers.models import Dossier, Membership
from guichet.dossiers.workflow import State
from guichet.exports import services
from guichet.exports.models import Export, ExportStatus
from tests.dossiers.factories import agent, reviewer

DEMO = "demo-fitn7-axe3-puy-de-dome"


def submitted(call, owner, n, name):
    dossier = Dossier.objects.create(
        call=call,
        number=f"DEMO-63-{n:04d}",
        state=State.SUBMITTED,
        created_by=owner,
        applicant_kind="commune",
        applicant_code="63103",
        applicant_name=name,
        applicant_vintage=call.reference_vintage,
        arrondissement_code="633",
        title="Maison France services — accès",
        category="3",
        session=call.sessions.first(),
        submitted_at=dt.datetime(2026, 11, 2, 9, n, tzinfo=dt.UTC),
        maximum_amount=Decimal("20000"),
        requested_amount=Decimal("12000.50"),
    )
    Membership.objects.create(dossier=dossier, user=owner, role="owner")
    return dossier


def test_a_reviewer_exports_the_filtered_list_to_xlsx(
    committed_db, signed_in, tmp_path, monkeypatch
):
    call = Call.objects.get(slug=DEMO)
    owner = agent()
    submitted(call, owner, 1, "Châtel-Guyon")
    submitted(call, owner, 2, "Saint-Rémy-sur-Durolle")
    page = signed_in(reviewer())
    page.goto(f"/instruction/?appel={DEMO}")
    expect(page.get_by_role("heading", name="Dossiers à instruire")).to_be_visible()

    # A small list: the file comes at once.
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter en XLSX").click()
    download = info.value
    assert re.fullmatch(rf"dossiers-{DEMO}-\d{{4}}-\d\d-\d\d\.xlsx", download.suggested_filename)
    path = tmp_path / "liste.xlsx"
    download.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"Châtel-Guyon", "Saint-Rémy-sur-Durolle"}
    assert sheet["A1"].value == "Numéro"

    # Filter the list (htmx updates it and the address), then export a « large » list: it goes
    # through the export's page, which shows the link when the file is ready.
    monkeypatch.setattr(services, "SYNC_MAX_ROWS", 0)
    page.get_by_label("Rechercher une collectivité, un projet ou un numéro").fill("remy")
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"q=remy"))
    expect(page.locator("#dossier-list")).not_to_contain_text("Châtel-Guyon")
    page.get_by_role("button", name="Exporter en XLSX").click()
    expect(page.get_by_role("heading", name="Export des dossiers")).to_be_visible()
    expect(page.locator("#export-status")).to_contain_text("Votre export est prêt")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Télécharger dossiers-")).click()
    path = tmp_path / "filtre.xlsx"
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["Saint-Rémy-sur-Durolle"]
    export = Export.objects.order_by("-pk").first()
    assert export.status == ExportStatus.DONE and export.filters["q"] == ["remy"]

    page.get_by_role("link", name="Retour à la liste des dossiers").click()
    expect(page).to_have_url(re.compile(r"q=remy"))


def test_the_export_page_follows_a_running_export_until_its_link(committed_db, signed_in):
    call = Call.objects.get(slug=DEMO)
    user = reviewer()
    submitted(call, agent(), 3, "Thiers")
    export = services.create_export(user, call, "xlsx", {"appel": [DEMO]}, ["number"], 1)
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING)
    page = signed_in(user)
    page.goto(f"/instruction/exports/{export.uuid}/")
    progress = page.locator("progress#export-progress")
    expect(progress).to_have_attribute("aria-valuenow", "0")
    # The worker finishes: htmx, asking every second, replaces the bar by the link.
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED)
    services.build(export.pk)
    expect(page.get_by_role("link", name=re.compile("Télécharger dossiers-"))).to_be_visible(
        timeout=5_000
    )
    expect(progress).to_have_count(0)
