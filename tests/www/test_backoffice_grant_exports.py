"""The accounting exports of the grants page: the certified requests to pay and a year's
statement, their rows in CSV, XLSX and ODS, a reviewer's arrondissements, bad input at its
field, and a 404 for whoever may not export."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from odf import teletype
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow

from guichet import clock
from guichet.grants import postaward
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import reviewer
from tests.grants.factories import AFTER_DEADLINE, FOLLOW_AT, engaged, expense, granted, invoice

pytestmark = pytest.mark.django_db
E = Decimal
CERTIFIED_AT = FOLLOW_AT + dt.timedelta(days=20)


@pytest.fixture
def books():
    """Billom (632): an instalment certified (2 000 €) with its EJ; Arconsat (635): lapsed."""
    billom, owner, people = granted()
    engaged(billom, owner, people)
    arconsat, _, _ = granted(people, code="63008", name="Arconsat")
    with clock.frozen(CERTIFIED_AT):
        request = postaward.request_payment(
            billom, owner, "instalment", E("2000"), [expense("2500")], [invoice()]
        )
        postaward.check_request(request, people.reviewer)
        postaward.certify(request, people.manager, E("2000"))
        postaward.record_legal_commitment(billom, people.manager, "2103456789", 2021, E("5000"))
    with clock.frozen(AFTER_DEADLINE):
        postaward.lapse(arconsat, people.manager)
    give_totp(people.manager)
    return billom, arconsat, people


def export(client, call, **params):
    url = reverse("backoffice:grants-export", args=[call.slug])
    with clock.frozen(AFTER_DEADLINE):
        return client.get(url, params)


def csv_rows(response):
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def xlsx_rows(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def ods_rows(response):
    (table,) = load(io.BytesIO(response.content)).spreadsheet.getElementsByType(Table)
    return [
        [teletype.extractText(c) for c in r.getElementsByType(TableCell)]
        for r in table.getElementsByType(TableRow)
    ]


REQUEST_HEADER = [
    "N° de dossier", "Collectivité", "SIREN", "Code de la collectivité",
    "N° d’engagement juridique", "N° de la demande", "Nature de la demande", "Montant dû",
    "Service fait certifié le", "Certifié par",
]  # fmt: skip
STATEMENT_HEADER = [
    "N° de dossier", "Collectivité", "SIREN", "Code de la collectivité", "Enveloppe",
    "Engagé (décidé)", "Libéré", "Dont caducité", "Versé", "Reste à verser", "État",
]  # fmt: skip


def test_the_certified_requests_in_csv(client, books):
    billom, _, people = books
    client.force_login(people.manager)
    r = export(client, people.call, quoi="paiements", format="csv")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"] == (
        f'attachment; filename="demandes-a-payer-{people.call.slug}-2022-01-03.csv"'
    )
    rows = csv_rows(r)
    assert rows[0] == REQUEST_HEADER
    assert rows[1:] == [[
        billom.dossier.number, "Billom", "216300400", "63040", "2103456789", "1", "Acompte",
        "2000,00", CERTIFIED_AT.strftime("%d/%m/%Y %H:%M"), "Paul Instructeur",
    ]]  # fmt: skip


def test_the_certified_requests_in_xlsx_and_ods(client, books):
    billom, _, people = books
    client.force_login(people.manager)
    rows = xlsx_rows(export(client, people.call, quoi="paiements", format="xlsx"))
    assert rows[0] == REQUEST_HEADER
    (row,) = rows[1:]
    assert row[:8] == [billom.dossier.number, "Billom", "216300400", "63040", "2103456789", 1,
                       "Acompte", 2000]  # fmt: skip
    assert row[8] == CERTIFIED_AT.replace(tzinfo=None)
    rows = ods_rows(export(client, people.call, quoi="paiements", format="ods"))
    assert rows[0] == REQUEST_HEADER
    assert rows[1][:7] == [billom.dossier.number, "Billom", "216300400", "63040", "2103456789",
                           "1", "Acompte"]  # fmt: skip


def test_a_year_statement_shows_the_lapse_apart_in_three_formats(client, books):
    billom, arconsat, people = books
    client.force_login(people.manager)
    rows = csv_rows(export(client, people.call, quoi="annee", enveloppe="2021", format="csv"))
    assert rows[0] == STATEMENT_HEADER
    assert rows[1:] == [
        [billom.dossier.number, "Billom", "216300400", "63040", "2021", "5000,00", "0,00",
         "0,00", "0,00", "5000,00", "Attribuée"],
        [arconsat.dossier.number, "Arconsat", "216300087", "63008", "2021", "5000,00",
         "5000,00", "5000,00", "0,00", "0,00", "Caduque"],
    ]  # fmt: skip
    rows = xlsx_rows(export(client, people.call, quoi="annee", enveloppe="2021", format="xlsx"))
    assert rows[2][4:] == [2021, 5000, 5000, 5000, 0, 0, "Caduque"]
    rows = ods_rows(export(client, people.call, quoi="annee", enveloppe="2021", format="ods"))
    assert [r[0] for r in rows[1:]] == [billom.dossier.number, arconsat.dossier.number]
    assert rows[2][-1] == "Caduque"
    # Another year has no grant: the header only.
    assert len(csv_rows(export(client, people.call, quoi="annee", enveloppe="2022",
                               format="csv"))) == 1  # fmt: skip


def test_a_reviewer_exports_their_arrondissements_only(client, books):
    _, _, people = books
    client.force_login(reviewer(arrondissements=("635",), email="thiers@puy-de-dome.gouv.fr"))
    assert len(csv_rows(export(client, people.call, quoi="paiements", format="csv"))) == 1
    rows = csv_rows(export(client, people.call, quoi="annee", enveloppe="2021", format="csv"))
    assert [r[1] for r in rows[1:]] == ["Arconsat"]
    # A committee member may export too (Do.EXPORT), the whole call.
    client.force_login(people.team.member)
    rows = csv_rows(export(client, people.call, quoi="annee", enveloppe="2021", format="csv"))
    assert len(rows) == 3


def error_at(html, name):
    match = re.search(rf'id="{name}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


@pytest.mark.parametrize("params, field, message", [
    ({"quoi": "paiements", "format": "pdf"}, "format", "Choisissez le format : CSV, XLSX ou ODS."),
    ({"quoi": "tout", "format": "csv"}, "quoi", "Choisissez le fichier à exporter."),
    ({"format": "csv"}, "quoi", "Choisissez le fichier à exporter."),
    ({"quoi": "annee", "format": "csv"}, "enveloppe", "Choisissez l’année de l’état annuel."),
    ({"quoi": "annee", "format": "csv", "enveloppe": "1999"}, "enveloppe",
     "Choisissez une année d’enveloppe de l’appel."),
    ({"quoi": "annee", "format": "csv", "enveloppe": "٢٠٢١"}, "enveloppe",
     "Choisissez une année d’enveloppe de l’appel."),
])  # fmt: skip
def test_bad_export_input_is_said_at_its_field_and_kept(client, books, params, field, message):
    _, _, people = books
    client.force_login(people.manager)
    r = export(client, people.call, **params)
    assert r.status_code == 400
    html = r.content.decode()
    assert message in error_at(html, field)
    assert 'id="grants-table"' in html  # the page comes back whole


def test_the_export_form_is_on_the_grants_page(client, books):
    _, _, people = books
    client.force_login(people.manager)
    html = client.get(reverse("backoffice:grants", args=[people.call.slug])).content.decode()
    assert reverse("backoffice:grants-export", args=[people.call.slug]) in html
    assert "Exports pour le service comptable" in html
