"""The « accusé de réception »: what was submitted and the files received, as a PDF."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from guichet.rules.money import format_euros
from guichet.rules.timing import french_date, french_datetime

from .models import Attachment, Dossier, PieceKind


def receipt_context(dossier: Dossier) -> dict[str, Any]:
    rules = dossier.call.rules
    category = rules.category(dossier.category) if dossier.category else None
    return {
        "dossier": dossier,
        "service": dossier.call.service,
        "call_rules": rules,
        "category": category,
        "submitted_on": french_datetime(dossier.submitted_at, rules.timezone)
        if dossier.submitted_at
        else "",
        "session_on": french_date(dossier.session.date) if dossier.session else "",
        "maximum": format_euros(dossier.maximum_amount)
        if dossier.maximum_amount is not None
        else "—",
        "requested": format_euros(dossier.requested_amount)
        if dossier.requested_amount is not None
        else "—",
        "total_cost": format_euros(dossier.total_cost) if dossier.total_cost is not None else "—",
        "cost_lines": list(dossier.cost_lines.all()),
        "partners": list(dossier.partners.all()),
        "pieces": list(dossier.attachments.exclude(kind=PieceKind.RECEIPT)),
    }


def render_receipt(dossier: Dossier) -> bytes:
    from guichet.documents.pdf import render_pdf

    context = receipt_context(dossier)
    context["title"] = f"Accusé de réception du dossier {dossier.number}"
    return render_pdf("documents/receipt.html", context)


def store_receipt(dossier: Dossier, pdf: bytes) -> Attachment:
    """Keep the receipt with the dossier, once: a second run replaces nothing."""
    existing = dossier.attachments.filter(kind=PieceKind.RECEIPT).first()
    if existing is not None:
        return existing
    attachment = Attachment(dossier=dossier, kind=PieceKind.RECEIPT)
    attachment.store_checked(
        ContentFile(pdf, name=f"accuse-de-reception-{dossier.number}.pdf"), folder="dossiers/recus"
    )
    attachment.save()
    return attachment
