"""The three writers, each file read back: French characters, amounts, dates and empty values."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from odf import teletype
from odf.namespaces import OFFICENS
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow

from guichet.exports.writers import (
    ExportFormat,
    Field,
    Kind,
    write_csv,
    write_ods,
    write_table,
    write_xlsx,
)

FIELDS = [
    Field("Numéro"),
    Field("Collectivité", width=30),
    Field("Projet"),
    Field("Montant demandé", Kind.MONEY),
    Field("Note", Kind.NUMBER),
    Field("Population", Kind.INTEGER),
    Field("Engagement", Kind.DATE),
    Field("Déposé le", Kind.DATETIME),
]
# 8:05 UTC on 1 June 2021 is 10:05 in Paris (summer time).
SUBMITTED = dt.datetime(2021, 6, 1, 8, 5, tzinfo=dt.UTC)
ROWS = [
    [
        "63-2021-0001",
        "Châtel-Guyon",
        "Maison France services — accès",
        Decimal("12000.50"),
        Decimal("14.25"),
        6280,
        dt.date(2021, 9, 1),
        SUBMITTED,
    ],
    [
        "63-2021-0002",
        "Saint-Rémy-sur-Durolle",
        '=HYPERLINK("http://x")  deux espaces\nune ligne',
        Decimal("5000"),
        None,
        None,
        None,
        None,
    ],
    ["63-2021-0003", "Thiers", "", Decimal("0.5"), Decimal("3"), 0, dt.date(2022, 1, 31), None],
]


def test_csv_opens_in_a_french_spreadsheet():
    out = io.BytesIO()
    assert write_csv(out, FIELDS, ROWS) == 3
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel the file is UTF-8
    assert data.count(b"\r\n") == 4  # header and three rows; a line break in a cell stays LF
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert lines[0] == [
        "Numéro", "Collectivité", "Projet", "Montant demandé", "Note", "Population",
        "Engagement", "Déposé le",
    ]  # fmt: skip
    assert lines[1] == [
        "63-2021-0001", "Châtel-Guyon", "Maison France services — accès", "12000,50", "14,25",
        "6280", "01/09/2021", "01/06/2021 10:05",
    ]  # fmt: skip
    # A text a spreadsheet would run as a formula is defused; line breaks stay inside the cell.
    assert lines[2][2] == '\'=HYPERLINK("http://x")  deux espaces\nune ligne'
    assert lines[2][3:] == ["5000,00", "", "", "", ""]
    assert lines[3][2:] == ["", "0,50", "3,00", "0", "31/01/2022", ""]
    assert len(lines) == 4


def test_xlsx_read_back_with_openpyxl(tmp_path):
    path = tmp_path / "export.xlsx"
    assert write_xlsx(path, FIELDS, ROWS) == 3
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Dossiers"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert [c.value for c in sheet[1]] == [f.label for f in FIELDS]
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width
    first = [c.value for c in sheet[2]]
    assert first == [
        "63-2021-0001", "Châtel-Guyon", "Maison France services — accès", 12000.5, 14.25, 6280,
        dt.datetime(2021, 9, 1), dt.datetime(2021, 6, 1, 10, 5),
    ]  # fmt: skip
    amount, score, population, engagement, submitted = sheet[2][3:]
    assert population.number_format == "0"
    assert amount.data_type == "n" and "€" in amount.number_format
    assert score.number_format == "0.00"
    assert engagement.is_date and engagement.number_format == "dd/mm/yyyy"
    assert submitted.is_date and submitted.number_format.startswith("dd/mm/yyyy")
    second = sheet[3]
    # Stays a text, never a formula.
    assert second[2].data_type == "s"
    assert second[2].value == '=HYPERLINK("http://x")  deux espaces\nune ligne'
    assert [c.value for c in second[4:]] == [None, None, None, None]
    assert [c.value for c in sheet[4]][2:] == [
        None, 0.5, 3, 0, dt.datetime(2022, 1, 31), None,
    ]  # fmt: skip
    assert sheet.max_row == 4


def _ods_rows(path):
    doc = load(str(path))
    (table,) = doc.spreadsheet.getElementsByType(Table)
    rows = []
    for row in table.getElementsByType(TableRow):
        cells = []
        for cell in row.getElementsByType(TableCell):
            kind = cell.attributes.get((OFFICENS, "value-type"))
            value = cell.attributes.get((OFFICENS, "value")) or cell.attributes.get(
                (OFFICENS, "date-value")
            )
            cells.append((kind, value, teletype.extractText(cell)))
        rows.append(cells)
    return rows


def test_ods_read_back_with_odfpy(tmp_path):
    path = tmp_path / "export.ods"
    assert write_ods(path, FIELDS, ROWS) == 3
    with zipfile.ZipFile(path) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert b'config:name="VerticalSplitMode"' in zf.read("settings.xml")  # header frozen
    rows = _ods_rows(path)
    assert [text for _, _, text in rows[0]] == [f.label for f in FIELDS]
    assert rows[1] == [
        ("string", None, "63-2021-0001"),
        ("string", None, "Châtel-Guyon"),
        ("string", None, "Maison France services — accès"),
        ("currency", "12000.5", "12\u202f000,50 €"),
        ("float", "14.25", "14,25"),
        ("float", "6280", "6\u202f280"),
        ("date", "2021-09-01", "01/09/2021"),
        ("date", "2021-06-01T10:05:00", "01/06/2021 10:05"),
    ]
    # Runs of spaces and line breaks survive; a formula-looking text is a plain string.
    assert rows[2][2] == (
        "string",
        None,
        '=HYPERLINK("http://x")  deux espaces\nune ligne',
    )
    assert rows[2][3] == ("currency", "5000", "5\u202f000,00 €")
    assert rows[2][4:] == [(None, None, "")] * 4
    assert rows[3][3:6] == [
        ("currency", "0.5", "0,50 €"),
        ("float", "3", "3,00"),
        ("float", "0", "0"),
    ]


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_no_row_still_gives_a_valid_file_with_its_header(tmp_path, fmt):
    path = tmp_path / f"vide.{fmt}"
    assert write_table(fmt, path, FIELDS, []) == 0
    if fmt == ExportFormat.XLSX:
        sheet = openpyxl.load_workbook(path).active
        assert [c.value for c in sheet[1]] == [f.label for f in FIELDS]
        assert sheet.max_row == 1
    elif fmt == ExportFormat.ODS:
        assert [t for _, _, t in _ods_rows(path)[0]] == [f.label for f in FIELDS]
    else:
        assert path.read_bytes() == ("\ufeff" + ";".join(f.label for f in FIELDS) + "\r\n").encode()


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_control_characters_pasted_in_a_text_are_dropped(tmp_path, fmt):
    path = tmp_path / f"c.{fmt}"
    write_table(fmt, path, [Field("Projet")], [["Accès\x0b au\x01 guichet"]])
    if fmt == ExportFormat.XLSX:
        assert openpyxl.load_workbook(path).active["A2"].value == "Accès au guichet"
    elif fmt == ExportFormat.ODS:
        assert _ods_rows(path)[1] == [("string", None, "Accès au guichet")]
    else:
        assert path.read_bytes().decode("utf-8-sig").splitlines()[1] == "Accès au guichet"
