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

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from guichet import clock
from guichet.calls.models import Envelope
from guichet.dossiers.models import Dossier


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
        ]

    def __str__(self) -> str:
        return f"Subvention de {self.amount} € ({self.envelope.year})"


class EntryKind(models.TextChoices):
    COMMITMENT = "commitment", "Engagement"
    RELEASE = "release", "Libération"
    PAYMENT = "payment", "Versement"


class ReleaseCause(models.TextChoices):
    LAPSE = "lapse", "Caducité"
    WITHDRAWAL = "withdrawal", "Retrait"
    REDUCTION = "reduction", "Réduction"


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
