"""check_upload against hostile files, each built here as an attacker would make it."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from PIL import Image

from guichet.documents import uploads
from guichet.documents.uploads import check_upload

from .samples import (
    DOCX_MAIN,
    ODT_MIMETYPE,
    docx_bytes,
    image_bytes,
    odf_bytes,
    pdf_bytes,
    pypdf_bytes,
    upload,
    xlsx_bytes,
    xlsx_expanding_to,
    zip_bytes,
)

MB = 1024 * 1024


def refused(name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_upload(upload(name, content))
    (text,) = info.value.messages
    assert f"« {name} »" in text
    return info.value


def message(error: ValidationError) -> str:
    (text,) = error.messages
    return text


# --- PDF: active content ----------------------------------------------------------------------

ACTIVE = "il contient du contenu actif"


@pytest.mark.parametrize(
    ("catalog", "page", "what"),
    [
        (b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", b"", "JavaScript"),
        (b"/OpenAction << /S /Launch /F (cmd.exe) >>", b"", "lancement d’un programme"),
        (b"/AA << /WC << /S /GoTo /D [3 0 R /Fit] >> >>", b"", "actions automatiques"),
        (b"/Names << /JavaScript 6 0 R >>", b"", "JavaScript"),
        (b"/Names << /EmbeddedFiles 6 0 R >>", b"", "fichier incorporé"),
        (b"/AcroForm << /Fields [] /XFA 6 0 R >>", b"", "formulaire XFA"),
        (b"", b"/AA << /O << /S /JavaScript /JS (x) >> >>", "actions automatiques"),
        (
            b"",
            b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
            b"/A << /S /JavaScript /JS (x) >> >>]",
            "JavaScript",
        ),
        (
            b"",
            b"/Annots [<< /Type /Annot /Subtype /Widget /Rect [0 0 9 9] "
            b"/A << /S /SubmitForm /F (https://example.org/) >> >>]",
            "envoi de formulaire",
        ),
        (
            b"",
            b"/Annots [<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>]",
            "média interactif",
        ),
        (
            b"",
            b"/Annots [<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS 6 0 R >>]",
            "fichier incorporé",
        ),
    ],
    ids=[
        "openaction-js",
        "openaction-launch",
        "catalog-aa",
        "names-javascript",
        "names-embeddedfiles",
        "xfa",
        "page-aa",
        "link-js",
        "submitform",
        "richmedia",
        "file-attachment",
    ],
)
def test_pdf_with_active_content_is_refused(catalog, page, what):
    content = pdf_bytes(catalog_extra=catalog, page_extra=page, objects_extra=(b"<< /Names [] >>",))
    error = refused("devis.pdf", content)
    assert error.code == "active_content"
    assert message(error) == (
        f"Le fichier « devis.pdf » est refusé : il contient du contenu actif ({what}), qui "
        "pourrait s’exécuter à l’ouverture. Enregistrez-le à nouveau en PDF simple, par exemple "
        "avec « Imprimer » puis « Enregistrer au format PDF »."
    )


def test_javascript_added_by_pypdf_is_refused():
    from pypdf.actions import JavaScript

    content = pypdf_bytes(
        lambda writer: writer.add_open_action(JavaScript("this.print({bUI:true});"))
    )
    assert refused("devis.pdf", content).code == "active_content"


def test_embedded_file_added_by_pypdf_is_refused():
    content = pypdf_bytes(lambda writer: writer.add_attachment("facture.exe", b"MZ\x90\x00"))
    error = refused("devis.pdf", content)
    assert error.code == "active_content"
    assert "fichier incorporé" in message(error)


def test_javascript_action_in_a_separate_object_is_refused():
    content = pdf_bytes(
        catalog_extra=b"/OpenAction 6 0 R",
        objects_extra=(b"<< /Type /Action /S /JavaScript /JS 7 0 R >>", b"(app.alert(1))"),
    )
    assert refused("devis.pdf", content).code == "active_content"


def test_name_written_with_hex_escapes_is_still_found():
    # « /J#61vaScript » is « /JavaScript » to a PDF reader.
    content = pdf_bytes(catalog_extra=b"/OpenAction << /S /J#61vaScript /JS (x) >>")
    assert refused("devis.pdf", content).code == "active_content"


@pytest.mark.parametrize(
    "catalog",
    [
        b"/OpenAction [3 0 R /XYZ null null 0]",  # what LibreOffice writes
        b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>",
    ],
)
def test_an_open_action_that_only_shows_a_page_is_accepted(catalog):
    assert check_upload(upload("devis.pdf", pdf_bytes(catalog_extra=catalog))).kind == "pdf"


def test_a_web_link_is_accepted():
    page = b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://www.service-public.fr/) >> >>]"
    assert check_upload(upload("devis.pdf", pdf_bytes(page_extra=page))).kind == "pdf"


def test_a_pdf_written_by_pypdf_is_accepted():
    content = pypdf_bytes(lambda writer: writer.add_metadata({"/Title": "Devis"}))
    assert check_upload(upload("devis.pdf", content)).kind == "pdf"


def test_a_pdf_with_too_many_objects_is_refused_before_they_are_parsed(monkeypatch):
    content = pdf_bytes(objects_extra=(b"<< >>",) * 6)  # 11 objects
    monkeypatch.setattr(uploads, "MAX_PDF_OBJECTS", 11)
    assert check_upload(upload("devis.pdf", content)).kind == "pdf"
    monkeypatch.setattr(uploads, "MAX_PDF_OBJECTS", 10)
    error = refused("devis.pdf", content)
    assert error.code == "too_complex"
    assert message(error) == (
        "Le fichier « devis.pdf » est refusé : il compte plus de 10 objets internes, trop pour "
        "être vérifié. Enregistrez-le à nouveau en PDF, par exemple avec « Imprimer » puis "
        "« Enregistrer au format PDF »."
    )


# --- PDF: structure ---------------------------------------------------------------------------


def test_pdf_with_a_zip_appended_is_refused():
    content = pdf_bytes() + zip_bytes([("payload.exe", b"MZ" + b"\x00" * 200)])
    error = refused("devis.pdf", content)
    assert error.code == "hidden_data"
    assert message(error) == (
        "Le fichier « devis.pdf » est refusé : il contient, après ou dans le document, d’autres "
        "données (par exemple une archive ZIP). Enregistrez-le à nouveau en PDF depuis votre "
        "logiciel."
    )


def test_pdf_with_bytes_after_its_last_eof_is_refused():
    assert refused("devis.pdf", pdf_bytes() + b"<script>x</script>").code == "hidden_data"


def test_pdf_with_trailing_line_breaks_and_padding_is_accepted():
    assert check_upload(upload("devis.pdf", pdf_bytes() + b"\r\n\x00\x00 \n")).kind == "pdf"


def test_pdf_hiding_a_zip_before_its_end_is_refused():
    # A ZIP between the objects: the file still ends with %%EOF.
    hidden = zip_bytes([("payload.exe", b"MZ" + b"\x00" * 200)])
    content = pdf_bytes(
        objects_extra=(b"<< /Length %d >>\nstream\n" % len(hidden) + hidden + b"\nendstream",)
    )
    assert content.rstrip().endswith(b"%%EOF")
    assert refused("devis.pdf", content).code == "hidden_data"


def test_html_page_with_a_pdf_marker_in_its_first_kilobyte_is_refused_as_html():
    content = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script>\n%PDF-1.4\n"
    content += pdf_bytes()[9:]
    error = refused("devis.pdf", content)
    assert error.code == "mismatch"
    assert "Il s’agit en réalité d’une page web (HTML)." in message(error)


def test_pdf_header_after_other_bytes_is_refused():
    error = refused("devis.pdf", b"GARBAGE " * 20 + b"\n" + pdf_bytes())
    assert error.code == "damaged"
    assert message(error) == (
        "Le fichier « devis.pdf » n’est pas un PDF valide : il ne commence pas par l’en-tête "
        "d’un PDF. Enregistrez-le à nouveau au format PDF depuis votre logiciel."
    )


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n" + b"n'importe quoi " * 100 + b"\n%%EOF\n",
        b"%PDF-1.7\n%%EOF\n",
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",
    ],
    ids=["garbage", "header-and-eof", "catalog-without-pages"],
)
def test_pdf_header_and_eof_around_garbage_is_refused(content):
    error = refused("devis.pdf", content)
    assert error.code == "damaged"
    assert message(error) == (
        "Le fichier « devis.pdf » n’est pas un PDF valide : il est endommagé ou incomplet."
    )


@pytest.mark.parametrize("owner_only", [False, True], ids=["user-password", "owner-password"])
def test_pdf_encrypted_by_pypdf_is_refused_asking_for_an_unprotected_one(owner_only):
    def encrypt(writer):
        writer.encrypt(user_password="" if owner_only else "secret", owner_password="maire")

    error = refused("devis.pdf", pypdf_bytes(encrypt))
    assert error.code == "encrypted"
    assert message(error) == (
        "Le fichier « devis.pdf » est protégé par un mot de passe : enregistrez-le sans "
        "protection puis déposez-le à nouveau."
    )


# --- office documents: expansion, members, nesting --------------------------------------------


@pytest.fixture(scope="module")
def xlsx_of_900_mb():
    return xlsx_expanding_to(900 * MB)


def test_xlsx_whose_sheet_inflates_to_900_mb_is_refused(xlsx_of_900_mb):
    error = refused("budget.xlsx", xlsx_of_900_mb)
    assert error.code == "bomb"
    assert message(error) == (
        "Le fichier « budget.xlsx » est refusé : une fois décompressé, son contenu serait "
        "anormalement volumineux."
    )


def test_xlsx_just_under_the_absolute_limit_is_judged_on_its_ratio(monkeypatch):
    # 8 Mo of zeros compress about a thousand times: refused for the ratio, not the total.
    assert 8 * MB < uploads.MAX_EXPANDED_BYTES
    assert refused("budget.xlsx", xlsx_expanding_to(8 * MB)).code == "bomb"


def test_the_absolute_limit_holds_whatever_the_upload_limit(xlsx_of_900_mb):
    with override_settings(GUICHET={"UPLOAD_MAX_BYTES": 50 * MB}):
        assert refused("budget.xlsx", xlsx_of_900_mb).code == "bomb"


def test_member_that_lies_about_its_size_is_refused_on_what_it_yields():
    # Declares 1 000 bytes, inflates to 64 Mo: the bounded read stops at the declared size and
    # the checksum of what came out does not match.
    error = refused("budget.xlsx", xlsx_expanding_to(64 * MB, declared=1000))
    assert error.code in {"bomb", "damaged"}


def test_the_bounded_read_stops_at_the_budget(monkeypatch):
    # Declared sizes within the limit, real bytes beyond it: only reading tells.
    monkeypatch.setattr(uploads, "MAX_EXPANDED_BYTES", 2 * MB)
    content = xlsx_expanding_to(1 * MB)
    assert check_upload(upload("budget.xlsx", content)).kind == "xlsx"
    archive = zipfile.ZipFile(io.BytesIO(content))
    with pytest.raises(ValidationError) as info:
        uploads._check_expansion(archive, "budget.xlsx", budget=[MB // 2], nested=False)
    assert info.value.code == "bomb"


def test_a_real_one_megabyte_sheet_is_accepted():
    assert check_upload(upload("budget.xlsx", xlsx_expanding_to(1 * MB))).kind == "xlsx"


def test_too_many_members_are_refused():
    members = [("mimetype", ODT_MIMETYPE), ("content.xml", b"<x/>")]
    members += [(f"Pictures/{i}.xml", b"") for i in range(uploads.MAX_ZIP_MEMBERS)]
    assert refused("délibération.odt", zip_bytes(members)).code == "bomb"


def test_the_most_members_allowed_are_accepted():
    members = [("mimetype", ODT_MIMETYPE), ("content.xml", b"<x/>")]
    members += [(f"Pictures/{i}.xml", b"") for i in range(uploads.MAX_ZIP_MEMBERS - 2)]
    assert check_upload(upload("délibération.odt", zip_bytes(members))).kind == "odt"


def test_a_zip_inside_a_document_is_refused():
    inner = zip_bytes([("virus.exe", b"MZ" + b"\x00" * 100)], stored_first=False)
    content = docx_bytes(extra=[("word/media/image1.png", inner)])
    error = refused("contrat.docx", content)
    assert error.code == "nested_archive"
    assert message(error) == (
        "Le fichier « contrat.docx » est refusé : il contient une archive ou un document "
        "incorporé (« image1.png »). Enregistrez-le sans objet incorporé puis déposez-le à "
        "nouveau."
    )


def test_a_zip_inside_an_odt_is_refused():
    inner = zip_bytes([("a.txt", b"x")])
    content = zip_bytes(
        [("mimetype", ODT_MIMETYPE), ("content.xml", b"<x/>"), ("Object 1/data.zip", inner)]
    )
    assert refused("délibération.odt", content).code == "nested_archive"


def test_a_chart_s_workbook_embedded_by_word_is_accepted_and_checked():
    content = docx_bytes(extra=[("word/embeddings/Microsoft_Excel_Worksheet.xlsx", xlsx_bytes())])
    assert check_upload(upload("contrat.docx", content)).kind == "docx"

    nested_twice = docx_bytes(
        extra=[
            (
                "word/embeddings/Microsoft_Word_Document.docx",
                docx_bytes(DOCX_MAIN, extra=[("word/embeddings/x.xlsx", xlsx_bytes())]),
            )
        ]
    )
    assert refused("contrat.docx", nested_twice).code == "nested_archive"


def test_an_embedded_workbook_counts_in_the_expansion():
    bomb = xlsx_expanding_to(300 * MB)
    content = docx_bytes(extra=[("word/embeddings/Microsoft_Excel_Worksheet.xlsx", bomb)])
    assert refused("contrat.docx", content).code == "bomb"


# --- images and disguises ---------------------------------------------------------------------


def test_png_with_html_after_its_end_is_refused():
    content = image_bytes("PNG") + b"<html><script>alert(1)</script></html>"
    error = refused("rib.png", content)
    assert error.code == "hidden_data"
    assert message(error) == (
        "Le fichier « rib.png » est refusé : il contient, après l’image, d’autres données (une "
        "page web, un script ou une archive). Enregistrez l’image à nouveau depuis votre "
        "logiciel."
    )


def test_png_with_a_zip_after_its_end_is_refused():
    content = image_bytes("PNG") + zip_bytes([("a.exe", b"MZ")])
    assert refused("rib.png", content).code == "hidden_data"


@pytest.mark.parametrize(
    "trailer",
    [b"<script>alert(1)</script>", b"<?php system($_GET['c']); ?>"],
    ids=["script", "php"],
)
def test_jpeg_with_a_script_after_its_end_is_refused(trailer):
    assert refused("photo.jpg", image_bytes("JPEG") + trailer).code == "hidden_data"


def test_jpeg_with_a_zip_after_its_end_is_refused():
    content = image_bytes("JPEG") + zip_bytes([("a.exe", b"MZ")])
    assert refused("photo.jpg", content).code == "hidden_data"


def test_jpeg_with_a_camera_s_binary_trailer_is_accepted():
    trailer = bytes(range(256)) * 4  # a maker's data, no markup, no archive
    assert check_upload(upload("photo.jpg", image_bytes("JPEG") + trailer)).kind == "jpeg"


def test_jpeg_whose_content_is_html_says_so():
    error = refused("photo.jpg", b"  <html><body onload=alert(1)>photo</body></html>")
    assert error.code == "mismatch"
    assert "Il s’agit en réalité d’une page web (HTML)." in message(error)


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    ],
)
def test_svg_renamed_png_is_refused_and_named(svg):
    error = refused("rib.png", svg)
    assert error.code == "mismatch"
    assert "Il s’agit en réalité d’une image SVG." in message(error)


def test_svg_is_not_an_accepted_format():
    error = refused("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert error.code == "extension"


def test_gif_with_a_png_name_is_named():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    assert "d’une image GIF" in message(refused("rib.png", out.getvalue()))


@pytest.mark.parametrize("name", ["devis.pdf.exe", "devis.pdf.html", "devis.pdf.svg"])
def test_double_extension_is_judged_on_the_last(name):
    assert refused(name, pdf_bytes()).code == "extension"


def test_zero_byte_files_are_refused_in_every_format():
    for name in ("a.pdf", "a.png", "a.jpg", "a.odt", "a.xlsx"):
        assert refused(name, b"").code == "empty"


def test_odf_with_the_mimetype_of_another_format_is_refused():
    assert refused("budget.ods", odf_bytes(ODT_MIMETYPE)).code == "mismatch"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/cron.d/devis.pdf", "devis.pdf"),
        ("..\\..\\devis.pdf", "devis.pdf"),
        ("devis\x00.exe.pdf", "devis.exe.pdf"),
        ("d" * 300 + ".pdf", "d" * (uploads.MAX_NAME_LENGTH - 4) + ".pdf"),
    ],
    ids=["slashes", "backslashes", "nul", "300-chars"],
)
def test_hostile_names_are_made_safe_and_the_file_still_checked(given, shown):
    assert check_upload(upload(given, pdf_bytes())).original_name == shown
    with pytest.raises(ValidationError) as info:
        check_upload(upload(given, b""))
    assert f"« {shown} »" in message(info.value)
