"""check_upload: every accepted format, every refusal and its French message."""

from __future__ import annotations

import contextlib
import io
import struct
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.documents import uploads
from guichet.documents.uploads import (
    CheckedUpload,
    accept_attribute,
    check_upload,
    format_megabytes,
    safe_filename,
)

from .samples import (
    DOCM_MAIN,
    ODS_MIMETYPE,
    ODT_MIMETYPE,
    VALID_FILES,
    docx_bytes,
    image_bytes,
    odf_bytes,
    pdf_bytes,
    upload,
    xlsm_bytes,
    xlsx_bytes,
    zip_bytes,
)

MB = 1024 * 1024


def refused(name: str, content: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_upload(upload(name, content), **kwargs)
    return info.value


def message(error: ValidationError) -> str:
    (text,) = error.messages
    return text


@pytest.mark.parametrize("kind", sorted(VALID_FILES))
def test_a_small_valid_file_of_every_format_is_accepted(kind):
    name, build = VALID_FILES[kind]
    content = build()
    file = upload(name, content)
    checked = check_upload(file)
    assert isinstance(checked, CheckedUpload)
    assert checked.kind == kind
    assert checked.original_name == name
    assert checked.size == len(content)
    assert checked.mime_type == uploads.FORMATS_BY_KIND[kind].mime_type
    assert len(checked.sha256) == 64
    assert file.tell() == 0, "the file is left ready to be saved"


def test_extension_is_case_insensitive_and_jpeg_has_two():
    assert check_upload(upload("DEVIS.PDF", pdf_bytes())).extension == "pdf"
    assert check_upload(upload("photo.JPEG", image_bytes("JPEG"))).kind == "jpeg"


def test_hand_written_odf_with_the_right_mimetype_first():
    assert check_upload(upload("a.odt", odf_bytes(ODT_MIMETYPE))).kind == "odt"
    assert check_upload(upload("a.ods", odf_bytes(ODS_MIMETYPE))).kind == "ods"


# --- empty, size ------------------------------------------------------------------------------


def test_empty_file_is_refused():
    error = refused("devis.pdf", b"")
    assert error.code == "empty"
    assert message(error) == "Le fichier « devis.pdf » est vide."


def _pdf_of_size(size: int) -> bytes:
    # Padding in a comment after the header keeps the file a PDF that pypdf reads.
    padding = size - len(pdf_bytes())
    content = pdf_bytes(padding=padding)
    while len(content) != size:  # the offsets in the cross-reference table grew longer
        padding -= len(content) - size
        content = pdf_bytes(padding=padding)
    return content


@override_settings(GUICHET={"UPLOAD_MAX_BYTES": 1 * MB})
def test_a_file_of_exactly_the_limit_is_accepted_one_byte_more_is_refused():
    exact = _pdf_of_size(MB)
    assert len(exact) == MB
    assert check_upload(upload("devis.pdf", exact)).size == MB

    error = refused("devis.pdf", _pdf_of_size(MB + 1))
    assert error.code == "too_large"
    assert message(error) == (
        "Le fichier « devis.pdf » est trop volumineux (1,01 Mo) : la taille maximale est de 1 Mo."
    )


def test_default_limit_is_10_mo_in_the_message():
    assert uploads.max_upload_bytes() == 10 * MB
    error = refused("gros.pdf", b"%PDF-" + b"0" * (10 * MB))
    assert "la taille maximale est de 10 Mo" in message(error)


def test_the_limit_also_holds_when_the_declared_size_lies():
    file = upload("devis.pdf", _pdf_of_size(2 * MB))
    file.size = 10  # a handler that under-reports: the bytes read are what count
    with override_settings(GUICHET={"UPLOAD_MAX_BYTES": MB}), pytest.raises(ValidationError) as e:
        check_upload(file)
    assert e.value.code == "too_large"


@pytest.mark.parametrize(
    ("size", "text"),
    [(10 * MB, "10 Mo"), (10 * MB + 1, "10,1 Mo"), (int(2.5 * MB), "2,5 Mo"), (1, "0,01 Mo")],
)
def test_sizes_are_written_in_french(size, text):
    assert format_megabytes(size) == text


def test_env_var_sets_the_limit(monkeypatch):
    import importlib

    import config.settings.base as base

    monkeypatch.setenv("GUICHET_UPLOAD_MAX_MB", "3")
    try:
        assert importlib.reload(base).GUICHET["UPLOAD_MAX_BYTES"] == 3 * MB
    finally:
        monkeypatch.delenv("GUICHET_UPLOAD_MAX_MB")
        importlib.reload(base)


# --- extension --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["virus.exe", "devis.doc", "photo.gif", "page.html", "devis.pdf.exe"]
)
def test_unknown_extension_is_refused_with_the_list_of_formats(name):
    error = refused(name, b"MZ\x90\x00")
    assert error.code == "extension"
    assert message(error) == (
        f"Le format du fichier « {name} » n’est pas accepté. "
        "Formats acceptés : PDF, ODT, DOCX, ODS, XLSX, PNG, JPEG."
    )


def test_file_without_extension_is_refused():
    error = refused("devis", pdf_bytes())
    assert error.code == "extension"
    assert "n’a pas d’extension" in message(error)


def test_kinds_restrict_the_accepted_formats():
    error = refused("budget.xlsx", xlsx_bytes(), kinds=["pdf", "png", "jpeg"])
    assert "Formats acceptés : PDF, PNG, JPEG." in message(error)
    with pytest.raises(ValueError):
        check_upload(upload("a.pdf", pdf_bytes()), kinds=["exe"])


# --- content against extension ----------------------------------------------------------------


def test_png_renamed_pdf_says_what_it_really_is():
    error = refused("devis.pdf", image_bytes("PNG"))
    assert error.code == "mismatch"
    assert message(error) == (
        "Le fichier « devis.pdf » n’est pas un PDF valide : son contenu ne correspond pas à "
        "son extension. Il s’agit en réalité d’une image PNG."
    )


@pytest.mark.parametrize(
    ("name", "content", "really"),
    [
        ("photo.png", image_bytes("JPEG"), "d’une image JPEG"),
        ("photo.jpg", pdf_bytes(), "d’un document PDF"),
        ("budget.xlsx", docx_bytes(), "d’un document Word (DOCX)"),
        ("devis.docx", odf_bytes(ODT_MIMETYPE), "d’un document texte OpenDocument (ODT)"),
        ("budget.ods", odf_bytes(ODT_MIMETYPE), "d’un document texte OpenDocument (ODT)"),
        ("photo.png", image_bytes("GIF"), "d’une image GIF"),
        ("devis.pdf", b"MZ\x90\x00\x03" + b"\x00" * 60, "d’un programme exécutable"),
        ("devis.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "d’une page web (HTML)"),
        (
            "devis.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "d’un document Office ancien",
        ),
    ],
)
def test_content_of_another_format_is_named(name, content, really):
    error = refused(name, content)
    assert error.code == "mismatch"
    assert f"Il s’agit en réalité {really}" in message(error)


def test_text_file_renamed_pdf_is_refused_without_guessing():
    error = refused("devis.pdf", "Ceci n’est pas un PDF".encode())
    assert message(error) == (
        "Le fichier « devis.pdf » n’est pas un PDF valide : son contenu ne correspond pas à "
        "son extension."
    )


# --- PDF --------------------------------------------------------------------------------------


def test_truncated_pdf_is_refused():
    content = pdf_bytes()
    error = refused("devis.pdf", content[: len(content) // 2])
    assert error.code == "damaged"
    assert message(error) == (
        "Le fichier « devis.pdf » n’est pas un PDF valide : il est endommagé ou incomplet."
    )


def test_encrypted_pdf_is_refused():
    content = pdf_bytes().replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 6 0 R")
    error = refused("devis.pdf", content)
    assert error.code == "encrypted"
    assert "protégé par un mot de passe" in message(error)


# --- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pillow_pads_truncated_images", [False, True])
def test_truncated_jpeg_is_refused(monkeypatch, pillow_pads_truncated_images):
    # WeasyPrint turns this Pillow setting on for the whole process when it is imported.
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", pillow_pads_truncated_images)
    content = image_bytes("JPEG", (200, 150))
    error = refused("photo.jpg", content[: len(content) * 2 // 3])
    assert error.code == "damaged"
    assert message(error) == (
        "Le fichier « photo.jpg » n’est pas une image JPEG valide : il est endommagé ou incomplet."
    )


@pytest.mark.parametrize("cut", [3, 10, 100, 300, -2, -1])
def test_jpeg_cut_anywhere_is_refused(cut):
    from PIL import ImageFile

    assert ImageFile  # imported so that WeasyPrint's setting, if any, is in force
    content = image_bytes("JPEG", (64, 48))
    assert refused("photo.jpg", content[:cut]).code == "damaged"


def test_jpeg_with_exif_thumbnail_and_trailing_bytes_is_accepted():
    from PIL import Image as PilImage

    thumbnail = io.BytesIO()
    PilImage.new("RGB", (8, 8)).save(thumbnail, format="JPEG")
    exif = PilImage.Exif()
    exif[0x010F] = "Appareil"
    out = io.BytesIO()
    PilImage.new("RGB", (120, 90), (10, 20, 30)).save(
        out, format="JPEG", progressive=True, exif=exif.tobytes()
    )
    # Some cameras write data after the end-of-image marker.
    assert check_upload(upload("photo.jpg", out.getvalue() + b"\x00" * 16)).kind == "jpeg"


def test_truncated_png_is_refused():
    content = image_bytes("PNG", (200, 150))
    assert refused("rib.png", content[: len(content) - 20]).code == "damaged"


def test_png_with_a_corrupted_chunk_is_refused():
    content = bytearray(image_bytes("PNG", (50, 50)))
    idat = content.index(b"IDAT")
    content[idat + 10] ^= 0xFF
    assert refused("rib.png", bytes(content)).code == "damaged"


def _png_header_only(width: int, height: int) -> bytes:
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 10))
        + chunk(b"IEND", b"")
    )


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [10_000, 20_000, 60_000])
def test_huge_image_dimensions_are_refused_before_decoding(side):
    error = refused("bombe.png", _png_header_only(side, side))
    assert error.code == "bomb"
    assert "est une image trop grande" in message(error)


# --- ZIP-based documents ----------------------------------------------------------------------


def test_zip_without_mimetype_is_refused_as_odt():
    content = zip_bytes([("content.xml", b"<office:document-content/>")], stored_first=False)
    error = refused("délibération.odt", content)
    assert error.code == "mismatch"
    assert message(error) == (
        "Le fichier « délibération.odt » n’est pas un document texte ODT valide : son contenu "
        "ne correspond pas à son extension."
    )


def test_mimetype_must_be_the_first_member_and_exact():
    later = zip_bytes([("content.xml", b"<x/>"), ("mimetype", ODT_MIMETYPE)])
    assert refused("a.odt", later).code == "mismatch"
    assert refused("a.odt", odf_bytes(ODT_MIMETYPE + b"\n")).code == "mismatch"


def test_docx_without_its_main_part_is_refused():
    content = zip_bytes([("[Content_Types].xml", b"<Types/>")], stored_first=False)
    assert refused("contrat.docx", content).code == "mismatch"


def test_docm_renamed_docx_is_refused_for_its_macros():
    error = refused("contrat.docx", docx_bytes(DOCM_MAIN))
    assert error.code == "macros"
    assert message(error) == (
        "Le fichier « contrat.docx » contient des macros, qui ne sont pas acceptées : "
        "enregistrez-le au format DOCX sans macros puis déposez-le à nouveau."
    )


def test_xlsm_renamed_xlsx_is_refused_for_its_macros():
    error = refused("budget.xlsx", xlsm_bytes())
    assert error.code == "macros"
    assert "XLSX sans macros" in message(error)


def test_vba_project_alone_is_enough_to_refuse():
    content = docx_bytes(extra=[("word/vbaProject.bin", b"\x00" * 32)])
    assert refused("contrat.docx", content).code == "macros"


def _zip_with_declared_sizes(members: int, declared: int) -> bytes:
    """A ZIP whose central directory declares huge uncompressed sizes (nothing is inflated)."""
    content = bytearray(odf_bytes(ODT_MIMETYPE))
    # Rewrite the declared uncompressed size of every central directory entry but the first.
    position = 0
    seen = 0
    while (position := content.find(b"PK\x01\x02", position)) != -1:
        if seen:
            content[position + 24 : position + 28] = struct.pack("<I", declared)
        seen += 1
        position += 4
    return bytes(content)


def test_zip_bomb_is_refused_on_declared_sizes():
    error = refused("délibération.odt", _zip_with_declared_sizes(2, 0xFFFFFFFE))
    assert error.code == "bomb"
    assert message(error) == (
        "Le fichier « délibération.odt » est refusé : une fois décompressé, son contenu serait "
        "anormalement volumineux."
    )


def test_real_highly_compressed_member_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODT_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"<x/>")
        archive.writestr("padding.bin", b"\x00" * (12 * MB))
    with override_settings(GUICHET={"UPLOAD_MAX_BYTES": 100 * 1024}):
        assert refused("a.odt", out.getvalue()).code == "bomb"


def test_password_protected_zip_member_is_refused():
    content = bytearray(odf_bytes(ODT_MIMETYPE))
    position = content.find(b"PK\x01\x02")
    content[position + 8] |= 0x1  # general purpose flag: encrypted
    assert refused("a.odt", bytes(content)).code == "encrypted"


def test_truncated_zip_is_refused():
    content = xlsx_bytes()
    assert refused("budget.xlsx", content[: len(content) // 2]).code in {"damaged", "mismatch"}


# --- file names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\devis.pdf", "devis.pdf"),
        ("C:\\Users\\maire\\Délibération n°12.pdf", "Délibération n°12.pdf"),
        ("/tmp/.htaccess.pdf", "htaccess.pdf"),
        ("devis\u202efdp.exe", "devisfdp.exe"),
        ("ligne\nbrisée\x00.pdf", "ligne brisée.pdf"),
        ('a<b>c:"d|e?f*.pdf', "a_b_c__d_e_f_.pdf"),
        ("Cafe\u0301.pdf", "Café.pdf"),
        ("..", "fichier"),
        ("", "fichier"),
        (None, "fichier"),
    ],
)
def test_safe_filename(given, safe):
    assert safe_filename(given) == safe


def test_long_names_are_cut_keeping_the_extension():
    name = safe_filename("é" * 300 + ".pdf")
    assert len(name) == uploads.MAX_NAME_LENGTH
    assert name.endswith("é.pdf")


def test_path_traversal_name_is_stored_safe_and_named_in_messages():
    checked = check_upload(upload("../../../etc/devis signé.pdf", pdf_bytes()))
    assert checked.original_name == "devis signé.pdf"
    error = refused("../../secret/rib.png", b"")
    assert "« rib.png »" in message(error)


def test_accept_attribute_lists_every_extension():
    assert accept_attribute() == ".pdf,.odt,.docx,.ods,.xlsx,.png,.jpg,.jpeg"


# --- fuzzing ----------------------------------------------------------------------------------

EXTENSIONS = sorted({ext for f in uploads.FORMATS for ext in f.extensions})
PREFIXES = [b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"PK\x03\x04"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    extension=st.sampled_from(EXTENSIONS),
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=4096),
    suffix=st.sampled_from([b"", b"%%EOF\n", b"PK\x05\x06" + b"\x00" * 18]),
)
def test_random_bytes_only_ever_raise_validation_error(extension, prefix, body, suffix):
    try:
        checked = check_upload(upload(f"fichier.{extension}", prefix + body + suffix))
    except ValidationError as error:
        assert error.messages and "« fichier." in error.messages[0]
    else:
        assert checked.extension == extension


# Built once: odfpy and openpyxl write timestamps, and hypothesis needs the same input each run.
VALID_SAMPLES = {kind: (name, build()) for kind, (name, build) in VALID_FILES.items()}


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(sorted(VALID_FILES)),
    data=st.data(),
)
def test_mutated_valid_files_only_ever_raise_validation_error(kind, data):
    name, content = VALID_SAMPLES[kind]
    content = bytearray(content)
    for _ in range(data.draw(st.integers(1, 8))):
        index = data.draw(st.integers(0, len(content) - 1))
        content[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(content)))
    with contextlib.suppress(ValidationError):
        check_upload(upload(name, bytes(content[:cut])))


@given(st.text(max_size=300))
def test_safe_filename_never_has_path_or_control_characters(name):
    safe = safe_filename(name)
    assert safe
    assert "/" not in safe and "\\" not in safe
    assert not safe.startswith(".")
    assert len(safe) <= uploads.MAX_NAME_LENGTH
    assert all(ch.isprintable() or ch == " " for ch in safe)
