"""The « Pièces » step: every upload check says what is wrong at the file field and stores nothing."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from guichet import clock
from guichet.documents.storage import private_storage
from guichet.dossiers.models import PieceKind
from tests.dossiers.factories import IN_WINDOW, agent, draft, pdf_bytes, pdf_upload, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return agent()


@pytest.fixture
def dossier(owner):
    return draft(owner)


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def upload(client, dossier, data):
    with clock.frozen(IN_WINDOW):
        return client.post(reverse("applicant:step", args=[dossier.uuid, "pieces"]), data)


def error_at(html: str, name: str) -> str:
    match = re.search(rf'<div[^>]*id="{re.escape(name)}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def stored_files() -> list[str]:
    storage = private_storage()
    try:
        return storage.listdir("dossiers/pieces")[1]
    except FileNotFoundError:
        return []


def test_a_valid_pdf_is_attached(signed_in, dossier):
    response = upload(
        signed_in, dossier, {"kind": PieceKind.QUOTE.value, "file": pdf_upload("Devis signé.pdf")}
    )
    assert response.status_code == 302
    (attachment,) = dossier.attachments.all()
    assert (attachment.kind, attachment.original_name, attachment.mime_type) == (
        PieceKind.QUOTE,
        "Devis signé.pdf",
        "application/pdf",
    )
    with clock.frozen(IN_WINDOW):
        html = signed_in.get(response["Location"]).content.decode()
    assert "« Devis signé.pdf » est joint au dossier." in htmllib.unescape(html)
    assert reverse("applicant:attachment", args=[dossier.uuid, attachment.pk]) in html


def test_a_png_bank_details_is_attached(signed_in, dossier):
    response = upload(
        signed_in, dossier, {"kind": PieceKind.BANK_DETAILS.value, "file": png_upload()}
    )
    assert response.status_code == 302
    assert dossier.attachments.get().mime_type == "image/png"


def exe_upload():
    return SimpleUploadedFile(
        "installeur.exe", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/x-msdownload"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: SimpleUploadedFile("vide.pdf", b"", content_type="application/pdf"),
            "Le fichier « vide.pdf » est vide.",
        ),
        (lambda: png_upload("devis.pdf"), "son contenu ne correspond pas à son extension"),
        (exe_upload, "Le format du fichier « installeur.exe » n’est pas accepté."),
        (
            lambda: SimpleUploadedFile(
                "devis.pdf", b"%PDF-1.4\n tronque", content_type="application/pdf"
            ),
            "« devis.pdf »",
        ),
        (lambda: SimpleUploadedFile("devis", pdf_bytes()), "n’a pas d’extension"),
        (lambda: None, "Choisissez un fichier à déposer."),
    ],
    ids=["empty", "png-renamed-pdf", "exe", "truncated-pdf", "no-extension", "no-file"],
)
def test_a_bad_upload_is_refused_at_the_file_field_and_nothing_is_stored(
    signed_in, dossier, make, message
):
    before = stored_files()
    data = {"kind": PieceKind.QUOTE.value}
    file = make()
    if file is not None:
        data["file"] = file
    response = upload(signed_in, dossier, data)
    assert response.status_code in (200, 422)
    html = response.content.decode()
    assert message in error_at(html, "file")
    assert "fr-upload-group--error" in html
    assert dossier.attachments.count() == 0
    assert stored_files() == before
    assert (
        'value="quote" selected' in html or 'value="quote" checked' in html
    )  # the chosen kind is kept


def test_a_file_over_the_size_limit_is_refused_with_the_limit(signed_in, dossier):
    with override_settings(GUICHET={**settings.GUICHET, "UPLOAD_MAX_BYTES": 100}):
        response = upload(
            signed_in,
            dossier,
            {"kind": PieceKind.QUOTE.value, "file": pdf_upload("gros-devis.pdf")},
        )
    text = error_at(response.content.decode(), "file")
    assert "Le fichier « gros-devis.pdf » est trop volumineux" in text
    assert "la taille maximale est de" in text
    assert dossier.attachments.count() == 0


def test_an_unknown_kind_is_refused_at_its_field(signed_in, dossier):
    response = upload(signed_in, dossier, {"kind": "receipt", "file": pdf_upload()})
    assert "Choisissez l’une des natures proposées." in error_at(response.content.decode(), "kind")
    assert dossier.attachments.count() == 0


def test_the_owner_downloads_the_bytes_with_a_content_disposition(signed_in, dossier):
    upload(
        signed_in, dossier, {"kind": PieceKind.QUOTE.value, "file": pdf_upload("Devis signé.pdf")}
    )
    attachment = dossier.attachments.get()
    url = reverse("applicant:attachment", args=[dossier.uuid, attachment.pk])
    response = signed_in.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="Devis signe.pdf"')
    assert "filename*=UTF-8''Devis%20sign%C3%A9.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    preview = signed_in.get(url + "?apercu=1")
    assert preview["Content-Disposition"].startswith("inline;")


def test_a_stranger_gets_404_for_the_file_and_cannot_remove_it(client, dossier, owner):
    client.force_login(owner)
    upload(client, dossier, {"kind": PieceKind.QUOTE.value, "file": pdf_upload()})
    attachment = dossier.attachments.get()
    client.force_login(agent(code="63113", name="Clermont-Ferrand"))
    assert (
        client.get(reverse("applicant:attachment", args=[dossier.uuid, attachment.pk])).status_code
        == 404
    )
    assert (
        client.post(
            reverse("applicant:piece-remove", args=[dossier.uuid, attachment.pk])
        ).status_code
        == 404
    )
    assert dossier.attachments.count() == 1


def test_an_unknown_file_id_is_a_404(signed_in, dossier):
    assert (
        signed_in.get(reverse("applicant:attachment", args=[dossier.uuid, 999999])).status_code
        == 404
    )


def test_the_owner_removes_a_piece_and_its_file(
    signed_in, dossier, django_capture_on_commit_callbacks
):
    upload(signed_in, dossier, {"kind": PieceKind.QUOTE.value, "file": pdf_upload()})
    attachment = dossier.attachments.get()
    assert attachment.file.name.split("/")[-1] in stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            reverse("applicant:piece-remove", args=[dossier.uuid, attachment.pk])
        )
    assert response.status_code == 302
    assert dossier.attachments.count() == 0
    assert attachment.file.name.split("/")[-1] not in stored_files()
    again = signed_in.post(reverse("applicant:piece-remove", args=[dossier.uuid, attachment.pk]))
    assert again.status_code == 302  # a second click: a message, not an error page
