"""Pieces of a dossier and attachments of messages, stored privately (see guichet.documents)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from django.db import transaction

from guichet import clock

from .models import (
    REQUIRED_PIECES,
    Attachment,
    Dossier,
    Event,
    EventKind,
    MessageAttachment,
    PieceKind,
)
from .permissions import actor_for
from .workflow import EDITABLE_BY_APPLICANT, Actor

if TYPE_CHECKING:
    from guichet.accounts.models import User

    from .models import Message

# Pieces the team adds on the « Pièces » step (the receipt is produced by guichet).
TEAM_PIECES: tuple[PieceKind, ...] = (
    PieceKind.QUOTE,
    PieceKind.DELIBERATION,
    PieceKind.BANK_DETAILS,
    PieceKind.OTHER,
)


class AttachmentRefused(Exception):
    """``str`` is French."""


def missing_required_pieces(dossier: Dossier) -> list[tuple[str, str]]:
    present = set(dossier.attachments.values_list("kind", flat=True))
    return [
        (kind.value, f"Joignez la pièce « {kind.label} ».")
        for kind in REQUIRED_PIECES
        if kind.value not in present
    ]


def add_piece(dossier: Dossier, user: User, kind: str, upload: IO[bytes]) -> Attachment:
    if actor_for(user, dossier) is not Actor.APPLICANT:
        raise AttachmentRefused("Seule l’équipe du dossier peut y joindre des pièces.")
    if dossier.state_enum not in EDITABLE_BY_APPLICANT:
        raise AttachmentRefused(
            f"Le dossier est à l’état « {dossier.state_label} » : il ne peut plus être modifié."
        )
    if kind not in {k.value for k in TEAM_PIECES}:
        raise AttachmentRefused("Choisissez la nature de la pièce.")
    attachment = Attachment(dossier=dossier, kind=kind, uploaded_by=user)
    attachment.store_checked(upload, folder="dossiers/pieces")
    with transaction.atomic():
        attachment.save()
        _record(
            dossier,
            user,
            f"Pièce ajoutée : {attachment.get_kind_display()} — {attachment.original_name}",
        )
    return attachment


def remove_piece(dossier: Dossier, user: User, attachment_id: int) -> None:
    if (
        actor_for(user, dossier) is not Actor.APPLICANT
        or dossier.state_enum not in EDITABLE_BY_APPLICANT
    ):
        raise AttachmentRefused("Cette pièce ne peut plus être retirée.")
    attachment = (
        dossier.attachments.filter(pk=attachment_id).exclude(kind=PieceKind.RECEIPT).first()
    )
    if attachment is None:
        raise AttachmentRefused("Cette pièce n’existe pas ou a déjà été retirée.")
    with transaction.atomic():
        name, label = attachment.original_name, attachment.get_kind_display()
        attachment.delete()
        _record(dossier, user, f"Pièce retirée : {label} — {name}")
    transaction.on_commit(lambda: attachment.file.storage.delete(attachment.file.name))


def attach_to_message(message: Message, upload: IO[bytes], user: User) -> MessageAttachment:
    attachment = MessageAttachment(message=message)
    attachment.store_checked(upload, folder="dossiers/messages")
    attachment.save()
    return attachment


def _record(dossier: Dossier, user: User, summary: str) -> None:
    if dossier.state != "draft":
        Event.objects.create(
            dossier=dossier, actor=user, at=clock.now(), kind=EventKind.ATTACHMENT, summary=summary
        )
