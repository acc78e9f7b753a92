"""The decisions' documents: the arrêté attributif of each retained dossier (décret n° 2018-514,
art. 8) and the refusal letter of each refused one, from the closed meeting to the notification.

1. **Generated** (``generate``, or ``start_generation`` for a whole meeting in the background):
   numbered per call, year and kind (``63-2021-ARR-001``, ``63-2021-REF-001``) from a locked
   counter row, rendered by WeasyPrint with a QR code on every page that carries the document's
   number and UUID, signed with the site's key (``qr_payload``). Once per decision: generating
   again returns the document already made.
2. **Signed**: the manager uploads the signed scan (``attach_signed_scan``). It is matched to its
   document by the QR code read on its first page (PDFium renders the page, zxing-cpp decodes
   the code), else by a document number of the meeting found in its text layer, else by the
   document the manager chose by hand; a scan that names another document, another meeting, or
   nothing at all is refused in French.
3. **Notified** (``notify``): the dossier's team receives the signed scan by e-mail and sees it
   on the dossier's page; the dossier's history says so. Only the notified decision is a
   funding agreement, and the two months of the recours run from the notification.

Every function checks ``Do.ISSUE`` (the call's programme managers) and refuses in French with
``CommitteeError``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

import segno
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet

from guichet import clock
from guichet.accounts import history
from guichet.calls.models import Call
from guichet.documents.pdf import render_pdf
from guichet.documents.uploads import check_upload
from guichet.dossiers.models import Dossier, Event, EventKind
from guichet.notifications.email import send_email
from guichet.review.permissions import Do, can_in_call
from guichet.rules.grants import full_rate_applies, funding_rate, payment_terms
from guichet.rules.money import format_euros
from guichet.rules.timing import french_date

from .models import (
    NUMBER_CODES,
    Decision,
    DecisionCounter,
    DecisionDocument,
    DecisionKind,
    DocumentStatus,
    GenerationRun,
    Meeting,
    MeetingStatus,
    Outcome,
    RunStatus,
    ScanMatch,
    SignedScan,
)
from .services import CommitteeError, MeetingNotFound, get_meeting

if TYPE_CHECKING:
    from guichet.accounts.models import User

logger = logging.getLogger(__name__)

QR_SALT = "guichet.committee.decision-document"
# The outcomes that have a document; a postponed dossier or one on the waiting list waits for a
# later meeting.
ISSUED = {Outcome.RETAINED: DecisionKind.AWARD, Outcome.REFUSED: DecisionKind.REFUSAL}
# A scan's first page is rendered at these resolutions until a QR code is read, never larger
# than MAX_SIDE pixels on its longer side (a page may declare any size).
SCAN_DPI = (200, 300)
MAX_SIDE = 3600
GENERATION_FAILED = (
    "La génération des documents s’est arrêtée sur une erreur du service. Les documents déjà "
    "produits sont gardés ; relancez la génération pour produire les autres."
)


# ---------------------------------------------------------------- who, which meeting


def _require(user: User, call: Call) -> None:
    if not can_in_call(user, Do.ISSUE, call):
        raise CommitteeError("Votre rôle ne permet pas d’établir les documents des décisions.")


def may_issue(user: User, call: Call) -> bool:
    return can_in_call(user, Do.ISSUE, call)


def closed_meeting(user: User, call: Call, number: int) -> Meeting:
    """The closed meeting ``number`` of the call, for a manager (``MeetingNotFound`` else)."""
    if not may_issue(user, call):
        raise MeetingNotFound
    meeting = get_meeting(user, call, number)
    if meeting.status != MeetingStatus.CLOSED:
        raise MeetingNotFound
    return meeting


def closed_meetings(user: User, call: Call) -> QuerySet[Meeting]:
    if not may_issue(user, call):
        return Meeting.objects.none()
    return Meeting.objects.filter(call=call, status=MeetingStatus.CLOSED).order_by("-number")


def issuable(meeting: Meeting) -> QuerySet[Decision]:
    """The meeting's decisions that have a document, in the agenda's order."""
    return (
        Decision.objects.filter(item__meeting=meeting, outcome__in=list(ISSUED))
        .select_related("item__dossier__call", "item__meeting__call", "grant__envelope")
        .order_by("item__position")
    )


@dataclass(frozen=True)
class Row:
    """One line of the meeting's decisions page."""

    decision: Decision
    document: DecisionDocument | None
    scan: SignedScan | None

    @property
    def dossier(self) -> Dossier:
        return self.decision.item.dossier


def rows(meeting: Meeting) -> list[Row]:
    decisions = list(issuable(meeting))
    documents = {
        d.decision_id: d
        for d in DecisionDocument.objects.filter(decision__in=decisions).select_related(
            "signed_scan"
        )
    }
    out = []
    for decision in decisions:
        document = documents.get(decision.pk)
        scan = getattr(document, "signed_scan", None) if document is not None else None
        out.append(Row(decision, document, scan))
    return out


def documents_of(dossier: Dossier) -> list[DecisionDocument]:
    """The dossier's decision documents, the latest first (a later meeting may decide again)."""
    documents = list(
        DecisionDocument.objects.filter(decision__item__dossier=dossier)
        .select_related("decision__item__meeting", "signed_scan")
        .order_by("-generated_at", "-pk")
    )
    for document in documents:
        document.scan = getattr(document, "signed_scan", None)  # type: ignore[attr-defined]
    return documents


# ---------------------------------------------------------------- numbers and QR codes


def format_number(call: Call, year: int, kind: DecisionKind, sequence: int) -> str:
    """``63-2021-ARR-001``: the call's département, the year, the kind, the rank in the year
    (``DEMO-`` first for the demo call, as its dossiers' numbers)."""
    prefix = "DEMO-" if call.is_demo else ""
    return f"{prefix}{call.departement_code}-{year}-{NUMBER_CODES[kind]}-{sequence:03d}"


def _next_sequence(call: Call, year: int, kind: DecisionKind) -> int:
    DecisionCounter.objects.get_or_create(call=call, year=year, kind=kind)
    counter = DecisionCounter.objects.select_for_update().get(call=call, year=year, kind=kind)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def qr_payload(document: DecisionDocument) -> str:
    """What the QR code of each page says: the number and the UUID, signed with the site's key
    so that a code made elsewhere matches nothing."""
    return signing.Signer(salt=QR_SALT).sign(f"{document.number}|{document.uuid.hex}")


def read_payload(text: str) -> tuple[str, str] | None:
    """(number, uuid hex) of a payload this site signed, or None."""
    try:
        value = signing.Signer(salt=QR_SALT).unsign(text.strip())
    except signing.BadSignature:
        return None
    number, _, uuid_hex = value.partition("|")
    if not number or not re.fullmatch(r"[0-9a-f]{32}", uuid_hex):
        return None
    return number, uuid_hex


def qr_data_uri(document: DecisionDocument) -> str:
    return segno.make(qr_payload(document), error="m").svg_data_uri(border=0)


# ---------------------------------------------------------------- rendering


def _award_context(decision: Decision, dossier: Dossier) -> dict[str, Any]:
    from guichet.dossiers.services import verdict

    rules = dossier.call.rules
    assert decision.amount is not None and decision.year is not None
    cost_lines = list(dossier.cost_lines.all())
    cost = sum((line.amount_excl_vat for line in cost_lines), Decimal(0))
    cost_incl_vat = sum((line.amount_incl_vat for line in cost_lines), Decimal(0))
    result = verdict(dossier)
    tier = result.flat_tier
    flat = tier.amount if tier is not None else None
    maximum = min(flat, cost) if flat is not None and cost else decision.amount
    terms = payment_terms(decision.amount)
    full_rate = full_rate_applies(rules, dossier.population_used)
    return {
        "cost_lines": cost_lines,
        "cost": cost,
        "cost_incl_vat": cost_incl_vat,
        "tier": tier,
        "flat": flat,
        "maximum": maximum,
        "limited_by_cost": flat is not None and cost < flat,
        "reduced": decision.amount < maximum,
        "amount": decision.amount,
        "rate": _percent(funding_rate(decision.amount, cost)) if cost else "",
        "full_rate": full_rate,
        "full_rate_quote": rules.rules["FULL-RATE"].quote if full_rate else "",
        "flat_quote": rules.rule("FLAT-RATE").quote,
        "engagement_quote": rules.rule("ENGAGEMENT").quote,
        "engagement_deadline": rules.engagement_deadline,
        "terms": terms,
        "year": decision.year,
        "category": rules.category(dossier.category) if dossier.category else None,
    }


def _percent(rate: Decimal) -> str:
    """« 62,5 », « 100 »."""
    text = f"{rate:f}".replace(".", ",")
    return text.removesuffix(",0")


# The legal basis as written in a definition (« Décret n° 2018-514 … ») after « Vu ».
_ARTICLES = {"décret": "le", "code": "le", "règlement": "le", "arrêté": "l’", "loi": "la"}


def cited(legal_basis: str) -> str:
    """« le décret n° 2018-514 du 25 juin 2018 … » from « Décret n° 2018-514 … »."""
    text = " ".join(legal_basis.split())
    first = text.split(" ", 1)[0].lower()
    article = _ARTICLES.get(first)
    if article is None:
        return text
    lowered = text[0].lower() + text[1:]
    return f"{article}{lowered}" if article.endswith("’") else f"{article} {lowered}"


def render_document(document: DecisionDocument) -> bytes:
    decision = document.decision
    item = decision.item
    dossier, meeting = item.dossier, item.meeting
    call = dossier.call
    rules = call.rules
    context: dict[str, Any] = {
        "document": document,
        "decision": decision,
        "meeting": meeting,
        "dossier": dossier,
        "call": call,
        "service": call.service,
        "committee": rules.committee,
        "legal_basis_cited": cited(rules.committee.legal_basis),
        "qr": qr_data_uri(document),
        "date": document.generated_at.astimezone(clock.PARIS).date(),
    }
    if document.is_award:
        context.update(_award_context(decision, dossier))
        context["title"] = f"Arrêté n° {document.number} portant attribution d’une subvention"
        template = "documents/committee/award.html"
    else:
        context["title"] = f"Décision n° {document.number} : refus de subvention"
        template = "documents/committee/refusal.html"
    return render_pdf(template, context)


# ---------------------------------------------------------------- generating


def _event(dossier: Dossier, user: User, kind: str, summary: str, message: str = "") -> None:
    Event.objects.create(
        dossier=dossier, actor=user, at=clock.now(), kind=kind, summary=summary, message=message
    )


def generate(decision: Decision, user: User) -> tuple[DecisionDocument, bool]:
    """The decision's document, generated now or found made; ``True`` when made now."""
    _require(user, decision.item.meeting.call)
    with transaction.atomic():
        locked = (
            Decision.objects.select_for_update(of=("self",))
            .select_related("item__meeting__call", "item__dossier__call", "grant__envelope")
            .get(pk=decision.pk)
        )
        existing = DecisionDocument.objects.filter(decision=locked).first()
        if existing is not None:
            return existing, False
        meeting = locked.item.meeting
        if meeting.status != MeetingStatus.CLOSED:
            raise CommitteeError(
                "La séance n’est pas close : ses décisions n’ont pas encore pris effet."
            )
        kind = ISSUED.get(Outcome(locked.outcome))
        if kind is None:
            raise CommitteeError(
                "Un dossier ajourné ou inscrit en liste complémentaire n’a pas de document de "
                "décision : il attend une séance suivante."
            )
        call = meeting.call
        now = clock.now()
        year = now.astimezone(clock.PARIS).year
        sequence = _next_sequence(call, year, kind)
        document = DecisionDocument(
            decision=locked,
            call=call,
            kind=kind,
            year=year,
            sequence=sequence,
            number=format_number(call, year, kind, sequence),
            generated_at=now,
            generated_by=user,
            generated_by_label=history.label(user, with_email=False),
        )
        pdf = render_document(document)
        document.store_checked(ContentFile(pdf, name=document.file_name), folder="decisions")
        document.save()
        _event(
            locked.item.dossier, user, EventKind.REVIEW,
            f"{document.get_kind_display()} n° {document.number} établi, à signer",
        )  # fmt: skip
    return document, True


def start_generation(meeting: Meeting, user: User) -> GenerationRun:
    """Queue the generation of every document of the closed meeting; a run already queued or
    under way is returned instead of a second one."""
    from .tasks import generate_documents

    _require(user, meeting.call)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
        if locked.status != MeetingStatus.CLOSED:
            raise CommitteeError(
                "La séance n’est pas close : ses décisions n’ont pas encore pris effet."
            )
        current = locked.generation_runs.filter(
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        ).first()
        if current is not None:
            return current
        run = GenerationRun.objects.create(
            meeting=locked,
            requested_by=user,
            total=issuable(locked).count(),
            created_at=clock.now(),
        )
        pk = run.pk
        transaction.on_commit(lambda: generate_documents.enqueue(pk))
    return run


def run_generation(run_id: int) -> GenerationRun:
    """Make the documents of a queued run, its progress kept as it goes. Never raises: a failure
    is recorded on the run with a French message (the documents made before it are kept)."""
    claimed = GenerationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=clock.now(), done=0
    )
    run = GenerationRun.objects.select_related("meeting__call", "requested_by").get(pk=run_id)
    if not claimed:
        return run
    try:
        user = run.requested_by
        if not (user.is_active and may_issue(user, run.meeting.call)):
            return _finish(
                run, RunStatus.FAILED, "Vous n’avez plus le droit d’établir ces documents."
            )
        decisions = list(issuable(run.meeting))
        GenerationRun.objects.filter(pk=run.pk).update(total=len(decisions))
        created = 0
        for done, decision in enumerate(decisions, start=1):
            _, made = generate(decision, user)
            created += made
            GenerationRun.objects.filter(pk=run.pk).update(done=done, created=created)
        return _finish(run, RunStatus.DONE)
    except Exception:
        logger.exception("Generation run %s failed", run.pk)
        return _finish(run, RunStatus.FAILED, GENERATION_FAILED)


def _finish(run: GenerationRun, status: RunStatus, error: str = "") -> GenerationRun:
    GenerationRun.objects.filter(pk=run.pk).update(
        status=status, error=error[:500], finished_at=clock.now()
    )
    run.refresh_from_db()
    return run


def latest_run(meeting: Meeting) -> GenerationRun | None:
    return meeting.generation_runs.order_by("-created_at", "-pk").first()


# ---------------------------------------------------------------- the signed scan


def _pdfium_pages(content: bytes, pages: int) -> list[Any]:
    """The first ``pages`` pages of a PDF as greyscale PIL images, for the QR decoder."""
    import pypdfium2 as pdfium

    images = []
    document = pdfium.PdfDocument(content)
    try:
        for index in range(min(pages, len(document))):
            page = document[index]
            width, height = page.get_size()
            for dpi in SCAN_DPI:
                scale = min(dpi / 72, MAX_SIDE / max(width, height, 1))
                images.append(page.render(scale=scale, grayscale=True).to_pil())
            page.close()
    finally:
        document.close()
    return images


def read_qr_codes(content: bytes, *, pages: int = 1) -> list[str]:
    """The texts of the QR codes read on a PDF's first page(s), or [] (nothing read, or a page
    PDFium cannot render)."""
    import zxingcpp

    try:
        images = _pdfium_pages(content, pages)
    except Exception:  # a PDF check_upload accepted but PDFium cannot draw: nothing read
        logger.info("A scan's page could not be rendered", exc_info=True)
        return []
    for image in images:
        found = [
            r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        ]
        if found:
            return found
    return []


def _first_page_text(file: IO[bytes]) -> str:
    from pypdf import PdfReader

    try:
        file.seek(0)
        reader = PdfReader(file)
        return reader.pages[0].extract_text() or "" if reader.pages else ""
    except Exception:
        logger.info("A scan's text could not be read", exc_info=True)
        return ""
    finally:
        file.seek(0)


@dataclass(frozen=True)
class Match:
    document: DecisionDocument
    how: ScanMatch


def match_scan(meeting: Meeting, file: IO[bytes], chosen: DecisionDocument | None = None) -> Match:
    """Which of the meeting's documents a signed scan is, or ``CommitteeError`` saying why none.

    The QR code of its first page decides; without one, a document number of the meeting in its
    text layer; without either, the document chosen by hand. A code or number that contradicts
    the choice, or names a document of another meeting, is refused."""
    documents = {
        d.uuid.hex: d
        for d in DecisionDocument.objects.filter(decision__item__meeting=meeting).select_related(
            "decision__item__dossier"
        )
    }
    file.seek(0)
    content = file.read()
    file.seek(0)
    codes = read_qr_codes(content)
    for code in codes:
        read = read_payload(code)
        if read is None:
            continue
        number, uuid_hex = read
        document = documents.get(uuid_hex)
        if document is None:
            raise CommitteeError(
                f"Ce scan porte le code QR du document n° {number}, qui n’est pas une décision "
                "de cette séance.",
                "file",
            )
        _agrees(document, chosen, "le code QR")
        return Match(document, ScanMatch.QR)
    if codes:
        raise CommitteeError(
            "Le code QR de ce scan n’est pas celui d’un document de décision établi par le "
            "guichet : vérifiez que vous déposez le bon fichier.",
            "file",
        )
    text = _first_page_text(file)
    named = [d for d in documents.values() if d.number and d.number in text]
    if len(named) == 1:
        _agrees(named[0], chosen, "le numéro")
        return Match(named[0], ScanMatch.TEXT)
    if chosen is not None:
        if chosen.uuid.hex not in documents:
            raise CommitteeError("Ce document n’est pas une décision de cette séance.", "document")
        if named and chosen not in named:
            raise CommitteeError(
                "Le scan porte les numéros d’autres documents que celui choisi : vérifiez le "
                "fichier.",
                "document",
            )
        return Match(documents[chosen.uuid.hex], ScanMatch.HAND)
    raise CommitteeError(
        "Le code QR n’a pas pu être lu sur la première page du scan, ni le numéro du document : "
        "choisissez à la main le document que ce scan signe.",
        "document",
    )


def _agrees(found: DecisionDocument, chosen: DecisionDocument | None, what: str) -> None:
    if chosen is not None and chosen.pk != found.pk:
        raise CommitteeError(
            f"Ce scan porte {what} du document n° {found.number}, et non celui du document "
            f"n° {chosen.number} que vous avez choisi : vérifiez le fichier.",
            "file",
        )


def attach_signed_scan(
    meeting: Meeting, user: User, file: IO[bytes], *, chosen: DecisionDocument | None = None
) -> SignedScan:
    """Keep the signed scan of one of the meeting's documents (replacing an earlier scan until
    the document is notified). ``file`` is a ``DocumentField`` value, or any file (checked)."""
    _require(user, meeting.call)
    if meeting.status != MeetingStatus.CLOSED:
        raise CommitteeError(
            "La séance n’est pas close : ses décisions n’ont pas encore pris effet."
        )
    checked = getattr(file, "checked", None) or check_upload(file, kinds=["pdf"])
    if checked.kind != "pdf":
        raise CommitteeError("Le scan signé doit être un PDF.", "file")
    match = match_scan(meeting, file, chosen)
    with transaction.atomic():
        document = (
            DecisionDocument.objects.select_for_update(of=("self",))
            .select_related("decision__item__dossier")
            .get(pk=match.document.pk)
        )
        if document.status == DocumentStatus.NOTIFIED:
            raise CommitteeError(
                f"Le document n° {document.number} est déjà notifié : son scan signé ne se "
                "remplace plus.",
                "file",
            )
        scan = SignedScan.objects.filter(document=document).first() or SignedScan(document=document)
        replaced = scan.file.name if scan.pk else ""
        scan.store_checked(file, folder="decisions/signes")
        scan.uploaded_by = user
        scan.uploaded_by_label = history.label(user, with_email=False)
        scan.matched_by = match.how
        scan.save()
        document.status = DocumentStatus.SIGNED
        document.signed_at = clock.now()
        document.save(update_fields=["status", "signed_at"])
        _event(
            document.decision.item.dossier, user, EventKind.REVIEW,
            f"Scan signé du document n° {document.number} déposé ({match.how.label})",
        )  # fmt: skip
        if replaced:
            storage, name = scan.file.storage, replaced
            transaction.on_commit(lambda: storage.delete(name))
    return scan


# ---------------------------------------------------------------- notifying


def notify(document: DecisionDocument, user: User, *, dossier_url: str = "") -> DecisionDocument:
    """Send the signed decision to the dossier's team and record it; a document already notified
    is returned as it is (a second click sends nothing)."""
    from guichet.dossiers.notifications import dossier_url as default_url
    from guichet.dossiers.notifications import team_addresses

    _require(user, document.call)
    with transaction.atomic():
        locked = (
            DecisionDocument.objects.select_for_update(of=("self",))
            .select_related("decision__item__dossier__call", "decision__item__meeting", "call")
            .get(pk=document.pk)
        )
        if locked.status == DocumentStatus.NOTIFIED:
            return locked
        scan = SignedScan.objects.filter(document=locked).first()
        if locked.status != DocumentStatus.SIGNED or scan is None:
            raise CommitteeError(
                f"Déposez d’abord le scan signé du document n° {locked.number} : seule la "
                "décision signée est notifiée."
            )
        dossier = locked.decision.item.dossier
        addresses = team_addresses(dossier)
        if not addresses:
            raise CommitteeError(
                f"Le dossier {dossier.number} n’a plus personne à qui notifier la décision."
            )
        locked.status = DocumentStatus.NOTIFIED
        locked.notified_at = clock.now()
        locked.notified_by = user
        locked.notified_by_label = history.label(user, with_email=False)
        locked.notified_to = addresses
        locked.save(
            update_fields=[
                "status",
                "notified_at",
                "notified_by",
                "notified_by_label",
                "notified_to",
            ]
        )
        notified = "notifié" if locked.is_award else "notifiée"
        summary = f"{locked.get_kind_display()} n° {locked.number} {notified}"
        _event(dossier, user, EventKind.DECISION, summary, outcome_text(locked.decision))
        scan.file.open("rb")
        try:
            pdf = scan.file.read()
        finally:
            scan.file.close()
        send_email(
            addresses,
            "committee/decision_notified",
            {
                "document": locked,
                "dossier": dossier,
                "call": dossier.call,
                "outcome": outcome_text(locked.decision),
                "reason": locked.decision.reason if not locked.is_award else "",
                "recourse": dossier.call.rules.committee.recourse,
                "engagement_deadline": french_date(dossier.call.rules.engagement_deadline),
                "url": dossier_url or default_url(dossier),
            },
            attachments=[(locked.file_name, pdf, "application/pdf")],
        )
    return locked


def notify_all(meeting: Meeting, user: User) -> list[DecisionDocument]:
    """Notify every signed document of the meeting not yet notified."""
    _require(user, meeting.call)
    waiting = DecisionDocument.objects.filter(
        decision__item__meeting=meeting, status=DocumentStatus.SIGNED
    ).order_by("kind", "sequence")
    return [notify(d, user) for d in waiting]


# ---------------------------------------------------------------- what the dossier's pages show


def outcome_text(decision: Decision) -> str:
    """« Accepté — 5 000 € (enveloppe 2021) » or « Refusé »."""
    if decision.outcome == Outcome.RETAINED and decision.amount is not None:
        return f"Accepté — {format_euros(decision.amount)} (enveloppe {decision.year})"
    return "Refusé"


def notified_decision(dossier: Dossier) -> DecisionDocument | None:
    """The dossier's last notified decision, as its team sees it."""
    return (
        DecisionDocument.objects.filter(
            decision__item__dossier=dossier, status=DocumentStatus.NOTIFIED
        )
        .select_related("decision__item__meeting", "signed_scan")
        .order_by("-notified_at", "-pk")
        .first()
    )


def document_for(
    user: User, uuid: Any, *, allowed: Callable[[User, Dossier], bool]
) -> DecisionDocument:
    """A decision document by its UUID, when ``allowed(user, dossier)``; ``LookupError`` else."""
    document = (
        DecisionDocument.objects.select_related("decision__item__dossier__call", "signed_scan")
        .filter(uuid=uuid)
        .first()
    )
    if document is None or not allowed(user, document.decision.item.dossier):
        raise LookupError(uuid)
    return document


def counts(rows_: Sequence[Row]) -> dict[str, int]:
    """How many documents of the page are missing, to sign, to notify, notified."""
    out = {"missing": 0, "generated": 0, "signed": 0, "notified": 0}
    for row in rows_:
        out[row.document.status if row.document else "missing"] += 1
    return out
