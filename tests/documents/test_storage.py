"""Private storage, store_upload, the stored-file mixin and DocumentField."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import FileSystemStorage, InMemoryStorage
from django.test import override_settings
from django.utils.datastructures import MultiValueDict

from guichet.documents.storage import private_storage, store_upload
from guichet.documents.uploads import CheckedUpload, DocumentField

from .models import SampleAttachment
from .samples import image_bytes, pdf_bytes, upload

STORED_NAME = re.compile(r"^dossiers/pieces/[0-9a-f]{32}\.pdf$")


def test_private_storage_is_outside_the_web_roots_and_in_memory_in_tests():
    from config.settings import base

    private = base.STORAGES["private"]
    assert private["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    location = private["OPTIONS"]["location"]
    assert location == base.VAR_DIR / "private"
    for root in (base.STATIC_ROOT, base.MEDIA_ROOT, *base.STATICFILES_DIRS):
        assert not str(location).startswith(str(root))
    assert isinstance(private_storage().backend, InMemoryStorage)


def test_no_url_serves_private_files():
    with pytest.raises(NotImplementedError):
        private_storage().url("dossiers/x.pdf")


def test_store_upload_uses_a_random_name_and_keeps_the_content():
    content = pdf_bytes()
    file = upload("../../devis signé.pdf", content)
    file.checked = CheckedUpload(
        "devis signé.pdf", "pdf", "pdf", "application/pdf", len(content), "0" * 64
    )
    name = store_upload(file, folder="dossiers/pieces")
    assert STORED_NAME.match(name)
    assert "devis" not in name
    with private_storage().open(name) as stored:
        assert stored.read() == content
    assert store_upload(file, folder="dossiers/pieces") != name


def test_store_upload_checks_a_file_that_was_not_checked():
    with pytest.raises(ValidationError):
        store_upload(upload("devis.pdf", image_bytes()), folder="dossiers")
    assert store_upload(upload("Photo.JPEG", image_bytes("JPEG")), folder="messages").endswith(
        ".jpg"
    )


@pytest.mark.parametrize("folder", ["", "../etc", "/abs", "a/../b", "Dossiers", "a//b", "a/"])
def test_store_upload_refuses_odd_folders(folder):
    with pytest.raises(ValueError):
        store_upload(upload("devis.pdf", pdf_bytes()), folder=folder)


def test_missing_private_storage_is_a_clear_configuration_error():
    storages = {k: v for k, v in settings.STORAGES.items() if k != "private"}
    with override_settings(STORAGES=storages), pytest.raises(ImproperlyConfigured):
        private_storage().exists("x")


def test_missing_private_storage_is_a_system_check_warning():
    from guichet.documents.checks import check_private_storage

    assert check_private_storage() == []
    storages = {k: v for k, v in settings.STORAGES.items() if k != "private"}
    with override_settings(STORAGES=storages):
        assert [m.id for m in check_private_storage()] == ["documents.W001"]


def test_file_system_backend_writes_under_its_location(tmp_path):
    storages = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    with override_settings(STORAGES=storages):
        assert isinstance(private_storage().backend, FileSystemStorage)
        name = store_upload(upload("devis.pdf", pdf_bytes()), folder="dossiers")
        assert (tmp_path / name).read_bytes() == pdf_bytes()


def test_mixin_fields_and_store_checked():
    attachment = SampleAttachment()
    checked = attachment.store_checked(upload("Délibération.pdf", pdf_bytes()), folder="dossiers")
    assert attachment.original_name == "Délibération.pdf"
    assert attachment.mime_type == "application/pdf"
    assert attachment.size == len(pdf_bytes()) == checked.size
    assert attachment.sha256 == checked.sha256
    assert attachment.uploaded_at is not None
    assert attachment.file.name.startswith("dossiers/")
    with attachment.file.open("rb") as stored:
        assert stored.read() == pdf_bytes()

    field = SampleAttachment._meta.get_field("file")
    assert field.max_length == 255
    _, _, _, kwargs = field.deconstruct()
    assert kwargs["storage"] is private_storage  # migrations name the callable, not a path


class PieceForm(forms.Form):
    piece = DocumentField(label="Devis signé")
    rib = DocumentField(label="RIB", kinds=["pdf", "png", "jpeg"], required=False)


def _form(**files):
    return PieceForm(data={}, files=MultiValueDict({k: [v] for k, v in files.items()}))


def test_document_field_attaches_the_check():
    form = _form(piece=upload("devis.pdf", pdf_bytes()))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["piece"].checked.kind == "pdf"
    assert form.cleaned_data["rib"] is None


def test_document_field_reports_the_french_message():
    form = _form(piece=upload("devis.pdf", image_bytes()), rib=upload("rib.docx", b"PK"))
    assert not form.is_valid()
    assert form.errors["piece"] == [
        "Le fichier « devis.pdf » n’est pas un PDF valide : son contenu ne correspond pas à son "
        "extension. Il s’agit en réalité d’une image PNG."
    ]
    assert "Formats acceptés : PDF, PNG, JPEG." in form.errors["rib"][0]


def test_document_field_empty_file_names_the_file():
    form = _form(piece=upload("devis.pdf", b""))
    assert form.errors["piece"] == ["Le fichier « devis.pdf » est vide."]


def test_document_field_required_and_accept_attribute():
    form = _form()
    assert form.errors["piece"] == ["Ce champ est obligatoire."]
    html = str(PieceForm()["rib"])
    assert 'accept=".pdf,.png,.jpg,.jpeg"' in html
    assert (
        "Formats acceptés : PDF, PNG, JPEG. Taille maximale : 10 Mo."
        in PieceForm()["rib"].help_text
    )


def test_document_field_refuses_unknown_kinds():
    with pytest.raises(ValueError):
        DocumentField(kinds=["exe"])
