"""The meeting's documents: the summary note sent with the convocation (one page per dossier)
and the minutes written at closing; the convocation e-mail to each member."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile

from guichet.documents.pdf import render_pdf
from guichet.notifications.email import send_email
from guichet.rules.money import format_euros

from .models import AgendaItem, Meeting, MeetingDocument, MeetingDocumentKind


def criteria_rows(item: AgendaItem) -> list[dict[str, Any]]:
    """Per criterion of the call's grid: its weight and the reviewers' mean mark on it."""
    grid = item.dossier.call.rules.scoring
    marks: dict[str, list[int]] = {}
    for s in item.dossier.scores.all():
        marks.setdefault(s.criterion, []).append(s.value)
    rows = []
    for c in grid.criteria:
        values = marks.get(c.code, [])
        mean = (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01")) if values else None
        rows.append({"label": c.label, "weight": c.weight, "mean": mean,
                     "weighted": None if mean is None
                     else (mean * c.weight).quantize(Decimal("0.01"))})  # fmt: skip
    return rows


def _verdict_lines(item: AgendaItem) -> list[dict[str, str]]:
    from guichet.dossiers.services import verdict

    result = verdict(item.dossier, submitted_at=item.dossier.submitted_at)
    labels = {"passed": "respectée", "failed": "non respectée", "not_evaluated": "à vérifier"}
    return [{"rule": c.rule, "title": c.title, "status": labels[c.status.value], "message": c.message}
            for c in result.checks]  # fmt: skip


def _envelope_rows(data: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    return [
        {"year": year, **{k: format_euros(Decimal(v)) for k, v in values.items()}}
        for year, values in sorted(data.items())
    ]


def _context(meeting: Meeting) -> dict[str, Any]:
    from guichet.grants.services import positions

    items = list(
        meeting.items.select_related("dossier__call", "dossier__session").prefetch_related(
            "dossier__scores", "conflicts", "votes"
        )
    )
    return {
        "meeting": meeting,
        "call": meeting.call,
        "service": meeting.call.service,
        "items": [
            {
                "item": i,
                "criteria": criteria_rows(i),
                "checks": _verdict_lines(i),
                "decision": getattr(i, "decision", None),
            }
            for i in items
        ],
        "positions": positions(meeting.call),
        "envelopes_before": _envelope_rows(meeting.envelopes_before),
        "envelopes_after": _envelope_rows(meeting.envelopes_after),
        "attendance": list(meeting.attendance.all()),
    }


def _store(meeting: Meeting, kind: MeetingDocumentKind, pdf: bytes, name: str) -> MeetingDocument:
    document = MeetingDocument.objects.filter(meeting=meeting, kind=kind).first()
    if document is None:
        document = MeetingDocument(meeting=meeting, kind=kind)
    document.store_checked(ContentFile(pdf, name=name), folder="comite")
    document.save()
    return document


def render_summary_note(meeting: Meeting) -> bytes:
    context = _context(meeting)
    context["title"] = f"Note de synthèse — séance n° {meeting.number} du comité de sélection"
    return render_pdf("documents/committee/summary_note.html", context)


def store_summary_note(meeting: Meeting) -> MeetingDocument:
    return _store(
        meeting, MeetingDocumentKind.SUMMARY_NOTE, render_summary_note(meeting),
        f"note-de-synthese-seance-{meeting.number}.pdf",
    )  # fmt: skip


def render_minutes(meeting: Meeting) -> bytes:
    context = _context(meeting)
    context["title"] = f"Procès-verbal de la séance n° {meeting.number} du comité de sélection"
    return render_pdf("documents/committee/minutes.html", context)


def store_minutes(meeting: Meeting) -> MeetingDocument:
    return _store(
        meeting, MeetingDocumentKind.MINUTES, render_minutes(meeting),
        f"proces-verbal-seance-{meeting.number}.pdf",
    )  # fmt: skip


def send_convocation(meeting: Meeting, note: MeetingDocument, *, meeting_url: str = "") -> None:
    from .services import members

    note.file.open("rb")
    try:
        pdf = note.file.read()
    finally:
        note.file.close()
    items = list(meeting.items.select_related("dossier").order_by("position"))
    for role in members(meeting.call):
        send_email(
            [role.user.email],
            "committee/convocation",
            {
                "meeting": meeting,
                "call": meeting.call,
                "items": items,
                "member": role.user,
                "chair": role.chair,
                "url": meeting_url,
            },
            attachments=[(note.original_name, pdf, "application/pdf")],
        )
