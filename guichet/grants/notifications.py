"""The e-mails of a grant's life after its decision, each queued for after the transaction commits.

The words are here, one function per message; every message uses the one template
``emails/grants/notice`` (a subject, paragraphs, an optional quoted reason, a link).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.urls import reverse

from guichet.dossiers.notifications import absolute, reviewer_addresses, team_addresses
from guichet.notifications.email import Attachment, send_email
from guichet.rules.money import format_euros
from guichet.rules.timing import french_date

if TYPE_CHECKING:
    from .models import EngagementProof, Grant, Payment, PaymentRequest


def applicant_url(grant: Grant) -> str:
    return absolute(reverse("applicant:dossier", args=[grant.dossier.uuid])) + "#subvention"


def agent_url(grant: Grant) -> str:
    return absolute(reverse("backoffice:dossier", args=[grant.dossier.uuid])) + "#subvention"


def _name(grant: Grant) -> str:
    d = grant.dossier
    return f"{d.number} « {d.title} » ({d.applicant_name})"


def _send(
    to: Sequence[str],
    subject: str,
    lines: Iterable[str],
    url: str,
    button: str,
    quote: str = "",
    quote_intro: str = "",
    attachments: Iterable[Attachment] = (),
) -> None:
    send_email(
        to,
        "grants/notice",
        {
            "subject": subject,
            "lines": list(lines),
            "url": url,
            "button": button,
            "quote": quote,
            "quote_intro": quote_intro,
        },
        attachments=attachments,
    )


def to_team(grant: Grant, subject: str, lines: Iterable[str], **kw: object) -> None:
    _send(
        team_addresses(grant.dossier), subject, lines, applicant_url(grant),
        "Suivre la subvention", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def to_agents(grant: Grant, subject: str, lines: Iterable[str], **kw: object) -> None:
    _send(
        reviewer_addresses(grant.dossier), subject, lines, agent_url(grant),
        "Ouvrir le dossier", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def engagement_submitted(grant: Grant, proof: EngagementProof) -> None:
    to_agents(
        grant,
        f"Dossier {grant.dossier.number} : preuve d’engagement à vérifier",
        [
            f"Le porteur du dossier {_name(grant)} a déposé la preuve de l’engagement de son "
            f"projet, signée le {french_date(proof.signed_on)}.",
            "Vérifiez-la, puis validez-la ou refusez-la en expliquant pourquoi.",
        ],
    )


def engagement_reviewed(grant: Grant, proof: EngagementProof) -> None:
    if proof.status == "validated":
        to_team(
            grant,
            f"Dossier {grant.dossier.number} : engagement validé",
            [
                f"La préfecture a validé l’engagement du projet {_name(grant)}, signé le "
                f"{french_date(proof.signed_on)}.",
                "Vous pouvez désormais demander le versement de la subvention.",
            ],
        )
    else:
        to_team(
            grant,
            f"Dossier {grant.dossier.number} : preuve d’engagement refusée",
            [
                f"La préfecture a refusé la preuve d’engagement déposée pour le projet "
                f"{_name(grant)}.",
                "Déposez une autre preuve au plus tard le "
                f"{french_date(grant.engagement_deadline)}, date limite d’engagement.",
            ],
            quote=proof.reason,
            quote_intro="Le motif :",
        )


def request_submitted(grant: Grant, request: PaymentRequest) -> None:
    to_agents(
        grant,
        f"Dossier {grant.dossier.number} : demande de versement n° {request.number} à vérifier",
        [
            f"Le porteur du dossier {_name(grant)} demande "
            f"{request.get_kind_display().lower()} de {format_euros(request.amount_requested)}.",
            "Vérifiez ses pièces et son état des dépenses.",
        ],
    )


def request_answered(grant: Grant, request: PaymentRequest) -> None:
    if request.status == "returned":
        subject = (
            f"Dossier {grant.dossier.number} : pièces demandées pour votre demande de versement"
        )
        lines = [
            f"La préfecture demande des pièces complémentaires pour la demande de versement "
            f"n° {request.number} du projet {_name(grant)}.",
            "Joignez-les puis renvoyez la demande.",
        ]
    else:
        subject = f"Dossier {grant.dossier.number} : demande de versement refusée"
        lines = [
            f"La préfecture a refusé la demande de versement n° {request.number} du projet "
            f"{_name(grant)}.",
        ]
    to_team(grant, subject, lines, quote=request.reason, quote_intro="Le motif :")


def request_certified(grant: Grant, request: PaymentRequest) -> None:
    to_team(
        grant,
        f"Dossier {grant.dossier.number} : service fait certifié",
        [
            f"La préfecture a certifié le service fait pour la demande de versement "
            f"n° {request.number} du projet {_name(grant)} : "
            f"{format_euros(request.amount_due or 0)} vous sont dus.",
            "Le comptable public procédera au paiement.",
        ],
    )


def payment_recorded(grant: Grant, payment: Payment) -> None:
    to_team(
        grant,
        f"Dossier {grant.dossier.number} : versement de {format_euros(payment.amount)}",
        [
            f"L’État a versé {format_euros(payment.amount)} le {french_date(payment.paid_on)} "
            f"au titre de la subvention du projet {_name(grant)}.",
            f"Versé en tout : {format_euros(grant.paid)} sur {format_euros(grant.amount)}."
            if grant.status == "active"
            else "La subvention est soldée.",
        ],
    )


def engagement_reminder(grant: Grant, days: int) -> list[str]:
    """The reminder ``days`` before the engagement deadline (« dans 30 jours », « demain »,
    « aujourd’hui même »); returns the addresses it went to."""
    to = team_addresses(grant.dossier)
    deadline = grant.engagement_deadline
    when = "aujourd’hui même" if days == 0 else "demain" if days == 1 else f"dans {days} jours"
    pending = grant.engagement_proofs.filter(status="submitted").exists()
    _send(
        to,
        f"Dossier {grant.dossier.number} : engagement à prouver au plus tard le "
        f"{french_date(deadline)}",
        [
            f"La subvention de {format_euros(grant.amount)} accordée au projet {_name(grant)} "
            f"suppose que le projet soit engagé (devis ou marché signé) au plus tard le "
            f"{french_date(deadline)}, {when}.",
            "Votre preuve d’engagement est en cours de vérification par la préfecture : vous "
            "serez informé de sa validation. Rien d’autre n’est à faire pour l’instant."
            if pending
            else "Déposez la preuve de l’engagement (le devis ou le marché signé et sa date de "
            "signature). Sans engagement prouvé à cette date, la subvention deviendra caduque.",
        ],
        applicant_url(grant),
        "Prouver l’engagement",
    )
    return to


def lapse_notice(grant: Grant, pdf: bytes, filename: str) -> None:
    to_team(
        grant,
        f"Dossier {grant.dossier.number} : subvention caduque",
        [
            f"Faute d’engagement du projet prouvé au "
            f"{french_date(grant.engagement_deadline)}, la "
            f"subvention de {format_euros(grant.decided_amount)} accordée au projet "
            f"{_name(grant)} est caduque.",
            "La notification est jointe à ce message ; elle indique les voies et délais de recours.",
        ],
        attachments=[(filename, pdf, "application/pdf")],
    )


def lapses_due(addresses: Sequence[str], call_title: str, count: int, url: str) -> None:
    """To the call's managers: grants whose engagement deadline passed without a proof."""
    _send(
        addresses,
        f"{count} subvention{'s' if count > 1 else ''} à déclarer caduque{'s' if count > 1 else ''}",
        [
            f"Appel « {call_title} » : {count} subvention{'s' if count > 1 else ''} n’"
            f"{'ont' if count > 1 else 'a'} pas d’engagement validé alors que la date limite "
            "d’engagement est passée.",
            "Prononcez leur caducité depuis la liste des subventions : leur montant reviendra à "
            "l’enveloppe.",
        ],
        url,
        "Voir les subventions à déclarer caduques",
    )
