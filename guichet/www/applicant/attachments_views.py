"""The « Pièces » step, and the download of a dossier's files by its team."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from guichet.documents.uploads import DocumentField
from guichet.dossiers import attachments as pieces
from guichet.dossiers.models import Dossier, PieceKind
from guichet.dossiers.workflow import Actor
from guichet.www.dossier_pages import serve_message_attachment, serve_piece

from . import views


class PieceForm(django_forms.Form):
    kind = django_forms.ChoiceField(
        label="Nature de la pièce",
        choices=[(k.value, k.label) for k in pieces.TEAM_PIECES],
        error_messages={
            "required": "Choisissez la nature de la pièce.",
            "invalid_choice": "Choisissez l’une des natures proposées.",
        },
    )
    file = DocumentField(
        label="Fichier",
        error_messages={
            "required": "Choisissez un fichier à déposer.",
            "invalid": "Le fichier envoyé est illisible.",
        },
    )


def pieces_step(
    request: HttpRequest, dossier: Dossier, actor: Actor, nav: dict[str, Any]
) -> HttpResponse:
    form = PieceForm(initial={"kind": request.GET.get("nature", PieceKind.QUOTE.value)})
    status = 200
    if request.method == "POST":
        form = PieceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = pieces.add_piece(
                    dossier,
                    request.user,  # type: ignore[arg-type]
                    form.cleaned_data["kind"],
                    form.cleaned_data["file"],
                )
            except pieces.AttachmentRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"« {attachment.original_name} » est joint au dossier.")
                return redirect("applicant:step", dossier.uuid, "pieces")
        status = 422
    attachments = list(dossier.attachments.exclude(kind=PieceKind.RECEIPT))
    present = {a.kind for a in attachments}
    required = [
        {"kind": k.value, "label": k.label, "present": k.value in present}
        for k in pieces.REQUIRED_PIECES
    ]
    return render(
        request,
        "applicant/steps/pieces.html",
        {
            "title": f"Pièces — {dossier.title or 'Nouveau dossier'}",
            "dossier": dossier,
            "form": form,
            "attachments": attachments,
            "required": required,
            **nav,
        },
        status=status,
    )


@login_required
@require_POST
def piece_remove(request: HttpRequest, uuid: Any, attachment_id: int) -> HttpResponse:
    dossier, _ = views._dossier(request, uuid)
    try:
        pieces.remove_piece(dossier, request.user, attachment_id)  # type: ignore[arg-type]
    except pieces.AttachmentRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "La pièce est retirée du dossier.")
    return redirect("applicant:step", dossier.uuid, "pieces")


@login_required
def attachment_download(request: HttpRequest, uuid: Any, attachment_id: int) -> HttpResponse:
    dossier, _ = views._dossier(request, uuid)
    return serve_piece(request, dossier, attachment_id)


@login_required
def message_attachment_download(
    request: HttpRequest, uuid: Any, attachment_id: int
) -> HttpResponse:
    dossier, _ = views._dossier(request, uuid)
    return serve_message_attachment(request, dossier, attachment_id)
