"""The upload handler that stops keeping a file at the limit, and stored files' permissions."""

from __future__ import annotations

import os
import stat

import pytest
from django import forms
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import FileUploadHandler
from django.test import RequestFactory, override_settings

from config.settings import base
from guichet.documents.handlers import TooLargeUpload
from guichet.documents.storage import save_checked, store_upload
from guichet.documents.uploads import DocumentField, check_upload

from .samples import pdf_bytes, upload

KB = 1024
HANDLERS = [
    "guichet.documents.handlers.UploadLimitHandler",
    "tests.documents.test_handlers.RecordingHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]


class RecordingHandler(FileUploadHandler):
    """Counts the bytes that reach the handlers that keep them."""

    received: list[int] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received.append(0)

    def receive_data_chunk(self, raw_data, start):
        self.received[-1] += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


class PieceForm(forms.Form):
    before = forms.CharField()
    file = DocumentField()
    after = forms.CharField()


def parsed(content: bytes, name: str = "devis.pdf"):
    request = RequestFactory().post(
        "/", {"before": "avant", "file": upload(name, content), "after": "après"}
    )
    return request.POST, request.FILES


def _setup():
    RecordingHandler.received = []


@override_settings(FILE_UPLOAD_HANDLERS=HANDLERS, GUICHET={"UPLOAD_MAX_BYTES": 64 * KB})
def test_a_file_over_the_limit_is_not_kept_past_the_limit_and_the_form_says_it_in_french():
    _setup()
    big = pdf_bytes(padding=600 * KB)
    post, files = parsed(big)
    assert post["before"] == "avant" and post["after"] == "après", "the other fields are kept"
    placeholder = files["file"]
    assert isinstance(placeholder, TooLargeUpload)
    assert placeholder.size == len(big)
    assert placeholder.read() == b""
    # The handlers that keep bytes got at most the limit (and one chunk past it is never passed).
    assert RecordingHandler.received and max(RecordingHandler.received) <= 64 * KB

    form = PieceForm(post, files)
    assert not form.is_valid()
    assert form.errors["file"] == [
        "Le fichier « devis.pdf » est trop volumineux (0,59 Mo) : la taille maximale est de "
        "0,07 Mo."
    ]
    assert form.cleaned_data["before"] == "avant" and form.cleaned_data["after"] == "après"


@override_settings(FILE_UPLOAD_HANDLERS=HANDLERS, GUICHET={"UPLOAD_MAX_BYTES": 64 * KB})
def test_a_file_of_exactly_the_limit_passes_through_whole():
    _setup()
    content = pdf_bytes(padding=64 * KB - len(pdf_bytes()))
    while len(content) != 64 * KB:
        content = pdf_bytes(padding=64 * KB - len(pdf_bytes()) - (len(content) - 64 * KB))
    post, files = parsed(content)
    assert not isinstance(files["file"], TooLargeUpload)
    assert files["file"].read() == content
    assert PieceForm(post, files).is_valid()


def test_the_handler_is_the_first_of_the_settings():
    assert settings.FILE_UPLOAD_HANDLERS[0] == "guichet.documents.handlers.UploadLimitHandler"
    assert len(settings.FILE_UPLOAD_HANDLERS) == 3


@override_settings(
    FILE_UPLOAD_HANDLERS=HANDLERS,
    GUICHET={"UPLOAD_MAX_BYTES": 64 * KB},
    FILE_UPLOAD_MAX_MEMORY_SIZE=10 * KB,  # the file would be written to a temporary file
)
def test_the_limit_holds_for_a_file_kept_on_disk():
    _setup()
    post, files = parsed(pdf_bytes(padding=200 * KB))
    assert isinstance(files["file"], TooLargeUpload)
    assert max(RecordingHandler.received) <= 64 * KB
    assert "trop volumineux" in PieceForm(post, files).errors["file"][0]


# --- permissions ------------------------------------------------------------------------------


def _private_storage(location) -> FileSystemStorage:
    options = {**base.STORAGES["private"]["OPTIONS"], "location": location}
    return FileSystemStorage(**options)


def test_stored_files_are_0600_in_0700_folders(tmp_path, monkeypatch):
    storage = _private_storage(tmp_path / "private")
    monkeypatch.setattr("guichet.documents.storage.private_storage", lambda: storage)
    old = os.umask(0o022)  # a usual umask, which alone would give 0644 and 0755
    try:
        file = upload("devis.pdf", pdf_bytes())
        name = store_upload(file, folder="dossiers/pieces")
    finally:
        os.umask(old)
    path = storage.path(name)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "private" / "dossiers").st_mode) == 0o700
    file.checked = check_upload(file)
    second = save_checked(file, file.checked, folder="messages")
    assert stat.S_IMODE(os.stat(storage.path(second)).st_mode) == 0o600


def test_every_upload_is_created_0600_by_default():
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700
    options = base.STORAGES["private"]["OPTIONS"]
    assert options["file_permissions_mode"] == 0o600
    assert options["directory_permissions_mode"] == 0o700


# --- through a real form of the site ----------------------------------------------------------


@pytest.mark.django_db
def test_a_message_with_a_file_over_the_limit_keeps_its_text_and_says_why(client):
    from django.core import mail
    from django.urls import reverse

    from guichet import clock
    from guichet.dossiers import services
    from tests.dossiers.factories import IN_WINDOW, agent, complete, draft

    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    mail.outbox.clear()
    client.force_login(owner)
    big = pdf_bytes(padding=300 * KB)
    with override_settings(GUICHET={**settings.GUICHET, "UPLOAD_MAX_BYTES": 64 * KB}):
        # The file part comes first: the text after it is still read and kept.
        response = client.post(
            reverse("applicant:message-post", args=[dossier.uuid]),
            {"file": upload("devis signé.pdf", big), "body": "Voici le devis signé."},
        )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Le fichier « devis signé.pdf » est trop volumineux (0,3 Mo)" in html
    assert "Voici le devis signé." in html
    assert dossier.messages.count() == 0


def test_a_file_over_the_limit_leaves_no_temporary_file_open(settings):
    """The handler after the limit's had begun a temporary file that nobody returns: it is closed
    (and so removed) at once, not left for the garbage collector to warn about."""
    import gc
    import warnings

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.files.uploadhandler import TemporaryFileUploadHandler
    from django.test.client import BOUNDARY, encode_multipart

    from guichet.documents.handlers import UploadLimitHandler

    settings.GUICHET = {**settings.GUICHET, "UPLOAD_MAX_BYTES": 3 * 1024 * 1024}
    body = encode_multipart(BOUNDARY, {"f": SimpleUploadedFile("a.pdf", b"x" * 4 * 1024 * 1024)})
    request = RequestFactory().post(
        "/", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    request.upload_handlers = [UploadLimitHandler(request), TemporaryFileUploadHandler(request)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert request.FILES["f"].too_large
        del request
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
