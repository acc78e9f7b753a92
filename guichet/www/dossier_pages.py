"""What the applicant's and the agents' dossier pages do alike: serve a dossier's files and post a
message. The caller has already checked that the user may see ``dossier`` (404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse

from guichet.documents.http import file_response
from guichet.dossiers import services
from guichet.dossiers.models import Attachment, Dossier, MessageAttachment


def serve_piece(request: HttpRequest, dossier: Dossier, attachment_id: int) -> HttpResponse:
    """A piece of the dossier; ``?apercu=1`` shows a PDF or an image in the page."""
    attachment = Attachment.objects.filter(dossier=dossier, pk=attachment_id).first()
    if attachment is None:
        raise Http404("Fichier introuvable")
    return file_response(attachment, inline=request.GET.get("apercu") == "1")


def serve_message_attachment(
    request: HttpRequest, dossier: Dossier, attachment_id: int
) -> HttpResponse:
    attachment = MessageAttachment.objects.filter(
        message__dossier=dossier, pk=attachment_id
    ).first()
    if attachment is None:
        raise Http404("Fichier introuvable")
    return file_response(attachment, inline=request.GET.get("apercu") == "1")


def send_message(request: HttpRequest, dossier: Dossier, form: Any) -> bool:
    """Post the message of a bound ``MessageWithFilesForm``; errors go to the form's fields."""
    if not form.is_valid():
        return False
    files = [form.cleaned_data["file"]] if form.cleaned_data.get("file") else []
    try:
        services.post_message(dossier, request.user, form.cleaned_data["body"], files)  # type: ignore[arg-type]
    except (services.NotEditable, ValidationError) as exc:
        form.add_error("body", exc.messages if isinstance(exc, ValidationError) else str(exc))
        return False
    return True
