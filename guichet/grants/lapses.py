"""What follows a lapse (caducité): the notice, its e-mail, and the waiting list's next chance.

Called by ``grants.postaward.lapse`` inside its transaction, once the money is released: the
notice's PDF is rendered and stored (a ``GrantDocument`` of kind lapse notice) in the same
transaction, as the decisions' documents are; its e-mail to the beneficiary goes after the
commit (``send_email`` queues itself); the offer to the waiting list is a row of the same
transaction, so a rolled-back lapse offers nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db.models import Sum

from guichet import clock
from guichet.documents.pdf import render_pdf

from .models import EntryKind, GrantDocument, GrantDocumentKind, ReleaseCause

if TYPE_CHECKING:
    from guichet.accounts.models import User

    from .models import Grant


def notice_file_name(grant: Grant) -> str:
    return f"caducite-{grant.dossier.number}.pdf"


def freed_by_lapse(grant: Grant) -> Decimal:
    """What the lapse gave back to the envelope (its release line)."""
    total = grant.ledger.filter(kind=EntryKind.RELEASE, cause=ReleaseCause.LAPSE).aggregate(
        s=Sum("amount")
    )["s"]
    return total or Decimal(0)


def _context(grant: Grant, user: User, freed: Decimal) -> dict[str, Any]:
    # The committee's decision and its arrêté sit above grants: imported here, not at the top.
    from guichet.committee.decisions import cited

    dossier = grant.dossier
    call = dossier.call
    rules = call.rules
    decision = getattr(grant, "decision", None)
    award = getattr(decision, "document", None) if decision is not None else None
    meeting = decision.item.meeting if decision is not None else None
    return {
        "title": f"Constat de caducité de la subvention accordée au dossier {dossier.number}",
        "service": call.service,
        "call": call,
        "dossier": dossier,
        "grant": grant,
        "meeting": meeting,
        "award": award,
        "decided_on": grant.decided_at.astimezone(clock.PARIS).date(),
        "deadline": grant.engagement_deadline,
        "engagement_quote": rules.rule("ENGAGEMENT").quote,
        "committee": rules.committee,
        "legal_basis_cited": cited(rules.committee.legal_basis),
        "freed": freed,
        "year": grant.envelope.year,
        "lapsed_on": (grant.ended_at or clock.now()).astimezone(clock.PARIS).date(),
    }


def render_notice(grant: Grant, user: User, freed: Decimal) -> bytes:
    return render_pdf("documents/grants/lapse_notice.html", _context(grant, user, freed))


def after_lapse(grant: Grant, user: User, written: list[str] | None = None) -> None:
    """Write the lapse notice, e-mail it to the beneficiary, and offer the freed money to the
    first dossier of the waiting list that it can fund, for the next meeting. The notice's file
    name goes into ``written``, for the caller to delete should its transaction roll back."""
    from guichet.committee import waiting  # the committee sits above grants

    from . import notifications

    freed = freed_by_lapse(grant)
    waiting.offer_after_lapse(grant, freed)
    pdf = render_notice(grant, user, freed)
    name = notice_file_name(grant)
    document = GrantDocument(grant=grant, kind=GrantDocumentKind.LAPSE_NOTICE)
    document.store_checked(ContentFile(pdf, name=name), folder="grants/caducites")
    if written is not None:
        written.append(document.file.name)
    document.save()
    notifications.lapse_notice(grant, pdf, name)


def notice_of(grant: Grant) -> GrantDocument | None:
    return grant.documents.filter(kind=GrantDocumentKind.LAPSE_NOTICE).first()
