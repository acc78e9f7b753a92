"""Exports of the reviewers' list: what is exported (filters, columns, rights), the Export's
progress and failure, and the views (ask, follow, download), each file read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from itertools import count

import openpyxl
import pytest
from django.urls import reverse
from django.utils.http import urlencode
from odf import teletype
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers.models import CostLine, Dossier, Membership
from guichet.dossiers.workflow import State
from guichet.exports import services
from guichet.exports.models import Export, ExportStatus
from guichet.exports.writers import ExportFormat
from tests.dossiers.factories import REAL_CALL, agent, reviewer

pytestmark = pytest.mark.django_db

CREATE = reverse("backoffice:export-create")
TODAY = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
_numbers = count(1)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def call():
    return Call.objects.get(slug=REAL_CALL)


@pytest.fixture
def owner():
    return agent()


def make(call, owner, **fields):
    """A submitted dossier of the real call, written directly in its state."""
    n = next(_numbers)
    cost = fields.pop("cost", "8000")
    values = {
        "call": call,
        "number": f"63-2021-{n:04d}",
        "state": State.SUBMITTED,
        "created_by": owner,
        "applicant_kind": "commune",
        "applicant_code": "63103",
        "applicant_name": "Châtel-Guyon",
        "applicant_vintage": "2021",
        "arrondissement_code": "633",
        "title": "Maison France services — accès",
        "category": "3",
        "session": call.sessions.first(),
        "submitted_at": dt.datetime(2021, 6, 1, 8, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n),
        "eligible_at_submission": True,
        "maximum_amount": Decimal("20000"),
        "flat_amount": Decimal("20000"),
        "requested_amount": Decimal("12000.50"),
        "population_used": 6280,
        **fields,
    }
    dossier = Dossier.objects.create(**values)
    CostLine.objects.create(
        dossier=dossier,
        nature="Logiciel",
        amount_excl_vat=Decimal(cost),
        amount_incl_vat=Decimal(cost) * Decimal("1.2"),
    )
    Membership.objects.create(dossier=dossier, user=owner, role="owner")
    return dossier


def ask(client, fmt="xlsx", **params):
    retour = urlencode({"appel": REAL_CALL, **params}, doseq=True)
    return client.post(CREATE, {"format": fmt, "retour": retour})


def content(response):
    return b"".join(response.streaming_content)


def xlsx_rows(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


COLUMNS = {"choix_colonnes": "1", "colonnes": ["number", "applicant", "requested", "cost"]}


# ---------------------------------------------------------------- views: ask, download


def test_a_small_export_is_downloaded_at_once_with_the_chosen_columns(client, call, owner):
    make(call, owner)
    make(call, owner, applicant_name="Saint-Rémy-sur-Durolle", requested_amount=None)
    client.force_login(reviewer())
    response = ask(client, "xlsx", **COLUMNS)
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:export-download", args=[export.uuid])
    download = client.get(response["Location"])
    assert download.status_code == 200
    assert download["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert download["Content-Disposition"] == (
        'attachment; filename="dossiers-fitn7-axe3-puy-de-dome-2021-2026-11-28.xlsx"'
    )
    assert download["Cache-Control"] == "private, no-store"
    # The list's columns, in the list's order; the oldest submission first, as on the list.
    first, second = Dossier.objects.order_by("submitted_at")
    assert xlsx_rows(content(download)) == [
        ["Numéro", "Collectivité", "Coût HT", "Montant demandé"],
        [first.number, "Châtel-Guyon", 8000, 12000.5],
        [second.number, "Saint-Rémy-sur-Durolle", 8000, None],
    ]
    assert export.status == ExportStatus.DONE
    assert (export.rows_done, export.rows_total, export.format) == (2, 2, "xlsx")
    assert export.columns == ["number", "applicant", "cost", "requested"]


def test_csv_export_of_the_list_reads_back_in_french(client, call, owner):
    make(call, owner, cost="12000.50")
    client.force_login(reviewer())
    response = client.get(ask(client, "csv", **COLUMNS)["Location"])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('2026-11-28.csv"')
    data = content(response)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert lines == [
        {
            "Numéro": lines[0]["Numéro"],
            "Collectivité": "Châtel-Guyon",
            "Coût HT": "12000,50",
            "Montant demandé": "12000,50",
        }
    ]


def test_ods_export_of_the_list_reads_back_with_odfpy(client, call, owner):
    make(call, owner, title="Maison France services — accès")
    client.force_login(reviewer())
    response = client.get(
        ask(client, "ods", choix_colonnes="1", colonnes=["title", "requested", "submitted_at"])[
            "Location"
        ]
    )
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    doc = load(io.BytesIO(content(response)))
    (table,) = doc.spreadsheet.getElementsByType(Table)
    header, row = (
        [c for c in r.getElementsByType(TableCell)] for r in table.getElementsByType(TableRow)
    )
    assert [teletype.extractText(c) for c in header] == ["Projet", "Montant demandé", "Déposé le"]
    assert teletype.extractText(row[0]) == "Maison France services — accès"
    assert row[1].getAttribute("valuetype") == "currency"
    assert row[1].getAttribute("value") == "12000.5"
    assert row[2].getAttribute("valuetype") == "date"
    assert row[2].getAttribute("datevalue").startswith("2021-06-01T10:")  # Paris time


def test_the_list_filters_and_the_reviewers_arrondissements_are_applied(client, call, owner):
    ambert = make(call, owner, arrondissement_code="631", applicant_name="Ambert")
    make(call, owner, arrondissement_code="632", applicant_name="Billom")
    make(call, owner, arrondissement_code="631", state=State.IN_REVIEW)
    client.force_login(reviewer(arrondissements=("631",)))
    # The 632 dossier is never exported, even when asked for by its arrondissement.
    rows = xlsx_rows(content(client.get(ask(client, "xlsx", **COLUMNS)["Location"])))
    assert [r[0] for r in rows[1:]] == [ambert.number]
    # Asking for 632 by its arrondissement: the list ignores a value outside the reviewer's
    # choices, and so does the export.
    rows = xlsx_rows(
        content(client.get(ask(client, "xlsx", arrondissement="632", **COLUMNS)["Location"]))
    )
    assert [r[0] for r in rows[1:]] == [ambert.number]
    # A search narrows the export as it narrows the list; the tab too.
    rows = xlsx_rows(
        content(client.get(ask(client, "xlsx", onglet="en-instruction", **COLUMNS)["Location"]))
    )
    assert len(rows) == 2 and rows[1][0] != ambert.number


def test_nothing_to_export_says_so_in_french(client, call, owner):
    client.force_login(reviewer())
    response = ask(client, "csv")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "rien à exporter" in page.content.decode()
    assert not Export.objects.exists()


def test_an_unknown_format_is_refused_in_french(client, call, owner):
    make(call, owner)
    client.force_login(reviewer())
    response = ask(client, "pdf")
    assert response.status_code == 302
    assert "Choisissez le format" in client.get(response["Location"]).content.decode()
    assert not Export.objects.exists()


def test_only_agents_of_the_call_may_export(client, call, owner):
    make(call, owner)
    client.force_login(owner)  # an applicant's agent
    assert ask(client).status_code == 404
    client.force_login(reviewer())
    assert ask(client, appel="un-appel-inconnu").status_code == 404
    assert client.get(CREATE).status_code == 405
    client.logout()
    assert ask(client).status_code == 302  # to the sign-in page
    assert not Export.objects.exists()


def test_an_export_is_seen_and_downloaded_by_its_creator_only(client, call, owner):
    make(call, owner)
    creator = reviewer()
    client.force_login(creator)
    ask(client)
    export = Export.objects.get()
    status = reverse("backoffice:export", args=[export.uuid])
    download = reverse("backoffice:export-download", args=[export.uuid])
    assert client.get(status).status_code == 200
    client.force_login(reviewer())  # a colleague with the same rights
    assert client.get(status).status_code == 404
    assert client.get(download).status_code == 404
    # The creator who lost their role in the call loses the file too.
    creator.agent_roles.all().delete()
    client.force_login(creator)
    assert client.get(download).status_code == 404


# ---------------------------------------------------------------- background: progress, failure


def test_a_large_export_is_queued_and_its_page_shows_the_progress_then_the_link(
    client, call, owner, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "SYNC_MAX_ROWS", 1)
    for _ in range(3):
        make(call, owner)
    client.force_login(reviewer())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = ask(client, "ods")
    export = Export.objects.get()
    status_url = reverse("backoffice:export", args=[export.uuid])
    assert response.status_code == 302 and response["Location"] == status_url
    assert (export.status, export.rows_total) == (ExportStatus.QUEUED, 3)

    # Before the worker: the page polls every second and refreshes itself without JavaScript.
    html = client.get(status_url).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "en attente" in html

    # While running: the progress bar, as an htmx fragment.
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, rows_done=1)
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="export-status"')
    assert 'aria-valuenow="33"' in fragment and "1 dossier sur 3" in fragment
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED, rows_done=0)

    assert len(callbacks) == 1
    callbacks[0]()  # the task, on the immediate backend
    export.refresh_from_db()
    assert (export.status, export.rows_done, export.rows_total) == (ExportStatus.DONE, 3, 3)
    assert export.finished_at == TODAY and export.size > 0
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and "Votre export est prêt" in fragment
    link = reverse("backoffice:export-download", args=[export.uuid])
    assert f'href="{link}"' in fragment
    assert client.get(link).status_code == 200


def test_progress_is_written_as_rows_are_exported(tmp_path, call, owner):
    for _ in range(5):
        make(call, owner)
    user = reviewer()
    queryset, columns = services.selection({}, user, call, ["number"])
    export = services.create_export(user, call, ExportFormat.CSV, {}, ["number"], 5)
    seen = []

    def progress(done):
        Export.objects.filter(pk=export.pk).update(rows_done=done)
        seen.append(Export.objects.get(pk=export.pk).rows_done)

    written = services.write_export(
        "csv", queryset, columns, tmp_path / "x.csv", on_progress=progress, every=2
    )
    assert written == 5
    assert seen == [2, 4]


def test_a_failure_marks_the_export_failed_with_a_french_message(client, call, owner, monkeypatch):
    make(call, owner)
    client.force_login(reviewer())

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(services, "write_table", broken)
    response = ask(client, "xlsx")
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:export", args=[export.uuid])
    assert export.status == ExportStatus.FAILED and export.finished_at == TODAY
    assert export.error.startswith("L’export n’a pas pu être produit")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "L’export a échoué" in page.content.decode()
    assert "hx-trigger" not in page.content.decode()
    download = reverse("backoffice:export-download", args=[export.uuid])
    assert client.get(download).status_code == 404
    assert not export.file


def test_the_task_respects_the_rights_of_the_moment_it_runs(call, owner):
    make(call, owner, arrondissement_code="631")
    user = reviewer()
    export = services.create_export(user, call, ExportFormat.XLSX, {"appel": [call.slug]}, [], 1)
    user.agent_roles.all().delete()
    user._agent_roles = None
    from guichet.exports.tasks import build_export

    result = build_export.enqueue(export.pk)
    export.refresh_from_db()
    assert result.return_value == ExportStatus.FAILED == export.status
    assert "plus le droit" in export.error
    # A finished export is never built twice.
    assert services.build(export.pk).status == ExportStatus.FAILED


def test_write_export_needs_no_request(tmp_path, call, owner):
    from guichet.review import listing

    make(call, owner, applicant_name="Saint-Rémy-sur-Durolle", cost="8000.50")
    keys = ("number", "applicant", "session", "category", "cost", "assignee", "submitted_at")
    columns = [listing.COLUMNS[k] for k in keys]
    queryset = listing.annotate(Dossier.objects.filter(call=call), call)
    assert services.write_export("xlsx", queryset, columns, tmp_path / "x.xlsx") == 1
    header, row = xlsx_rows((tmp_path / "x.xlsx").read_bytes())
    assert header == [listing.COLUMNS[k].label for k in keys]
    dossier = Dossier.objects.get()
    assert row == [
        dossier.number, "Saint-Rémy-sur-Durolle", dossier.session.label,
        listing.COLUMNS["category"].value(dossier), 8000.5, None, dt.datetime(2021, 6, 1, 10, row[6].minute),
    ]  # fmt: skip
