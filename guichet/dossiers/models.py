"""Dossiers: a collectivité's application to a call, its team, its budget, its history and messages.

The lead collectivité and the partners are stored as (kind, code, name) of the reference data with
the call's vintage, never as foreign keys to territory rows: those rows are replaced when the
reference data is reloaded, and a dossier must keep saying who applied.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from guichet import clock
from guichet.accounts import history
from guichet.calls.models import Call, CollectionSession
from guichet.documents.models import StoredFileMixin

from . import searchtext
from .workflow import STATE_BADGES, STATE_LABELS, State

STATE_CHOICES = [(s.value, STATE_LABELS[s]) for s in State]


class Dossier(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="dossiers")
    # NULL until submission: drafts have no number, and the uniqueness per call ignores NULLs.
    number = models.CharField("numéro", max_length=32, null=True, blank=True)  # noqa: DJ001
    state = models.CharField("état", max_length=32, choices=STATE_CHOICES, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_dossiers"
    )

    # Porteur
    applicant_kind = models.CharField("type de collectivité", max_length=20)
    applicant_code = models.CharField("code de la collectivité", max_length=9)
    applicant_name = models.CharField("collectivité", max_length=200)
    applicant_vintage = models.CharField("millésime du référentiel", max_length=8)
    arrondissement_code = models.CharField("arrondissement", max_length=4, blank=True)
    # The establishment's SIRET (14 digits, its first nine the collectivité's SIREN), given on the
    # « Porteur » step and published in the call's open data (SCDL idBeneficiaire).
    siret = models.CharField("SIRET de l’établissement", max_length=14, blank=True)
    contact_name = models.CharField("nom du contact", max_length=150, blank=True)
    contact_function = models.CharField("fonction du contact", max_length=150, blank=True)
    contact_email = models.EmailField("courriel du contact", blank=True)
    contact_phone = models.CharField("téléphone du contact", max_length=20, blank=True)

    # Projet
    title = models.CharField("intitulé du projet", max_length=200, blank=True)
    summary = models.TextField("résumé", max_length=1000, blank=True)
    category = models.CharField("catégorie", max_length=8, blank=True)
    examples = models.JSONField("exemples de l’appel", default=list, blank=True)
    description = models.TextField("description", max_length=10000, blank=True)
    daily_life_effect = models.TextField(
        "effet sur la vie quotidienne", max_length=5000, blank=True
    )
    participatory = models.BooleanField("besoin issu d’une démarche participative", null=True)
    participatory_how = models.TextField("démarche participative", max_length=5000, blank=True)
    innovation = models.TextField("caractère innovant", max_length=5000, blank=True)
    solution_choice = models.TextField("choix de la solution", max_length=5000, blank=True)
    agents_reached = models.PositiveIntegerField("agents formés ou équipés", null=True, blank=True)
    users_reached = models.PositiveIntegerField("usagers touchés", null=True, blank=True)
    governance = models.TextField("gouvernance", max_length=5000, blank=True)
    pooling = models.TextField("mutualisation", max_length=5000, blank=True)

    # Budget
    other_funding = models.DecimalField(
        "autres financements", max_digits=12, decimal_places=2, null=True, blank=True
    )
    requested_amount = models.DecimalField(
        "montant demandé", max_digits=12, decimal_places=2, null=True, blank=True
    )

    # Calendrier
    engagement_date = models.DateField("date d’engagement", null=True, blank=True)
    end_date = models.DateField("date de fin", null=True, blank=True)

    # Dépôt
    sworn_statement = models.BooleanField("déclaration sur l’honneur", default=False)
    session = models.ForeignKey(
        CollectionSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
        verbose_name="session de relevé",
    )
    submitted_at = models.DateTimeField("déposé le", null=True, blank=True)
    review_started_at = models.DateTimeField("instruction commencée le", null=True, blank=True)
    withdrawn_at = models.DateTimeField("retiré le", null=True, blank=True)
    # The rules core's verdict when the dossier was (re)submitted.
    eligible_at_submission = models.BooleanField(null=True)
    maximum_amount = models.DecimalField(
        "montant maximal", max_digits=12, decimal_places=2, null=True, blank=True
    )
    flat_amount = models.DecimalField(
        "montant forfaitaire", max_digits=12, decimal_places=2, null=True, blank=True
    )
    population_used = models.PositiveIntegerField("population retenue", null=True, blank=True)
    # Set when a reviewer corrects the population of the reference data (the history keeps who).
    population_justification = models.TextField("justification de la population", blank=True)

    # Instruction (kept here, beside the dossier, so that lists filter and sort without joins).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_dossiers",
        verbose_name="instructeur",
    )
    score_average = models.DecimalField(
        "note moyenne", max_digits=5, decimal_places=2, null=True, blank=True
    )
    opinion = models.CharField("avis", max_length=20, blank=True)
    proposed_amount = models.DecimalField(
        "montant proposé", max_digits=12, decimal_places=2, null=True, blank=True
    )

    # Collectivité, title and number normalised for the reviewers' search (searchtext.py).
    search_text = models.TextField("texte de recherche", blank=True, editable=False)

    created_at = models.DateTimeField("créé le", auto_now_add=True)
    saved_at = models.DateTimeField("enregistré le", auto_now=True)

    class Meta:
        verbose_name = "dossier"
        ordering = ["-saved_at"]
        indexes = [
            models.Index(fields=["call", "state"]),
            models.Index(fields=["applicant_kind", "applicant_code"]),
            models.Index(fields=["call", "arrondissement_code", "state"]),
            models.Index(fields=["call", "submitted_at"]),
            # The list's tab counts, answered from the index alone.
            models.Index(
                fields=["call", "state"],
                condition=Q(submitted_at__isnull=False),
                name="dossier_submitted_by_state",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "number"], name="dossier_number_unique_in_call"
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in State]), name="dossier_state_known"
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__isnull=True) | Q(requested_amount__gt=0),
                name="dossier_requested_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(other_funding__isnull=True) | Q(other_funding__gte=0),
                name="dossier_other_funding_not_negative",
            ),
            models.CheckConstraint(
                # Never submitted (a draft, or a draft withdrawn): no number, no session.
                # Submitted: a number, a date and a session, and never a draft again.
                condition=Q(
                    state__in=[State.DRAFT, State.WITHDRAWN],
                    submitted_at__isnull=True,
                    number__isnull=True,
                    session__isnull=True,
                )
                | (
                    Q(submitted_at__isnull=False, number__isnull=False, session__isnull=False)
                    & ~Q(state=State.DRAFT)
                ),
                name="dossier_submission_consistent",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(engagement_date__isnull=True)
                | Q(end_date__gte=models.F("engagement_date")),
                name="dossier_end_after_engagement",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Brouillon — {self.title or 'sans titre'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = searchtext.search_text(self.applicant_name, self.title, self.number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(searchtext.SOURCE_FIELDS):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state_enum]

    @property
    def state_badge(self) -> str:
        return STATE_BADGES[self.state_enum]

    @property
    def total_cost(self) -> Decimal | None:
        """The sum of the cost lines excluding VAT, or None when there is none."""
        amounts = [line.amount_excl_vat for line in self.cost_lines.all()]
        return sum(amounts, Decimal(0)) if amounts else None

    @property
    def total_cost_incl_vat(self) -> Decimal | None:
        amounts = [line.amount_incl_vat for line in self.cost_lines.all()]
        return sum(amounts, Decimal(0)) if amounts else None


class PartnerRole(models.TextChoices):
    CO_FUNDER = "co_funder", "Cofinance le projet"
    CO_OWNER = "co_owner", "Copilote le projet"
    BENEFICIARY = "beneficiary", "Bénéficie du projet"


class Partner(models.Model):
    """A collectivité that carries a joint project with the lead applicant."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="partners")
    kind = models.CharField("type", max_length=20)
    code = models.CharField("code", max_length=9)
    name = models.CharField("nom", max_length=200)
    role = models.CharField("rôle", max_length=20, choices=PartnerRole.choices)

    class Meta:
        verbose_name = "partenaire"
        ordering = ["dossier", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "kind", "code"], name="partner_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CostLine(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="cost_lines")
    nature = models.CharField("nature de la dépense", max_length=200)
    supplier = models.CharField("fournisseur", max_length=200, blank=True)
    amount_excl_vat = models.DecimalField("montant HT", max_digits=12, decimal_places=2)
    amount_incl_vat = models.DecimalField("montant TTC", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "ligne de dépense"
        verbose_name_plural = "lignes de dépense"
        ordering = ["dossier", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_excl_vat__gt=0), name="cost_line_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount_incl_vat__gte=models.F("amount_excl_vat")),
                name="cost_line_incl_vat_not_below_excl_vat",
            ),
        ]

    def __str__(self) -> str:
        return self.nature


class MemberRole(models.TextChoices):
    OWNER = "owner", "Porteur du dossier"
    COLLEAGUE = "colleague", "Collègue invité"


class Membership(models.Model):
    """Who works on a dossier. Nobody else sees it."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dossier_memberships"
    )
    role = models.CharField("rôle", max_length=20, choices=MemberRole.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "membre"
        constraints = [
            models.UniqueConstraint(fields=["dossier", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class Invitation(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("adresse électronique")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "invitation"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation de {self.email}"


class EventKind(models.TextChoices):
    CREATED = "created", "Dossier créé"
    EDITED = "edited", "Dossier modifié après dépôt"
    TRANSITION = "transition", "Changement d’état"
    MESSAGE = "message", "Message"
    ATTACHMENT = "attachment", "Pièce jointe"
    INVITATION = "invitation", "Invitation"
    MEMBER = "member", "Membre ajouté"
    ASSIGNMENT = "assignment", "Affectation"
    REVIEW = "review", "Instruction"
    COMMITTEE = "committee", "Comité de sélection"
    DECISION = "decision", "Décision"
    ENGAGEMENT = "engagement", "Engagement"
    PAYMENT = "payment", "Versement"


def actor_label(user: Any) -> str:
    """The name a history line keeps beside the account that acted (``accounts.history.label``),
    within the column's length."""
    return history.label(user, with_email=False)[:300]


class Event(models.Model):
    """One line of a dossier's history: who, when, what changed. Never updated, never deleted.

    An account that acted cannot be deleted (``PROTECT``: deactivate it instead), and the line
    keeps the actor's name as it was (``actor_label``), whatever happens to the account later.
    NULL ``actor``: the application itself (a scheduled task).
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("date")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField("auteur", max_length=300, blank=True)
    kind = models.CharField("nature", max_length=20, choices=EventKind.choices)
    action = models.CharField("action", max_length=32, blank=True)
    from_state = models.CharField("état avant", max_length=32, blank=True)
    to_state = models.CharField("état après", max_length=32, blank=True)
    summary = models.CharField("résumé", max_length=300)
    message = models.TextField("message", blank=True)
    # {field label: [before, after]} for edits after submission.
    changes = models.JSONField("modifications", default=dict, blank=True)

    class Meta:
        verbose_name = "événement"
        ordering = ["dossier", "at", "id"]

    def __str__(self) -> str:
        return self.summary

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.actor_id is not None and not self.actor_label:
            self.actor_label = actor_label(self.actor)
        super().save(*args, **kwargs)

    @property
    def from_state_label(self) -> str:
        return STATE_LABELS[State(self.from_state)] if self.from_state else ""

    @property
    def to_state_label(self) -> str:
        return STATE_LABELS[State(self.to_state)] if self.to_state else ""


class Message(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dossier_messages"
    )
    from_applicant = models.BooleanField("envoyé par le porteur")
    body = models.TextField("message", max_length=10000)
    sent_at = models.DateTimeField("envoyé le")

    class Meta:
        verbose_name = "message"
        ordering = ["dossier", "sent_at", "id"]

    def __str__(self) -> str:
        return f"Message de {self.author} du {self.sent_at:%d/%m/%Y}"


class SubmissionCounter(models.Model):
    """The last number given in a call; locked while a dossier takes the next one."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="submission_counter")
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.call}: {self.last}"


class PieceKind(models.TextChoices):
    QUOTE = "quote", "Devis signé ou contrat"
    DELIBERATION = "deliberation", "Délibération ou décision de l’exécutif"
    BANK_DETAILS = "bank_details", "Relevé d’identité bancaire"
    OTHER = "other", "Autre pièce"
    RECEIPT = "receipt", "Accusé de réception"


# Pieces the team must attach before submitting.
REQUIRED_PIECES: tuple[PieceKind, ...] = (
    PieceKind.QUOTE,
    PieceKind.DELIBERATION,
    PieceKind.BANK_DETAILS,
)


class Attachment(StoredFileMixin):
    """A file of the dossier: a piece given by its team, or a document guichet produced."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField("nature", max_length=20, choices=PieceKind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "pièce"
        ordering = ["dossier", "kind", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class MessageAttachment(StoredFileMixin):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")

    class Meta:
        verbose_name = "pièce jointe"
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.original_name
