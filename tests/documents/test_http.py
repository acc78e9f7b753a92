"""file_response: headers of a served file."""

from __future__ import annotations

import pytest
from django.http import Http404

from guichet.documents.http import content_disposition, file_response

from .models import SampleAttachment
from .samples import docx_bytes, image_bytes, pdf_bytes, upload


def stored(name: str, content: bytes) -> SampleAttachment:
    attachment = SampleAttachment()
    attachment.store_checked(upload(name, content), folder="tests")
    return attachment


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_inline_pdf_with_accents_in_its_name():
    response = file_response(stored("Délibération n°12 « projet ».pdf", pdf_bytes()), inline=True)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'inline; filename="Deliberation n_12 _ projet _.pdf"; '
        "filename*=UTF-8''D%C3%A9lib%C3%A9ration%20n%C2%B012%20%C2%AB%20projet%20%C2%BB.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Length"] == str(len(pdf_bytes()))
    assert body(response) == pdf_bytes()


def test_images_may_be_inline():
    response = file_response(stored("rib.png", image_bytes()), inline=True)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="rib.png"'


def test_office_documents_are_always_attachments():
    response = file_response(stored("contrat signé.docx", docx_bytes()), inline=True)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith('attachment; filename="contrat signe.docx"')
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_attachment_when_asked():
    response = file_response(stored("devis.pdf", pdf_bytes()), inline=False)
    assert response["Content-Disposition"] == 'attachment; filename="devis.pdf"'
    assert response["Cache-Control"] == "private, no-store"


def test_unknown_mime_type_is_sent_as_an_opaque_attachment():
    attachment = stored("devis.pdf", pdf_bytes())
    attachment.mime_type = "text/html"
    response = file_response(attachment, inline=True)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_file_missing_from_the_storage_is_a_404():
    attachment = stored("devis.pdf", pdf_bytes())
    attachment.file.storage.delete(attachment.file.name)
    with pytest.raises(Http404):
        file_response(attachment, inline=True)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('a"b.pdf', 'attachment; filename="a_b.pdf"'),
        ("dossier\\c.pdf", 'attachment; filename="c.pdf"'),
        ("ÉTÉ.pdf", "attachment; filename=\"ETE.pdf\"; filename*=UTF-8''%C3%89T%C3%89.pdf"),
        ("日本.pdf", "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf"),
        ("x\r\nSet-Cookie: a=b.pdf", 'attachment; filename="x Set-Cookie_ a=b.pdf"'),
    ],
)
def test_content_disposition(name, expected):
    assert content_disposition(name, inline=False) == expected
