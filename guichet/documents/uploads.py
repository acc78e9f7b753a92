"""What may be uploaded: the allowed formats, the checks on a file's real content, a form field.

:func:`check_upload` is the one entry point; it raises :class:`ValidationError` with a French
message that names the file, and never anything else. :class:`DocumentField` runs it in a form.

Nothing is ever extracted to disk, and nothing is decompressed beyond an absolute bound:
ZIP-based formats are judged on their central directory, then every member is read through a
bounded stream (the real expansion, not only the declared one, must stay under
:data:`MAX_EXPANDED_BYTES`); images are decoded once with Pillow's limits; PDFs must start with
``%PDF-``, end at their last ``%%EOF``, hide no ZIP, be parsed by pypdf and carry no active
content (JavaScript, launch actions, embedded files, rich media, XFA forms).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
import zipfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 120
# An image larger than this is refused before being decoded (a scanned A4 page at 600 dpi is
# about 35 million pixels).
MAX_IMAGE_PIXELS = 40_000_000
# A ZIP-based document is refused when its members, decompressed, would take more than this many
# bytes in all (declared sizes, then the bytes really read), when one member of more than
# _RATIO_FLOOR bytes is compressed more than MAX_ZIP_RATIO times, or when it has too many members.
# A real 10 Mo XLSX expands to about 100 Mo.
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
MAX_ZIP_RATIO = 200
_RATIO_FLOOR = 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
# Objects embedded by Word and Excel (a chart's data) are OOXML documents inside the document:
# accepted there only, checked like their container, never nested further.
_EMBEDDINGS_FOLDERS = ("word/embeddings/", "xl/embeddings/")
# A PDF holding more objects than this is refused rather than parsed: pypdf reads about a thousand
# objects a second on a busy machine, and a 10 Mo report holds a few thousand.
MAX_PDF_OBJECTS = 50_000


@dataclass(frozen=True)
class DocumentFormat:
    """One accepted format."""

    kind: str  # "pdf", "png", ...: what CheckedUpload.kind says
    label: str  # shown in the list of accepted formats
    mime_type: str
    extensions: tuple[str, ...]  # lower case, without the dot; the first is the canonical one
    valid_phrase: str  # « Le fichier « x » n’est pas <valid_phrase> »


FORMATS: tuple[DocumentFormat, ...] = (
    DocumentFormat("pdf", "PDF", "application/pdf", ("pdf",), "un PDF valide"),
    DocumentFormat(
        "odt",
        "ODT",
        "application/vnd.oasis.opendocument.text",
        ("odt",),
        "un document texte ODT valide",
    ),
    DocumentFormat(
        "docx",
        "DOCX",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("docx",),
        "un document Word DOCX valide",
    ),
    DocumentFormat(
        "ods",
        "ODS",
        "application/vnd.oasis.opendocument.spreadsheet",
        ("ods",),
        "un tableur ODS valide",
    ),
    DocumentFormat(
        "xlsx",
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ("xlsx",),
        "un classeur Excel XLSX valide",
    ),
    DocumentFormat("png", "PNG", "image/png", ("png",), "une image PNG valide"),
    DocumentFormat("jpeg", "JPEG", "image/jpeg", ("jpg", "jpeg"), "une image JPEG valide"),
)
FORMATS_BY_KIND: dict[str, DocumentFormat] = {f.kind: f for f in FORMATS}
ALL_KINDS: tuple[str, ...] = tuple(FORMATS_BY_KIND)
IMAGE_KINDS = frozenset({"png", "jpeg"})

# What a file really is, when it is not what its extension says: « Il s’agit en réalité de … ».
_DESCRIPTIONS = {
    "pdf": "d’un document PDF",
    "png": "d’une image PNG",
    "jpeg": "d’une image JPEG",
    "odt": "d’un document texte OpenDocument (ODT)",
    "ods": "d’un tableur OpenDocument (ODS)",
    "odf": "d’un autre document OpenDocument",
    "docx": "d’un document Word (DOCX)",
    "xlsx": "d’un classeur Excel (XLSX)",
    "docm": "d’un document Word avec macros (DOCM)",
    "xlsm": "d’un classeur Excel avec macros (XLSM)",
    "ooxml": "d’un autre document Office (PowerPoint ou autre)",
    "zip": "d’une archive ZIP",
    "ole": "d’un document Office ancien (DOC, XLS) ou protégé par un mot de passe",
    "gif": "d’une image GIF",
    "webp": "d’une image WebP",
    "tiff": "d’une image TIFF",
    "bmp": "d’une image BMP",
    "heic": "d’une image HEIC",
    "exe": "d’un programme exécutable",
    "html": "d’une page web (HTML)",
    "svg": "d’une image SVG",
    "xml": "d’un fichier XML",
    "rtf": "d’un document RTF",
    "gzip": "d’une archive compressée (gzip)",
    "rar": "d’une archive RAR",
    "7z": "d’une archive 7-Zip",
}

_ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
_OOXML_MAIN_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


@dataclass(frozen=True)
class CheckedUpload:
    """An uploaded file whose content was checked. ``original_name`` is safe to show and store."""

    original_name: str
    extension: str  # lower case, without the dot, as given by the user ("jpg" or "jpeg")
    kind: str  # one of ALL_KINDS
    mime_type: str
    size: int  # bytes
    sha256: str  # hex digest of the content

    @property
    def format(self) -> DocumentFormat:
        return FORMATS_BY_KIND[self.kind]


def max_upload_bytes() -> int:
    """The upload size limit in bytes (``settings.GUICHET["UPLOAD_MAX_BYTES"]``, default 10 Mo)."""
    guichet = getattr(settings, "GUICHET", {})
    return int(guichet.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def format_megabytes(size: int) -> str:
    """A size in bytes as French megabytes, rounded up: ``10 Mo``, ``10,1 Mo``, ``2,35 Mo``.

    1 Mo is 1 048 576 bytes. Rounding up means a file just over the limit never reads as the limit.
    """
    value = size / (1024 * 1024)
    decimals = 1 if value >= 10 else 2
    rounded = math.ceil(value * 10**decimals) / 10**decimals
    text = f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')} Mo"


def format_size(size: int) -> str:
    """A file's size in French units: ``512 octets``, ``12 Ko``, ``2,4 Mo`` (never « Kio »).

    1 Ko is 1 024 bytes and 1 Mo 1 048 576, as the upload limit is counted; kilobytes are whole
    (rounded up, so a small file never reads « 0 Ko »), megabytes have one decimal below 100.
    """
    if size < 1024:
        return f"{size} octet" if size in (0, 1) else f"{size} octets"
    if size < 1024 * 1024:
        kilobytes = math.ceil(size / 1024)
        if kilobytes < 1024:
            return f"{kilobytes} Ko"
    value = size / (1024 * 1024)
    if value >= 100:
        return f"{math.ceil(value)} Mo"
    rounded = math.ceil(value * 10) / 10
    return f"{rounded:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " Mo"


def accepted_formats_text(kinds: Iterable[str] = ALL_KINDS) -> str:
    """``PDF, ODT, DOCX, ODS, XLSX, PNG, JPEG``: for help texts and messages."""
    return ", ".join(FORMATS_BY_KIND[k].label for k in kinds)


def accept_attribute(kinds: Iterable[str] = ALL_KINDS) -> str:
    """The value of an ``<input type="file" accept="…">`` for these kinds."""
    return ",".join(f".{ext}" for k in kinds for ext in FORMATS_BY_KIND[k].extensions)


_UNSAFE_NAME_CHARS = re.compile(r'[<>:"/\\|?*]')
# Control, format (bidirectional overrides, zero-width), surrogate, private-use, unassigned.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def safe_filename(name: str | None) -> str:
    """The user's file name made safe to store and show.

    Keeps the last path component only (``/`` and ``\\``), turns line breaks and tabs into spaces,
    removes control and invisible formatting characters (including right-to-left overrides) and
    characters that file systems refuse, leading dots and surrounding spaces; keeps accents (NFC);
    at most ``MAX_NAME_LENGTH`` characters, the extension kept. Never empty: ``fichier`` at worst.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for ch in text:
        if ch in "\t\n\r":
            kept.append(" ")
        elif unicodedata.category(ch) not in _INVISIBLE_CATEGORIES:
            kept.append(ch)
    text = _UNSAFE_NAME_CHARS.sub("_", "".join(kept))
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:MAX_NAME_LENGTH].rstrip()
    return text or "fichier"


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def check_upload(
    uploaded_file: IO[bytes] | UploadedFile, *, kinds: Iterable[str] | None = None
) -> CheckedUpload:
    """Check an uploaded file and describe it, or raise ``ValidationError`` (French, names the file).

    ``kinds`` restricts the accepted formats (default: all of :data:`ALL_KINDS`). Checks, in order:
    not empty; at most :func:`max_upload_bytes`; an accepted extension (case-insensitive); a
    content that really is of that format (signature, structure, no macros, no password, not a
    decompression bomb). The file is read once for its hash and left at position 0.

    Error codes: ``empty``, ``too_large``, ``extension``, ``mismatch``, ``damaged``,
    ``encrypted``, ``macros``, ``bomb``.
    """
    allowed = tuple(kinds) if kinds is not None else ALL_KINDS
    for kind in allowed:
        if kind not in FORMATS_BY_KIND:
            raise ValueError(f"unknown document kind: {kind!r}")
    name = safe_filename(getattr(uploaded_file, "name", None))
    limit = max_upload_bytes()

    declared = getattr(uploaded_file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise _too_large(name, declared, limit)
    digest = hashlib.sha256()
    size = 0
    uploaded_file.seek(0)
    while chunk := uploaded_file.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            uploaded_file.seek(0, io.SEEK_END)
            raise _too_large(name, uploaded_file.tell(), limit)
        digest.update(chunk)
    uploaded_file.seek(0)
    if size == 0:
        raise ValidationError(
            "Le fichier « %(name)s » est vide.", code="empty", params={"name": name}
        )

    extension = _extension(name)
    fmt = next((f for f in FORMATS if f.kind in allowed and extension in f.extensions), None)
    if fmt is None:
        allowed_text = accepted_formats_text(allowed)
        if not extension:
            message = (
                "Le fichier « %(name)s » n’a pas d’extension : formats acceptés : %(allowed)s."
            )
        else:
            message = (
                "Le format du fichier « %(name)s » n’est pas accepté. "
                "Formats acceptés : %(allowed)s."
            )
        raise ValidationError(
            message, code="extension", params={"name": name, "allowed": allowed_text}
        )

    try:
        _check_content(uploaded_file, fmt, name, size, limit)
    except ValidationError:
        raise
    except Exception as exc:  # any parser failure on hostile bytes is a damaged file
        raise _damaged(name, fmt) from exc
    finally:
        uploaded_file.seek(0)

    return CheckedUpload(
        original_name=name,
        extension=extension,
        kind=fmt.kind,
        mime_type=fmt.mime_type,
        size=size,
        sha256=digest.hexdigest(),
    )


# --- errors -----------------------------------------------------------------------------------


def _too_large(name: str, size: int, limit: int) -> ValidationError:
    return ValidationError(
        "Le fichier « %(name)s » est trop volumineux (%(size)s) : "
        "la taille maximale est de %(limit)s.",
        code="too_large",
        params={"name": name, "size": format_megabytes(size), "limit": format_megabytes(limit)},
    )


def _damaged(name: str, fmt: DocumentFormat) -> ValidationError:
    return ValidationError(
        "Le fichier « %(name)s » n’est pas %(valid)s : il est endommagé ou incomplet.",
        code="damaged",
        params={"name": name, "valid": fmt.valid_phrase},
    )


def _mismatch(name: str, fmt: DocumentFormat, actual: str | None) -> ValidationError:
    message = (
        "Le fichier « %(name)s » n’est pas %(valid)s : "
        "son contenu ne correspond pas à son extension."
    )
    params = {"name": name, "valid": fmt.valid_phrase}
    if actual and actual in _DESCRIPTIONS:
        message += " Il s’agit en réalité %(actual)s."
        params["actual"] = _DESCRIPTIONS[actual]
    return ValidationError(message, code="mismatch", params=params)


def _encrypted(name: str) -> ValidationError:
    return ValidationError(
        "Le fichier « %(name)s » est protégé par un mot de passe : "
        "enregistrez-le sans protection puis déposez-le à nouveau.",
        code="encrypted",
        params={"name": name},
    )


# --- content checks ---------------------------------------------------------------------------


def _read_at(f: IO[bytes], offset: int, length: int) -> bytes:
    f.seek(offset)
    return f.read(length)


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file say it is (a key of the descriptions), or None.

    ZIP-based formats answer ``zip``: only their members tell ODT from DOCX. ``pdf_late`` is a
    ``%PDF-`` header after other bytes (what an HTML page disguised as a PDF looks like).
    """
    signatures = (
        (b"%PDF-", "pdf"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"\xff\xd8\xff", "jpeg"),
        (b"PK\x03\x04", "zip"),
        (b"PK\x05\x06", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"BM", "bmp"),
        (b"MZ", "exe"),
        (b"\x7fELF", "exe"),
        (b"{\\rtf", "rtf"),
        (b"\x1f\x8b", "gzip"),
        (b"Rar!\x1a\x07", "rar"),
        (b"7z\xbc\xaf\x27\x1c", "7z"),
    )
    for signature, kind in signatures:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "heic"
    markup = _markup_kind(head)
    if markup:
        return markup
    if b"%PDF-" in head[:1024]:
        # PDF readers accept up to 1 KB of junk before the header; this service does not.
        return "pdf_late"
    return None


_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<meta")


def _markup_kind(head: bytes) -> str | None:
    """``html``, ``svg`` or ``xml`` when the first bytes are markup (after a BOM and spaces)."""
    start = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not start.startswith(b"<"):
        return None
    if start.startswith(_HTML_TAGS):
        return "html"
    if b"<svg" in start:
        return "svg"
    if any(tag in start for tag in _HTML_TAGS):
        return "html"
    if start.startswith(b"<?xml"):
        return "xml"
    return None


def _zip_kind(f: IO[bytes]) -> str:
    """What a ZIP file holds: odt, ods, odf, docx, xlsx, docm, xlsm, ooxml or zip."""
    with zipfile.ZipFile(f) as archive:
        infos = archive.infolist()
        names = {i.filename for i in infos}
        if infos and infos[0].filename == "mimetype" and infos[0].file_size <= 200:
            mimetype = archive.read(infos[0]).decode("ascii", "replace")
            return _ODF_MIMETYPES.get(mimetype, "odf")
        if "[Content_Types].xml" in names:
            types = _content_types(archive)
            if "macroenabled" in types or any("vbaproject" in n.lower() for n in names):
                if "word/document.xml" in names:
                    return "docm"
                if "xl/workbook.xml" in names:
                    return "xlsm"
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            return "ooxml"
    return "zip"


def _content_types(archive: zipfile.ZipFile) -> str:
    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > 1024 * 1024:
        raise ValueError("[Content_Types].xml too large")
    return archive.read(info).decode("utf-8", "replace").lower()


def _check_content(f: IO[bytes], fmt: DocumentFormat, name: str, size: int, limit: int) -> None:
    head = _read_at(f, 0, 2048)
    actual = sniff(head)
    if fmt.kind == "pdf":
        _check_pdf(f, fmt, name, size, head, actual)
    elif fmt.kind in IMAGE_KINDS:
        _check_image(f, fmt, name, actual)
    else:
        _check_zip_document(f, fmt, name, limit, actual)


def _check_pdf(
    f: IO[bytes], fmt: DocumentFormat, name: str, size: int, head: bytes, actual: str | None
) -> None:
    if actual == "pdf_late":
        raise ValidationError(
            "Le fichier « %(name)s » n’est pas un PDF valide : il ne commence pas par l’en-tête "
            "d’un PDF. Enregistrez-le à nouveau au format PDF depuis votre logiciel.",
            code="damaged",
            params={"name": name},
        )
    if actual != "pdf":
        raise _mismatch(name, fmt, actual)
    f.seek(0)
    data = f.read()
    end = data.rfind(b"%%EOF")
    if end == -1:
        raise _damaged(name, fmt)
    if data[end + 5 :].strip(b" \t\r\n\x00\x0c"):
        raise _hidden_data(name)
    if _zip_local_header_offset(data) is not None:
        raise _hidden_data(name)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _encrypted(name)
        if len(_pdf_object_numbers(reader)) > MAX_PDF_OBJECTS:
            raise _TooManyObjects
        root = reader.trailer["/Root"].get_object()
        if not isinstance(root, DictionaryObject) or root.get("/Type") != "/Catalog":
            raise _damaged(name, fmt)
        if len(reader.pages) < 1:
            raise _damaged(name, fmt)
        found = _pdf_active_content(reader)
    except ValidationError:
        raise
    except _TooManyObjects as exc:
        raise ValidationError(
            "Le fichier « %(name)s » est refusé : il compte plus de %(max)s objets internes, trop "
            "pour être vérifié. Enregistrez-le à nouveau en PDF, par exemple avec « Imprimer » "
            "puis « Enregistrer au format PDF ».",
            code="too_complex",
            params={"name": name, "max": f"{MAX_PDF_OBJECTS:,}".replace(",", "\u202f")},
        ) from exc
    except Exception as exc:
        if b"/Encrypt" in data:  # protected in a way pypdf cannot even open
            raise _encrypted(name) from exc
        raise _damaged(name, fmt) from exc
    if found:
        raise ValidationError(
            "Le fichier « %(name)s » est refusé : il contient du contenu actif (%(what)s), qui "
            "pourrait s’exécuter à l’ouverture. Enregistrez-le à nouveau en PDF simple, par "
            "exemple avec « Imprimer » puis « Enregistrer au format PDF ».",
            code="active_content",
            params={"name": name, "what": found},
        )


class _TooManyObjects(Exception):
    """A PDF with more than MAX_PDF_OBJECTS objects (refused before they are parsed)."""


def _hidden_data(name: str) -> ValidationError:
    return ValidationError(
        "Le fichier « %(name)s » est refusé : il contient, après ou dans le document, d’autres "
        "données (par exemple une archive ZIP). Enregistrez-le à nouveau en PDF depuis votre "
        "logiciel.",
        code="hidden_data",
        params={"name": name},
    )


_ZIP_METHODS = frozenset({0, 1, 6, 8, 9, 12, 14, 93, 95, 96, 97, 98, 99})


def _zip_local_header_offset(data: bytes) -> int | None:
    """Where the first plausible ZIP member header is in ``data``, or None.

    The 4-byte signature alone can occur by chance in compressed streams; a real local header
    also has a known version and method and a printable file name of sensible length.
    """
    position = 0
    while (position := data.find(b"PK\x03\x04", position)) != -1:
        header = data[position : position + 30]
        if len(header) == 30:
            version = int.from_bytes(header[4:6], "little")
            method = int.from_bytes(header[8:10], "little")
            name_length = int.from_bytes(header[26:28], "little")
            file_name = data[position + 30 : position + 30 + name_length]
            if (
                version <= 100
                and method in _ZIP_METHODS
                and 0 < name_length <= 1024
                and len(file_name) == name_length
                and all(32 <= b < 127 or b >= 128 for b in file_name)
            ):
                return position
        position += 4
    return None


# Action types that run something or send something: refused wherever they appear.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "lancement d’un programme",
    "/ImportData": "import de données",
    "/SubmitForm": "envoi de formulaire",
    "/RichMediaExecute": "média interactif",
    "/Rendition": "média interactif",
    "/GoToE": "fichier incorporé",
}
# Keys whose mere presence is active content.
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "actions automatiques",
    "/EmbeddedFile": "fichier incorporé",
    "/EmbeddedFiles": "fichier incorporé",
    "/RichMedia": "média interactif",
    "/RichMediaContent": "média interactif",
    "/XFA": "formulaire XFA",
}
_ACTIVE_TYPES = {
    "/EmbeddedFile": "fichier incorporé",
    "/FileAttachment": "fichier incorporé",
    "/RichMedia": "média interactif",
    "/Screen": "média interactif",
    "/Movie": "média interactif",
    "/Sound": "média interactif",
}


def _pdf_object_numbers(reader: PdfReader) -> list[tuple[int, int]]:
    """Every object of the file, as (number, generation), from its cross-reference tables."""
    numbers = [
        (number, generation) for generation, objects in reader.xref.items() for number in objects
    ]
    numbers.extend((number, 0) for number in reader.xref_objStm)
    return numbers


def _pdf_active_content(reader: PdfReader) -> str | None:
    """What active content the PDF holds (French words), or None.

    Every object of the file is looked at, not only those reachable from the catalog: the
    catalog's /OpenAction and /AA, the names tree (/JavaScript, /EmbeddedFiles), pages' /AA,
    annotations' /A, form fields and XFA are all dictionaries somewhere in the file. An
    /OpenAction that only opens a page (what LibreOffice and Word write) is not active.
    """
    numbers = _pdf_object_numbers(reader)
    pending: deque[Any] = deque([reader.trailer])
    for number, generation in numbers:
        pending.append(IndirectObject(number, generation, reader))
    seen: set[int] = set()
    while pending:
        item = pending.popleft()
        if isinstance(item, IndirectObject):
            item = item.get_object()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in _ACTIVE_KEYS:
                    return _ACTIVE_KEYS[key]
                if not isinstance(value, IndirectObject):
                    pending.append(value)
            action = item.get("/S")
            if isinstance(action, NameObject) and action in _ACTIVE_ACTIONS:
                return _ACTIVE_ACTIONS[action]
            for type_key in ("/Type", "/Subtype"):
                kind = item.get(type_key)
                if isinstance(kind, NameObject) and kind in _ACTIVE_TYPES:
                    return _ACTIVE_TYPES[kind]
        elif isinstance(item, ArrayObject):
            pending.extend(value for value in item if not isinstance(value, IndirectObject))
    return None


def _image_too_large(name: str, size: tuple[int, int] | None = None) -> ValidationError:
    return ValidationError(
        "Le fichier « %(name)s » est une image trop grande%(dimensions)s : réduisez sa définition "
        "(%(max)s millions de pixels au plus).",
        code="bomb",
        params={
            "name": name,
            "dimensions": f" ({size[0]} × {size[1]} pixels)" if size else "",
            "max": MAX_IMAGE_PIXELS // 1_000_000,
        },
    )


_PAYLOAD_MARKERS = (
    b"<script",
    b"<html",
    b"<!doctype",
    b"<svg",
    b"<iframe",
    b"<?php",
    b"<%",
    b"javascript:",
    b"%pdf-",
)


def _looks_like_payload(trailing: bytes) -> bool:
    lowered = trailing.lower()
    return (
        any(marker in lowered for marker in _PAYLOAD_MARKERS)
        or _zip_local_header_offset(trailing) is not None
    )


def _png_end(data: bytes) -> int | None:
    """The offset just after a PNG's IEND chunk, walking chunk lengths, or None."""
    position = 8
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return position if position <= len(data) else None
    return None


def _image_hidden_data(name: str) -> ValidationError:
    return ValidationError(
        "Le fichier « %(name)s » est refusé : il contient, après l’image, d’autres données "
        "(une page web, un script ou une archive). Enregistrez l’image à nouveau depuis votre "
        "logiciel.",
        code="hidden_data",
        params={"name": name},
    )


def _check_image(f: IO[bytes], fmt: DocumentFormat, name: str, actual: str | None) -> None:
    if actual != fmt.kind:
        raise _mismatch(name, fmt, actual)
    pillow_format = fmt.kind.upper()
    try:
        f.seek(0)
        with Image.open(f, formats=[pillow_format]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _image_too_large(name, (width, height))
            image.verify()  # structure; for PNG every chunk up to IEND and its checksum
        f.seek(0)
        data = f.read()
        if fmt.kind == "jpeg":
            # WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, after which Pillow
            # pads a truncated JPEG instead of failing: the structure is walked here instead.
            end = jpeg_end(data)
            if end is None:
                raise _damaged(name, fmt)
            # Cameras write data after the image (a maker's trailer, a motion photo's video):
            # accepted, unless it is a page, a script or an archive in disguise.
            if _looks_like_payload(data[end:]):
                raise _image_hidden_data(name)
        else:
            end = _png_end(data)
            if end is None:
                raise _damaged(name, fmt)
            if data[end:].strip(b"\x00\r\n \t"):
                raise _image_hidden_data(name)
            # Decoding every block is what reveals a truncated JPEG; at 1/8 scale (DCT scaling
            # in libjpeg) the whole stream is still read but the pixels take 64 times less memory.
            f.seek(0)
            with Image.open(f, formats=[pillow_format]) as image:
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
    except Image.DecompressionBombError as exc:
        raise _image_too_large(name) from exc


def jpeg_is_complete(data: bytes) -> bool:
    """Whether a JPEG's segments and entropy-coded scans run from SOI to an EOI marker.

    Thumbnails in EXIF segments are skipped with their segment, so their own EOI does not count;
    inside a scan, ``FF 00`` (stuffing), ``FF D0``–``FF D7`` (restart) and fill bytes are data.
    """
    return jpeg_end(data) is not None


def jpeg_end(data: bytes) -> int | None:
    """The offset just after a complete JPEG's EOI marker, or None (see :func:`jpeg_is_complete`)."""
    size = len(data)
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 2 <= size:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0xD9:  # EOI
            return i + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            i += 2
            continue
        if i + 4 > size:
            return None
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2:
            return None
        i += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while True:
                j = data.find(b"\xff", i)
                if j == -1 or j + 1 >= size:
                    return None
                following = data[j + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    i = j + 2
                elif following == 0xFF:
                    i = j + 1
                else:
                    i = j
                    break
    return None


def _check_zip_document(
    f: IO[bytes], fmt: DocumentFormat, name: str, limit: int, actual: str | None
) -> None:
    if actual != "zip":
        raise _mismatch(name, fmt, actual)
    f.seek(0)
    try:
        archive = zipfile.ZipFile(f)
    except zipfile.BadZipFile as exc:
        raise _damaged(name, fmt) from exc
    with archive:
        _check_expansion(archive, name, budget=[MAX_EXPANDED_BYTES], nested=False)
    f.seek(0)
    kind = _zip_kind(f)
    if kind == fmt.kind:
        return
    if kind in ("docm", "xlsm") and kind[:3] == fmt.kind[:3]:
        raise ValidationError(
            "Le fichier « %(name)s » contient des macros, qui ne sont pas acceptées : "
            "enregistrez-le au format %(label)s sans macros puis déposez-le à nouveau.",
            code="macros",
            params={"name": name, "label": fmt.label},
        )
    if kind == "zip":
        # A plain archive with the right extension: a broken document rather than a disguise.
        raise _mismatch(name, fmt, None)
    raise _mismatch(name, fmt, kind)


def _bomb(name: str) -> ValidationError:
    return ValidationError(
        "Le fichier « %(name)s » est refusé : une fois décompressé, son contenu "
        "serait anormalement volumineux.",
        code="bomb",
        params={"name": name},
    )


def _check_expansion(
    archive: zipfile.ZipFile, name: str, *, budget: list[int], nested: bool
) -> None:
    """Refuse a ZIP-based document that expands too much, hides archives or is encrypted.

    ``budget`` is the number of decompressed bytes still allowed (shared with the documents
    embedded in this one). Declared sizes are judged first, without inflating anything; then every
    member is read through a bounded stream, so a member that lies about its size is caught by
    the bytes it really yields (and zipfile's CRC check).
    """
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _bomb(name)
    if sum(i.file_size for i in infos) > budget[0]:
        raise _bomb(name)
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(
            1, info.compress_size
        ):
            raise _bomb(name)
    if any(i.flag_bits & 0x1 for i in infos):
        raise _encrypted(name)
    for info in infos:
        if info.is_dir():
            continue
        with archive.open(info) as member:
            head = member.read(4)
            real = len(head)
            if real > budget[0]:
                raise _bomb(name)
            if head in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
                if nested or not info.filename.startswith(_EMBEDDINGS_FOLDERS):
                    raise ValidationError(
                        "Le fichier « %(name)s » est refusé : il contient une archive ou un "
                        "document incorporé (« %(member)s »). Enregistrez-le sans objet "
                        "incorporé puis déposez-le à nouveau.",
                        code="nested_archive",
                        params={"name": name, "member": safe_filename(info.filename)},
                    )
                rest = member.read(budget[0] - real + 1)
                real += len(rest)
                if real > budget[0] or member.read(1):
                    raise _bomb(name)
                budget[0] -= real
                with zipfile.ZipFile(io.BytesIO(head + rest)) as inner:
                    _check_expansion(inner, name, budget=budget, nested=True)
                continue
            while chunk := member.read(min(1024 * 1024, budget[0] - real + 1)):
                real += len(chunk)
                if real > budget[0]:
                    raise _bomb(name)
            budget[0] -= real


# --- form field -------------------------------------------------------------------------------


class DocumentField(forms.FileField):
    """A file field that runs :func:`check_upload`.

    ``cleaned_data[name]`` is the uploaded file with the result attached as ``.checked``
    (a :class:`CheckedUpload`), ready for :func:`guichet.documents.storage.store_upload`. When no
    new file is sent and the form has an initial value, that value is returned unchanged.
    The widget's ``accept`` attribute lists the accepted extensions; the default help text names
    the formats and the size limit.
    """

    def __init__(self, *, kinds: Iterable[str] | None = None, **kwargs: Any) -> None:
        self.kinds: tuple[str, ...] = tuple(kinds) if kinds is not None else ALL_KINDS
        for kind in self.kinds:
            if kind not in FORMATS_BY_KIND:
                raise ValueError(f"unknown document kind: {kind!r}")
        kwargs.setdefault("allow_empty_file", True)  # check_upload says it, naming the file
        kwargs.setdefault(
            "help_text",
            f"Formats acceptés : {accepted_formats_text(self.kinds)}. "
            f"Taille maximale : {format_megabytes(max_upload_bytes())}.",
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs["accept"] = accept_attribute(self.kinds)
        return attrs

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            value.checked = check_upload(value, kinds=self.kinds)
        return value
