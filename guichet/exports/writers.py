"""Spreadsheet writers: CSV for French spreadsheets, XLSX and ODS, streamed row by row.

Every writer takes the header (``Field``: a French label, a kind, a width) and an iterable of
rows (one Python value per field) and writes them without holding the table in memory:

- CSV: UTF-8 with a BOM, ``;`` between fields, CRLF; amounts as ``12000,50`` (a comma, no
  thousands separator: what LibreOffice and Excel in French read back as a number); dates
  ``JJ/MM/AAAA``; a text that a spreadsheet would take for a formula gets a leading ``'``.
- XLSX: the sheet's XML is written into the zip as rows come (openpyxl's write-only mode,
  without lxml, needs about 57 s for 100 000 rows × 10 columns; this writer about 10 s); numbers
  are numbers with a euro or decimal format, dates are dates; bold, frozen header; column widths.
- ODS: ``content.xml`` is written by hand into the zip as rows come (odfpy would build the whole
  document in memory: 2 GB resident and 5 minutes for 100 000 rows × 10 columns). Cells are typed (currency and
  float with ``office:value``, dates with ``office:date-value``, strings); bold, frozen header.

Values: ``None`` and ``""`` are empty cells; ``Decimal``/``int`` numbers; ``date``; aware
``datetime`` (shown in Paris time); ``bool`` (« Oui » / « Non »); anything else is text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from guichet.clock import PARIS


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"  # two decimals, not money (an average score)
    MONEY = "money"  # euros
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Field:
    """One column of the file: its French header, the kind of its values, its width in characters."""

    label: str
    kind: Kind = Kind.TEXT
    width: int = 0  # 0: from the label and the kind

    @property
    def chars(self) -> int:
        if self.width:
            return self.width
        floor = {Kind.MONEY: 14, Kind.DATE: 12, Kind.DATETIME: 17, Kind.TEXT: 12}.get(self.kind, 8)
        return min(max(len(self.label) + 2, floor), 60)


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    ODS = "ods"

    @property
    def label(self) -> str:
        return {"csv": "CSV", "xlsx": "Excel (XLSX)", "ods": "OpenDocument (ODS)"}[self.value]

    @property
    def mime_type(self) -> str:
        return {
            "csv": "text/csv; charset=utf-8",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "ods": "application/vnd.oasis.opendocument.spreadsheet",
        }[self.value]


# Characters XML 1.0 forbids (and openpyxl refuses): dropped from every text.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Texts a spreadsheet would run as a formula when opening a CSV (OWASP « CSV injection »).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = Sequence[Any]


def clean_text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return _ILLEGAL_XML.sub("", text)


def _paris(value: dt.datetime) -> dt.datetime:
    """Wall-clock Paris time without a zone (spreadsheets have no time zones)."""
    if value.tzinfo is not None:
        value = value.astimezone(PARIS)
    return value.replace(tzinfo=None, microsecond=0)


def _boolean(value: Any) -> str:
    return "Oui" if value else "Non"


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


# ---------------------------------------------------------------------------------------------
# CSV


def _csv_decimal(value: Any, places: int) -> str:
    return f"{Decimal(value):.{places}f}".replace(".", ",")


def _csv_cell(kind: Kind) -> Callable[[Any], str]:
    def text(value: Any) -> str:
        s = clean_text(value)
        return "'" + s if s.startswith(_FORMULA_START) else s

    def typed(value: Any) -> str:
        if isinstance(value, bool):
            return _boolean(value)
        if isinstance(value, dt.datetime):
            return _paris(value).strftime("%d/%m/%Y %H:%M")
        if isinstance(value, dt.date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Decimal | float):
            return _csv_decimal(value, 0 if kind is Kind.INTEGER else 2)
        return text(value)

    convert = text if kind is Kind.TEXT else typed
    return lambda value: "" if _is_empty(value) else convert(value)


def write_csv(out: IO[bytes], fields: Sequence[Field], rows: Iterable[Row]) -> int:
    """Write the CSV to a binary stream; return the number of rows (header excluded)."""
    stream = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        writer.writerow([clean_text(f.label) for f in fields])
        cells = [_csv_cell(f.kind) for f in fields]
        count = 0
        for row in rows:
            writer.writerow([cell(v) for cell, v in zip(cells, row, strict=True)])
            count += 1
        stream.flush()
    finally:
        stream.detach()  # leave ``out`` open for the caller
    return count


# ---------------------------------------------------------------------------------------------
# XLSX
#
# Written by hand, as the ODS: openpyxl's write-only mode builds an element per cell and, without
# lxml, serialises it in pure Python (about 57 s for 100 000 rows × 10 columns before any database
# work, against 10 s here). openpyxl reads these files back in the tests.

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_TEXT = 32_767  # Excel's limit for one cell

# Number formats of the cells, by kind (the « s » index into cellXfs below).
XLSX_FORMATS = {
    Kind.MONEY: '#,##0.00\\ "€"',
    Kind.NUMBER: "0.00",
    Kind.INTEGER: "0",
    Kind.DATE: "dd/mm/yyyy",
    Kind.DATETIME: "dd/mm/yyyy\\ hh:mm",
}
_XLSX_STYLE = {
    Kind.MONEY: 2,
    Kind.NUMBER: 3,
    Kind.INTEGER: 4,
    Kind.DATE: 5,
    Kind.DATETIME: 6,
}
_XLSX_HEADER_STYLE = 1
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _xlsx_styles() -> str:
    def xf(num_fmt: int, extra: str = "") -> str:
        return (
            f'<xf numFmtId="{num_fmt}" fontId="0" fillId="0" borderId="0" xfId="0"'
            f' applyNumberFormat="1"{extra}/>'
        )

    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<styleSheet xmlns="{_MAIN}">'
        '<numFmts count="3">'
        f'<numFmt numFmtId="164" formatCode={quoteattr(XLSX_FORMATS[Kind.MONEY])}/>'
        f'<numFmt numFmtId="165" formatCode={quoteattr(XLSX_FORMATS[Kind.DATE])}/>'
        f'<numFmt numFmtId="166" formatCode={quoteattr(XLSX_FORMATS[Kind.DATETIME])}/>'
        "</numFmts>"
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="7">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"'
        ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
        + xf(164)
        + xf(2)
        + xf(1)
        + xf(165)
        + xf(166)
        + "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _member(name: str) -> zipfile.ZipInfo:
    """A zip member written as a stream, dated now and compressed."""
    info = zipfile.ZipInfo(name, date_time=dt.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xlsx_text(value: Any) -> str:
    text = clean_text(value)[:XLSX_MAX_TEXT]
    return f'<is><t xml:space="preserve">{escape(text)}</t></is>'


def _xlsx_cell(kind: Kind, letter: str) -> Callable[[Any, int], str]:
    style = _XLSX_STYLE.get(kind, 0)
    s = f' s="{style}"' if style else ""

    def cell(value: Any, row: int) -> str:
        if _is_empty(value):
            return ""
        if isinstance(value, bool):
            return f'<c r="{letter}{row}" t="inlineStr">{_xlsx_text(_boolean(value))}</c>'
        if isinstance(value, dt.datetime):
            serial = (_paris(value) - _EXCEL_EPOCH) / dt.timedelta(days=1)
            return f'<c r="{letter}{row}" s="{_XLSX_STYLE[Kind.DATETIME]}"><v>{serial!r}</v></c>'
        if isinstance(value, dt.date):
            serial = (value - _EXCEL_EPOCH.date()).days
            return f'<c r="{letter}{row}" s="{_XLSX_STYLE[Kind.DATE]}"><v>{serial}</v></c>'
        if isinstance(value, int | Decimal | float):
            return f'<c r="{letter}{row}"{s}><v>{_plain(Decimal(value))}</v></c>'
        # A string stays a string, even « =1+1 »: inline strings are never formulas.
        return f'<c r="{letter}{row}" t="inlineStr">{_xlsx_text(value)}</c>'

    return cell


def write_xlsx(path: str | Path, fields: Sequence[Field], rows: Iterable[Row]) -> int:
    """Write an XLSX workbook at ``path``, streaming the sheet; return the row count."""
    letters = [_column_letter(i) for i in range(len(fields))]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            "</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "docProps/core.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            "<dc:creator>guichet</dc:creator><dc:title>Dossiers</dc:title>"
            "</cp:coreProperties>",
        )
        zf.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name={quoteattr(SHEET_NAME)} sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        zf.writestr("xl/styles.xml", _xlsx_styles())
        with zf.open(_member("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as sheet:
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{f.chars + 1.7:.1f}" customWidth="1"/>'
                for i, f in enumerate(fields, start=1)
            )
            header = "".join(
                f'<c r="{letter}1" s="{_XLSX_HEADER_STYLE}" t="inlineStr">{_xlsx_text(f.label)}</c>'
                for letter, f in zip(letters, fields, strict=True)
            )
            sheet.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
                    '<sheetViews><sheetView workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                    "</sheetView></sheetViews>"
                    '<sheetFormatPr defaultRowHeight="15"/>'
                    f"{'<cols>' + cols + '</cols>' if cols else ''}"
                    f'<sheetData><row r="1">{header}</row>'
                ).encode()
            )
            cells = [_xlsx_cell(f.kind, letter) for f, letter in zip(fields, letters, strict=True)]
            buffer: list[str] = []
            count = 0
            for count, row in enumerate(rows, start=1):
                number = count + 1
                buffer.append(f'<row r="{number}">')
                buffer.extend(cell(v, number) for cell, v in zip(cells, row, strict=True))
                buffer.append("</row>")
                if len(buffer) > 20_000:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
            buffer.append("</sheetData></worksheet>")
            sheet.write("".join(buffer).encode())
    return count


# ---------------------------------------------------------------------------------------------
# ODS

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
SHEET_NAME = "Dossiers"


def _xmlns(*prefixes: str) -> str:
    return " ".join(f'xmlns:{p}="{_NS[p]}"' for p in prefixes)


_ODS_STYLES = """
<number:currency-style style:name="N_EUR"><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/><number:text> </number:text><number:currency-symbol number:language="fr" number:country="FR">€</number:currency-symbol></number:currency-style>
<number:number-style style:name="N_DEC"><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1"/></number:number-style>
<number:number-style style:name="N_INT"><number:number number:decimal-places="0" number:min-integer-digits="1"/></number:number-style>
<number:date-style style:name="N_DATE"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>
<number:date-style style:name="N_DATETIME"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:date-style>
<style:style style:name="ce_head" style:family="table-cell"><style:table-cell-properties fo:wrap-option="wrap" style:vertical-align="top"/><style:text-properties fo:font-weight="bold" style:font-weight-asian="bold" style:font-weight-complex="bold"/></style:style>
<style:style style:name="ce_money" style:family="table-cell" style:data-style-name="N_EUR"/>
<style:style style:name="ce_number" style:family="table-cell" style:data-style-name="N_DEC"/>
<style:style style:name="ce_integer" style:family="table-cell" style:data-style-name="N_INT"/>
<style:style style:name="ce_date" style:family="table-cell" style:data-style-name="N_DATE"/>
<style:style style:name="ce_datetime" style:family="table-cell" style:data-style-name="N_DATETIME"/>
<style:style style:name="ro_head" style:family="table-row"><style:table-row-properties style:use-optimal-row-height="true"/></style:style>
"""


_SPACES = re.compile(" {2,}|^ +| +$")


def _ods_text(value: str) -> str:
    """A string as ``<text:p>`` content: spaces, tabs and line breaks kept as ODF requires."""
    paragraphs = []
    for line in clean_text(value).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        out = escape(line).replace("\t", "<text:tab/>")
        # ODF collapses runs of spaces and drops them at both ends: count them explicitly.
        out = _SPACES.sub(lambda m: f'<text:s text:c="{len(m.group())}"/>', out)
        paragraphs.append(out)
    return "<text:line-break/>".join(paragraphs)


def _ods_cell(kind: Kind) -> Callable[[Any], str]:
    style = {
        Kind.MONEY: ' table:style-name="ce_money"',
        Kind.NUMBER: ' table:style-name="ce_number"',
        Kind.INTEGER: ' table:style-name="ce_integer"',
    }.get(kind, "")

    def string(value: Any) -> str:
        return f'<table:table-cell office:value-type="string"><text:p>{_ods_text(value)}</text:p></table:table-cell>'

    def cell(value: Any) -> str:
        if _is_empty(value):
            return "<table:table-cell/>"
        if isinstance(value, bool):
            return string(_boolean(value))
        if isinstance(value, dt.datetime):
            local = _paris(value)
            return (
                '<table:table-cell table:style-name="ce_datetime" office:value-type="date" '
                f'office:date-value="{local.isoformat()}"><text:p>'
                f"{local:%d/%m/%Y %H:%M}</text:p></table:table-cell>"
            )
        if isinstance(value, dt.date):
            return (
                '<table:table-cell table:style-name="ce_date" office:value-type="date" '
                f'office:date-value="{value.isoformat()}"><text:p>{value:%d/%m/%Y}</text:p>'
                "</table:table-cell>"
            )
        if isinstance(value, int | Decimal | float) and kind is Kind.MONEY:
            number = Decimal(value)
            return (
                f'<table:table-cell{style} office:value-type="currency" office:currency="EUR" '
                f'office:value="{_plain(number)}"><text:p>{_french(number, 2)} €</text:p>'
                "</table:table-cell>"
            )
        if isinstance(value, int | Decimal | float):
            number = Decimal(value)
            places = 0 if kind is Kind.INTEGER or isinstance(value, int) else 2
            return (
                f'<table:table-cell{style} office:value-type="float" '
                f'office:value="{_plain(number)}"><text:p>{_french(number, places)}</text:p>'
                "</table:table-cell>"
            )
        return string(value)

    return cell


def _plain(number: Decimal) -> str:
    """``office:value``: an xsd:double without exponent (``12000.5``)."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _french(number: Decimal, places: int) -> str:
    """« 12 000,50 » as LibreOffice would show it (narrow no-break space between thousands)."""
    whole, _, cents = f"{number:,.{places}f}".partition(".")
    whole = whole.replace(",", "\u202f")
    return f"{whole},{cents}" if cents else whole


def write_ods(path: str | Path, fields: Sequence[Field], rows: Iterable[Row]) -> int:
    """Write an ODS spreadsheet at ``path``, streaming ``content.xml``; return the row count."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        # The mimetype comes first, stored, so that a reader recognises the file by its bytes.
        zf.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", _manifest())
        zf.writestr("styles.xml", _styles())
        zf.writestr("meta.xml", _meta())
        zf.writestr("settings.xml", _settings())
        with zf.open(_member("content.xml"), "w", force_zip64=True) as content:
            count = _write_content(content, fields, rows)
    return count


def _write_content(out: IO[bytes], fields: Sequence[Field], rows: Iterable[Row]) -> int:
    columns = "".join(
        f'<style:style style:name="co{i}" style:family="table-column">'
        f'<style:table-column-properties style:column-width="{f.chars * 0.21 + 0.2:.2f}cm"/>'
        "</style:style>"
        for i, f in enumerate(fields)
    )
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-content {_xmlns('office', 'style', 'text', 'table', 'fo', 'number')}"
        ' office:version="1.2">'
        f"<office:automatic-styles>{_ODS_STYLES}{columns}</office:automatic-styles>"
        "<office:body><office:spreadsheet>"
        f"<table:table table:name={quoteattr(SHEET_NAME)}>"
        + "".join(f'<table:table-column table:style-name="co{i}"/>' for i in range(len(fields)))
        + '<table:table-header-rows><table:table-row table:style-name="ro_head">'
        + "".join(
            '<table:table-cell table:style-name="ce_head" office:value-type="string">'
            f"<text:p>{_ods_text(f.label)}</text:p></table:table-cell>"
            for f in fields
        )
        + "</table:table-row></table:table-header-rows>"
    )
    out.write(head.encode())
    cells = [_ods_cell(f.kind) for f in fields]
    buffer: list[str] = []
    count = 0
    for row in rows:
        buffer.append("<table:table-row>")
        buffer.extend(cell(v) for cell, v in zip(cells, row, strict=True))
        buffer.append("</table:table-row>")
        count += 1
        if len(buffer) > 20_000:
            out.write("".join(buffer).encode())
            buffer.clear()
    if not count:
        # A table needs at least one row after its header rows to be valid in every reader.
        buffer.append(
            f'<table:table-row><table:table-cell table:number-columns-repeated="{max(len(fields), 1)}"/></table:table-row>'
        )
    buffer.append("</table:table></office:spreadsheet></office:body></office:document-content>")
    out.write("".join(buffer).encode())
    return count


def _manifest() -> str:
    entries = "".join(
        f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
        for name in ("content.xml", "styles.xml", "meta.xml", "settings.xml")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<manifest:manifest {_xmlns("manifest")} manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        f'manifest:media-type="{ODS_MIMETYPE}"/>{entries}</manifest:manifest>'
    )


def _styles() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-styles {_xmlns('office', 'style', 'fo', 'number')}"
        ' office:version="1.2"><office:styles>'
        '<style:default-style style:family="table-cell">'
        '<style:text-properties fo:language="fr" fo:country="FR"/></style:default-style>'
        '<style:style style:name="Default" style:family="table-cell"/>'
        "</office:styles></office:document-styles>"
    )


def _meta() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-meta {_xmlns("office", "meta")} office:version="1.2">'
        "<office:meta><meta:generator>guichet</meta:generator></office:meta>"
        "</office:document-meta>"
    )


def _settings() -> str:
    """The header row frozen (LibreOffice's view settings: split mode 2 is « figer »)."""

    def item(name: str, kind: str, value: str) -> str:
        return f'<config:config-item config:name="{name}" config:type="{kind}">{value}</config:config-item>'

    table = "".join(
        [
            item("VerticalSplitMode", "short", "2"),
            item("VerticalSplitPosition", "int", "1"),
            item("ActiveSplitRange", "short", "2"),
            item("PositionTop", "int", "0"),
            item("PositionBottom", "int", "1"),
        ]
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-settings {_xmlns("office", "config")} office:version="1.2">'
        '<office:settings><config:config-item-set config:name="ooo:view-settings">'
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        + item("ViewId", "string", "view1")
        + '<config:config-item-map-named config:name="Tables">'
        f"<config:config-item-map-entry config:name={quoteattr(SHEET_NAME)}>{table}"
        "</config:config-item-map-entry></config:config-item-map-named>"
        + item("ActiveTable", "string", SHEET_NAME)
        + "</config:config-item-map-entry></config:config-item-map-indexed>"
        "</config:config-item-set></office:settings></office:document-settings>"
    )


WRITERS: dict[ExportFormat, Callable[[str | Path, Sequence[Field], Iterable[Row]], int]] = {
    ExportFormat.XLSX: write_xlsx,
    ExportFormat.ODS: write_ods,
}


def write_table(
    fmt: ExportFormat | str, path: str | Path, fields: Sequence[Field], rows: Iterable[Row]
) -> int:
    """Write ``rows`` at ``path`` in ``fmt``; return the number of rows written."""
    fmt = ExportFormat(fmt)
    if fmt is ExportFormat.CSV:
        with open(path, "wb") as out:
            return write_csv(out, fields, rows)
    return WRITERS[fmt](path, fields, rows)
