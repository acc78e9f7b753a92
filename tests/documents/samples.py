"""Small real files of every accepted format, built in memory."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_bytes(
    text: str = "Devis signé",
    *,
    padding: int = 0,
    catalog_extra: bytes = b"",
    page_extra: bytes = b"",
    objects_extra: tuple[bytes, ...] = (),
) -> bytes:
    """A minimal valid one-page PDF written by hand, with a correct cross-reference table.

    ``padding`` adds a comment line of that many bytes (line break included) after the header;
    ``catalog_extra`` and ``page_extra`` are written into the catalog's and the page's
    dictionaries; ``objects_extra`` are more objects, numbered from 6.
    """
    stream = f"BT /F1 12 Tf 72 720 Td ({text.encode('latin-1').decode('latin-1')}) Tj ET".encode(
        "latin-1"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page_extra + b">>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *objects_extra,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    if padding:
        out.write(b"%" + b"x" * (padding - 2) + b"\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def pypdf_bytes(build) -> bytes:
    """A PDF written by pypdf: ``build(writer)`` adds to a copy of :func:`pdf_bytes`."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (0, 0, 145))
    for x in range(size[0]):
        image.putpixel((x, x % size[1]), (225, 0, 15))
    image.save(out, format=fmt)
    return out.getvalue()


def zip_bytes(members: list[tuple[str, bytes]], *, stored_first: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(members):
            method = zipfile.ZIP_STORED if index == 0 and stored_first else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return out.getvalue()


def odf_bytes(mimetype: bytes = ODT_MIMETYPE) -> bytes:
    return zip_bytes(
        [
            ("mimetype", mimetype),
            ("content.xml", b'<?xml version="1.0"?><office:document-content/>'),
            ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest:manifest/>'),
        ]
    )


def odt_bytes() -> bytes:
    """A real ODT written by odfpy."""
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    document.text.addElement(P(text="Délibération du conseil municipal"))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def ods_bytes() -> bytes:
    """A real ODS written by odfpy."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Budget")
    row = TableRow()
    cell = TableCell()
    cell.addElement(P(text="Coût du projet"))
    row.addElement(cell)
    table.addElement(row)
    document.spreadsheet.addElement(table)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    """A real XLSX written by openpyxl."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = "Plan de financement"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/>'
    "</Types>"
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def docx_bytes(main_content_type: str = DOCX_MAIN, *, extra: list[tuple[str, bytes]] = ()) -> bytes:
    """A minimal DOCX (the members Word needs), written with zipfile."""
    return zip_bytes(
        [
            (
                "[Content_Types].xml",
                _CONTENT_TYPES.format(
                    part="word/document.xml", content_type=main_content_type
                ).encode(),
            ),
            (
                "_rels/.rels",
                b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                b"openxmlformats.org/officeDocument/2006/relationships/officeDocument"
                b'" Target="word/document.xml"/></Relationships>',
            ),
            (
                "word/document.xml",
                '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Devis signé</w:t></w:r>'
                "</w:p></w:body></w:document>".encode(),
            ),
            *extra,
        ],
        stored_first=False,
    )


def xlsm_bytes() -> bytes:
    """An XLSX renamed from a macro-enabled workbook: its content type says so."""
    return zip_bytes(
        [
            (
                "[Content_Types].xml",
                _CONTENT_TYPES.format(part="xl/workbook.xml", content_type=XLSM_MAIN).encode(),
            ),
            ("xl/workbook.xml", b'<?xml version="1.0"?><workbook/>'),
            ("xl/vbaProject.bin", b"\x00" * 64),
        ],
        stored_first=False,
    )


VALID_FILES = {
    "pdf": ("devis signé.pdf", pdf_bytes),
    "odt": ("délibération.odt", odt_bytes),
    "docx": ("contrat.docx", docx_bytes),
    "ods": ("budget.ods", ods_bytes),
    "xlsx": ("plan de financement.xlsx", xlsx_bytes),
    "png": ("rib.png", lambda: image_bytes("PNG")),
    "jpeg": ("photo.jpg", lambda: image_bytes("JPEG")),
}


def deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream that inflates to ``size`` zero bytes (a multiple of 1 MiB), and the
    CRC-32 of those bytes, built in a fraction of a second: after a full flush the compressor
    starts afresh, so one mebibyte's compressed block is repeated."""
    import zlib

    block = b"\x00" * (1024 * 1024)
    assert size % len(block) == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert repeated == again
    count = size // len(block)
    stream = first + repeated * (count - 1) + compressor.flush()
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    return stream, crc


def raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A ZIP written byte by byte: ``(name, deflated data, crc, declared size, method)``.

    Whatever the declared size says, the data is what the member really inflates to: a sample
    may lie about its size as a hostile file does.
    """
    import struct

    out = io.BytesIO()
    central = io.BytesIO()
    for name, data, crc, declared, method in members:
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(data),
                declared,
                len(encoded),
                0,
            )
            + encoded
            + data
        )
        central.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(data),
                declared,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    directory = central.getvalue()
    out.write(directory)
    out.write(
        struct.pack(
            "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), start, 0
        )
    )
    return out.getvalue()


def stored(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    import zlib

    return (name, data, zlib.crc32(data), len(data), 0)


def xlsx_expanding_to(size: int, *, declared: int | None = None) -> bytes:
    """An XLSX (the parts Excel needs) whose one sheet really inflates to ``size`` zero bytes;
    its headers declare ``declared`` bytes (default: the truth)."""
    stream, crc = deflated_zeros(size)
    content_types = _CONTENT_TYPES.format(
        part="xl/workbook.xml",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ).encode()
    return raw_zip(
        [
            stored("[Content_Types].xml", content_types),
            stored("xl/workbook.xml", b'<?xml version="1.0"?><workbook/>'),
            ("xl/worksheets/sheet1.xml", stream, crc, size if declared is None else declared, 8),
        ]
    )
