"""The e-mails a dossier's life sends. Each is queued for after the current transaction commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from guichet.notifications.email import send_email

if TYPE_CHECKING:
    from .models import Dossier, Invitation, Message


def absolute(path: str) -> str:
    return settings.GUICHET["BASE_URL"].rstrip("/") + path


def dossier_url(dossier: Dossier) -> str:
    return absolute(reverse("applicant:dossier", args=[dossier.uuid]))


def team_addresses(dossier: Dossier) -> list[str]:
    """Every member of the dossier's team, and the operational contact."""
    addresses = [
        m.user.email for m in dossier.memberships.select_related("user") if m.user.is_active
    ]
    if dossier.contact_email and dossier.contact_email.lower() not in {
        a.lower() for a in addresses
    }:
        addresses.append(dossier.contact_email)
    return addresses


def reviewer_addresses(dossier: Dossier) -> list[str]:
    """The dossier's reviewer, and the agents of the préfecture who have acted on it."""
    member_ids = set(dossier.memberships.values_list("user_id", flat=True))
    emails = set(
        dossier.events.filter(actor__is_active=True)
        .exclude(actor_id__in=member_ids)
        .exclude(actor__isnull=True)
        .values_list("actor__email", flat=True)
    )
    if dossier.assignee_id and dossier.assignee.is_active:
        emails.add(dossier.assignee.email)
    return sorted(emails)


def dossier_submitted(dossier: Dossier) -> None:
    """The receipt: rendered and sent by a background task once the submission is committed."""
    from .tasks import send_receipt

    pk = dossier.pk
    transaction.on_commit(lambda: send_receipt.enqueue(pk))


def correction_requested(dossier: Dossier, message: str) -> None:
    send_email(
        team_addresses(dossier),
        "dossiers/correction_requested",
        {"dossier": dossier, "message": message, "url": dossier_url(dossier)},
    )


def dossier_resubmitted(dossier: Dossier) -> None:
    context = {"dossier": dossier, "url": dossier_url(dossier)}
    send_email(team_addresses(dossier), "dossiers/resubmitted_applicant", context)
    send_email(reviewer_addresses(dossier), "dossiers/resubmitted_reviewer", context)


def dossier_withdrawn(dossier: Dossier) -> None:
    context = {"dossier": dossier, "url": dossier_url(dossier)}
    send_email(team_addresses(dossier) + reviewer_addresses(dossier), "dossiers/withdrawn", context)


def message_posted(message: Message) -> None:
    dossier = message.dossier
    to = reviewer_addresses(dossier) if message.from_applicant else team_addresses(dossier)
    to = [a for a in to if a.lower() != message.author.email.lower()]
    send_email(
        to,
        "dossiers/message_posted",
        {"dossier": dossier, "message": message, "url": dossier_url(dossier) + "#messages"},
    )


def invitation_sent(invitation: Invitation) -> None:
    url = absolute(reverse("applicant:invitation", args=[invitation.token]))
    send_email(
        [invitation.email],
        "dossiers/invitation",
        {"invitation": invitation, "dossier": invitation.dossier, "url": url},
    )
