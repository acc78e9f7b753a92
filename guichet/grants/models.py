"""Grants and the envelopes' ledger (rule ENVELOPE).

A grant is the amount decided for one dossier, charged to one envelope year. The ledger of an
envelope is append-only: a commitment when a grant is decided, a release when money comes back
(lapse, withdrawal, reduction), a payment when money is paid (after the decision). Nothing edits
or deletes a line: the model refuses it, a database trigger refuses an UPDATE (and, on
PostgreSQL, a DELETE), and every correction is a new line. The envelope's maintained sums
(``calls.Envelope.committed``, ``released``, ``paid``) carry the database's constraint that no
remainder is ever below zero.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from guichet import clock
from guichet.calls.models import Envelope
from guichet.documents.models import StoredFileMixin
from guichet.dossiers.models import Dossier
from guichet.rules.postaward import PAYMENT_KIND_LABELS, PIECE_LABELS, PaymentKind
from guichet.rules.postaward import PieceKind as RequestPieceKind


class GrantStatus(models.TextChoices):
    ACTIVE = "active", "Attribuée"
    LAPSED = "lapsed", "Caduque"
    WITHDRAWN = "withdrawn", "Retirée"
    CLOSED = "closed", "Soldée"


class Grant(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="grants")
    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="grants")
    # What is granted now: the decided amount less what was released on it (a reduction).
    amount = models.DecimalField("montant attribué", max_digits=12, decimal_places=2)
    decided_amount = models.DecimalField("montant décidé", max_digits=12, decimal_places=2)
    status = models.CharField(
        "état", max_length=20, choices=GrantStatus.choices, default=GrantStatus.ACTIVE
    )
    decided_at = models.DateTimeField("décidée le", default=clock.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_by_label = models.CharField("décidée par", max_length=300, blank=True)
    # Kept by grants.postaward in the transaction of each certification and payment, under the
    # grant's lock; the constraints below are the database's guard: never paid beyond what was
    # certified, never certified beyond the grant.
    certified = models.DecimalField(
        "service fait certifié", max_digits=12, decimal_places=2, default=Decimal(0)
    )
    paid = models.DecimalField("versé", max_digits=12, decimal_places=2, default=Decimal(0))
    # Copied from the call when the grant is committed (rule ENGAGEMENT; post_award's
    # completion_months from the decision's day).
    engagement_deadline = models.DateField("date limite d’engagement")
    completion_deadline = models.DateField("achèvement au plus tard")
    engaged_on = models.DateField("engagé le", null=True, blank=True)
    ended_at = models.DateTimeField("close le", null=True, blank=True)

    class Meta:
        verbose_name = "subvention attribuée"
        verbose_name_plural = "subventions attribuées"
        ordering = ["decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(status="active"),
                name="grant_one_active_per_dossier",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, amount__lte=models.F("decided_amount")),
                name="grant_amount_within_decision",
            ),
            models.CheckConstraint(
                condition=Q(decided_amount__gt=0), name="grant_decided_positive"
            ),
            models.CheckConstraint(
                condition=Q(paid__gte=0, paid__lte=models.F("certified"))
                & Q(certified__lte=models.F("amount")),
                name="grant_paid_within_certified_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Subvention de {self.amount} € ({self.envelope.year})"

    @property
    def left_to_pay(self) -> Decimal:
        """What the grant may still pay (nothing once it lapsed, was withdrawn or closed)."""
        return self.amount - self.paid if self.status == GrantStatus.ACTIVE else Decimal(0)


class EntryKind(models.TextChoices):
    COMMITMENT = "commitment", "Engagement"
    RELEASE = "release", "Libération"
    PAYMENT = "payment", "Versement"


class ReleaseCause(models.TextChoices):
    LAPSE = "lapse", "Caducité"
    WITHDRAWAL = "withdrawal", "Retrait"
    REDUCTION = "reduction", "Réduction"
    CLOSING = "closing", "Solde inférieur à la subvention"


class AppendOnly(Exception):
    """A ledger line is never changed nor deleted: a correction is a new line."""


class LedgerEntry(models.Model):
    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="ledger")
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField("nature", max_length=20, choices=EntryKind.choices)
    cause = models.CharField("motif", max_length=20, choices=ReleaseCause.choices, blank=True)
    amount = models.DecimalField("montant", max_digits=12, decimal_places=2)
    # What was left to commit in the envelope once this line was written.
    remaining_after = models.DecimalField("reste après", max_digits=14, decimal_places=2)
    note = models.CharField("précision", max_length=500, blank=True)
    at = models.DateTimeField("date", default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField("auteur", max_length=300, blank=True)

    class Meta:
        verbose_name = "ligne du registre de l’enveloppe"
        verbose_name_plural = "registre des enveloppes"
        ordering = ["envelope", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="release", cause__in=[c.value for c in ReleaseCause])
                | (~Q(kind="release") & Q(cause="")),
                name="ledger_release_has_cause",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in EntryKind]), name="ledger_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} de {self.amount} €"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("Une ligne du registre ne se modifie pas : écrivez-en une nouvelle.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("Une ligne du registre ne se supprime pas : écrivez-en une nouvelle.")


ZERO = Decimal(0)


# --- after the decision: engagement, payment requests, the State's accounting numbers ----------


class EngagementStatus(models.TextChoices):
    SUBMITTED = "submitted", "À vérifier"
    VALIDATED = "validated", "Validé"
    REFUSED = "refused", "Refusé"


# DSFR badge colour per proof state (fr-badge--<suffix>), on both sides' pages.
ENGAGEMENT_BADGES: dict[str, str] = {
    EngagementStatus.SUBMITTED: "info",
    EngagementStatus.VALIDATED: "success",
    EngagementStatus.REFUSED: "error",
}


class EngagementProof(StoredFileMixin):
    """The signed quote or contract that proves the project was engaged (rule ENGAGEMENT), with
    its signature date; a reviewer validates or refuses it with a reason. A refused proof stays
    (the history keeps both), and the beneficiary gives another."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="engagement_proofs")
    signed_on = models.DateField("date de signature")
    status = models.CharField(
        "état", max_length=20, choices=EngagementStatus.choices, default=EngagementStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_by_label = models.CharField("déposé par", max_length=300, blank=True)
    reviewed_at = models.DateTimeField("vérifié le", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reviewed_by_label = models.CharField("vérifié par", max_length=300, blank=True)
    reason = models.TextField("motif du refus", max_length=2000, blank=True)

    class Meta:
        verbose_name = "preuve d’engagement"
        verbose_name_plural = "preuves d’engagement"
        ordering = ["grant", "uploaded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant"],
                condition=Q(status="validated"),
                name="engagement_one_validated_per_grant",
            ),
            models.UniqueConstraint(
                fields=["grant"],
                condition=Q(status="submitted"),
                name="engagement_one_pending_per_grant",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(reason=""), name="engagement_refusal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Preuve d’engagement signée le {self.signed_on:%d/%m/%Y}"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Déposée"
    RETURNED = "returned", "Pièces demandées"
    CHECKED = "checked", "Vérifiée"
    CERTIFIED = "certified", "Service fait certifié"
    PAID = "paid", "Versée"
    REFUSED = "refused", "Refusée"


# DSFR badge colour per request state, on both sides' pages.
REQUEST_BADGES: dict[str, str] = {
    RequestStatus.SUBMITTED: "info",
    RequestStatus.RETURNED: "warning",
    RequestStatus.CHECKED: "info",
    RequestStatus.CERTIFIED: "success",
    RequestStatus.PAID: "success",
    RequestStatus.REFUSED: "error",
}

PAYMENT_KIND_CHOICES = [(k.value, PAYMENT_KIND_LABELS[k]) for k in PaymentKind]
REQUEST_PIECE_CHOICES = [(k.value, PIECE_LABELS[k]) for k in RequestPieceKind]


class PaymentRequest(models.Model):
    """A demande de versement: an advance, an instalment or the balance, with its pieces and its
    statement of expenses. A reviewer checks it, a named agent certifies the service done with the
    amount due, and the préfecture records the State's payment (``Payment``)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="payment_requests")
    number = models.PositiveIntegerField("numéro")  # 1, 2, … on its grant
    kind = models.CharField("nature", max_length=20, choices=PAYMENT_KIND_CHOICES)
    amount_requested = models.DecimalField("montant demandé", max_digits=12, decimal_places=2)
    # The statement of expenses' total, excluding VAT (the sum of its lines).
    expenses_total = models.DecimalField(
        "dépenses justifiées (HT)", max_digits=12, decimal_places=2, default=ZERO
    )
    status = models.CharField(
        "état", max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField("déposée le", default=clock.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_by_label = models.CharField("déposée par", max_length=300, blank=True)
    checked_at = models.DateTimeField("vérifiée le", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    checked_by_label = models.CharField("vérifiée par", max_length=300, blank=True)
    certified_at = models.DateTimeField("service fait certifié le", null=True, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    certified_by_label = models.CharField("service fait certifié par", max_length=300, blank=True)
    amount_due = models.DecimalField(
        "montant dû", max_digits=12, decimal_places=2, null=True, blank=True
    )
    certification_note = models.TextField("observations", max_length=2000, blank=True)
    # The last refusal's or request for pieces' reason, told to the beneficiary.
    reason = models.TextField("motif", max_length=2000, blank=True)

    class Meta:
        verbose_name = "demande de versement"
        verbose_name_plural = "demandes de versement"
        ordering = ["grant", "number"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="request_number_per_grant"),
            models.UniqueConstraint(
                fields=["grant", "kind"],
                condition=Q(kind__in=["advance", "balance"]) & ~Q(status="refused"),
                name="request_one_advance_one_balance",
            ),
            models.CheckConstraint(
                condition=Q(amount_requested__gt=0), name="request_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in PaymentKind]), name="request_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["certified", "paid"], amount_due__gt=0)
                & Q(amount_due__lte=models.F("amount_requested"))
                | (~Q(status__in=["certified", "paid"]) & Q(amount_due__isnull=True)),
                name="request_due_when_certified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} n° {self.number}"

    @property
    def kind_enum(self) -> PaymentKind:
        return PaymentKind(self.kind)


class ExpenseLine(models.Model):
    """One line of a request's statement of expenses: its supplier, invoice, date and amount."""

    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="expenses")
    supplier = models.CharField("fournisseur", max_length=200)
    invoice_number = models.CharField("n° de facture", max_length=60, blank=True)
    invoiced_on = models.DateField("date de la facture")
    nature = models.CharField("nature de la dépense", max_length=200)
    amount_excl_vat = models.DecimalField("montant HT", max_digits=12, decimal_places=2)
    amount_incl_vat = models.DecimalField("montant TTC", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "ligne de l’état des dépenses"
        verbose_name_plural = "lignes de l’état des dépenses"
        ordering = ["request", "invoiced_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_excl_vat__gt=0), name="expense_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount_incl_vat__gte=models.F("amount_excl_vat")),
                name="expense_incl_vat_not_below_excl_vat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} — {self.amount_excl_vat} € HT"


class RequestPiece(StoredFileMixin):
    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="pieces")
    kind = models.CharField("nature", max_length=30, choices=REQUEST_PIECE_CHOICES)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "pièce d’une demande de versement"
        verbose_name_plural = "pièces des demandes de versement"
        ordering = ["request", "kind", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class LegalCommitment(models.Model):
    """The State's engagement juridique (Chorus Cœur) of a grant for one budget year."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="legal_commitments")
    number = models.CharField("n° d’engagement juridique", max_length=10, unique=True)
    year = models.PositiveIntegerField("exercice")
    amount = models.DecimalField("montant", max_digits=12, decimal_places=2)
    recorded_at = models.DateTimeField("enregistré le", default=clock.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_by_label = models.CharField("enregistré par", max_length=300, blank=True)

    class Meta:
        verbose_name = "engagement juridique"
        verbose_name_plural = "engagements juridiques"
        ordering = ["grant", "year"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "year"], name="legal_commitment_per_year"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="legal_commitment_positive"),
        ]

    def __str__(self) -> str:
        return f"EJ {self.number}"


class Payment(models.Model):
    """The State's payment of a certified request (its demande de paiement in Chorus): a ledger
    line of kind payment."""

    request = models.OneToOneField(PaymentRequest, on_delete=models.PROTECT, related_name="payment")
    number = models.CharField("n° de demande de paiement", max_length=20, unique=True)
    paid_on = models.DateField("date du paiement")
    amount = models.DecimalField("montant", max_digits=12, decimal_places=2)
    ledger_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="payment"
    )
    recorded_at = models.DateTimeField("enregistré le", default=clock.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_by_label = models.CharField("enregistré par", max_length=300, blank=True)

    class Meta:
        verbose_name = "paiement"
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"Paiement {self.number}"


class Reminder(models.Model):
    """One reminder e-mail sent about a grant (``kind`` such as « engagement-30 »): each is sent
    once, which the unique constraint guarantees whatever runs at the same time."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField("nature", max_length=40)
    sent_at = models.DateTimeField("envoyé le", default=clock.now)
    recipients = models.TextField("destinataires", blank=True)

    class Meta:
        verbose_name = "relance"
        ordering = ["grant", "sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "kind"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"Relance {self.kind}"


class GrantDocumentKind(models.TextChoices):
    LAPSE_NOTICE = "lapse_notice", "Notification de caducité"


class GrantDocument(StoredFileMixin):
    """A document guichet writes about a grant after its decision (the lapse notice)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField("nature", max_length=30, choices=GrantDocumentKind.choices)

    class Meta:
        verbose_name = "document de la subvention"
        verbose_name_plural = "documents des subventions"
        ordering = ["grant", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "kind"], name="grant_document_once"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
