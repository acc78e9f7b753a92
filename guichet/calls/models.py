"""Funds, calls, their envelopes and collection sessions. A call's rules are its definition data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property

from django.db import models
from django.db.models import Q

from guichet import clock
from guichet.rules.parameters import CallRules, parse_call_rules


class Fund(models.Model):
    slug = models.SlugField("identifiant", unique=True)
    name = models.CharField("nom", max_length=300)
    total = models.DecimalField("dotation", max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = "fonds"
        verbose_name_plural = "fonds"
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="fund_total_positive")]

    def __str__(self) -> str:
        return self.name


class FundAxis(models.Model):
    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="axes")
    number = models.PositiveSmallIntegerField("axe")
    title = models.CharField("intitulé", max_length=300)
    amount = models.DecimalField("dotation", max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = "axe"
        ordering = ["fund", "number"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "number"], name="fund_axis_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_axis_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Axe {self.number} — {self.title}"


# Parsed CallRules by (call id, loaded_at): a reload changes loaded_at, so stale entries are unused.
_RULES_CACHE: dict[tuple[int, dt.datetime], CallRules] = {}


class CallStatus(models.TextChoices):
    UPCOMING = "upcoming", "À venir"
    OPEN = "open", "Ouvert"
    CLOSED = "closed", "Clos"


class CallQuerySet(models.QuerySet["Call"]):
    def open_first(self) -> CallQuerySet:
        """Open calls first (soonest deadline first), then upcoming, then closed (newest first)."""
        today = clock.today()
        return self.annotate(
            rank=models.Case(
                models.When(opens_on__lte=today, deadline__gte=today, then=0),
                models.When(opens_on__gt=today, then=1),
                default=2,
            )
        ).order_by("rank", "deadline")


class Call(models.Model):
    slug = models.SlugField("identifiant", unique=True, max_length=100)
    fund_axis = models.ForeignKey(FundAxis, on_delete=models.PROTECT, related_name="calls")
    title = models.CharField("intitulé", max_length=300)
    service = models.CharField("service instructeur", max_length=200)
    departement_code = models.CharField("département", max_length=3)
    reference_vintage = models.CharField("millésime du référentiel", max_length=4)
    opens_on = models.DateField("ouverture")
    deadline = models.DateField("date limite de dépôt")
    engagement_deadline = models.DateField("date limite d'engagement")
    is_demo = models.BooleanField("démonstration", default=False)
    definition = models.JSONField("définition")
    source_file = models.CharField("fichier de définition", max_length=200)
    loaded_at = models.DateTimeField("chargé le", auto_now=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = "appel à projets"
        verbose_name_plural = "appels à projets"
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("opens_on")), name="call_deadline_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @cached_property
    def rules(self) -> CallRules:
        """The call's parsed parameters, shared by every request until the call is reloaded."""
        key = (self.pk, self.loaded_at)
        rules = _RULES_CACHE.get(key)
        if rules is None:
            rules = parse_call_rules(self.definition)  # loads the field if it was deferred
            if len(_RULES_CACHE) > 256:
                _RULES_CACHE.clear()
            _RULES_CACHE[key] = rules
        return rules

    def status(self, today: dt.date | None = None) -> CallStatus:
        today = today or clock.today()
        if today < self.opens_on:
            return CallStatus.UPCOMING
        if today > self.deadline:
            return CallStatus.CLOSED
        return CallStatus.OPEN

    @property
    def total_envelope(self) -> Decimal:
        return self.rules.total_envelope


class Envelope(models.Model):
    """The money a call may commit for one budget year.

    ``committed``, ``released`` and ``paid`` are the sums of the envelope's ledger
    (``grants.LedgerEntry``), maintained by the one service that writes it
    (``grants.services``) in the transaction of each line, so that the database itself refuses a
    remainder below zero (``envelope_never_overcommitted``). What the pages show is summed from the
    ledger; a test checks that both agree.
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="envelopes")
    year = models.PositiveSmallIntegerField("année budgétaire")
    amount = models.DecimalField("montant", max_digits=14, decimal_places=2)
    committed = models.DecimalField("engagé", max_digits=14, decimal_places=2, default=Decimal(0))
    released = models.DecimalField("libéré", max_digits=14, decimal_places=2, default=Decimal(0))
    paid = models.DecimalField("versé", max_digits=14, decimal_places=2, default=Decimal(0))

    class Meta:
        verbose_name = "enveloppe"
        ordering = ["call", "year"]
        constraints = [
            models.UniqueConstraint(fields=["call", "year"], name="envelope_unique_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="envelope_amount_positive"),
            models.CheckConstraint(
                condition=Q(committed__gte=0, released__gte=0, paid__gte=0),
                name="envelope_sums_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(released__lte=models.F("committed")),
                name="envelope_releases_within_commitments",
            ),
            models.CheckConstraint(
                condition=Q(
                    committed__lte=models.F("amount") + models.F("released"),
                ),
                name="envelope_never_overcommitted",
            ),
            models.CheckConstraint(
                condition=Q(paid__lte=models.F("committed") - models.F("released")),
                name="envelope_paid_within_commitments",
            ),
        ]

    def __str__(self) -> str:
        return f"Enveloppe {self.year}"

    @property
    def remaining(self) -> Decimal:
        """What is left to commit, from the maintained sums (amount − commitments + releases)."""
        return self.amount - self.committed + self.released


class CollectionSession(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField("date de relevé")
    label = models.CharField("libellé", max_length=100)

    class Meta:
        verbose_name = "session de relevé"
        verbose_name_plural = "sessions de relevé"
        ordering = ["call", "date"]
        constraints = [
            models.UniqueConstraint(fields=["call", "date"], name="session_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.date:%d/%m/%Y})"
