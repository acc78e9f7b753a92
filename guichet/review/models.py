"""The préfecture's side of a call: agents' roles, routing, scores, opinions and private notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers.models import Dossier, actor_label


class Role(models.TextChoices):
    REVIEWER = "reviewer", "Instructeur"
    MANAGER = "manager", "Gestionnaire de l’appel"
    COMMITTEE = "committee", "Membre du comité"
    AUDITOR = "auditor", "Auditeur (lecture seule)"


class AgentRole(models.Model):
    """What one agent may do in one call. A reviewer covers some arrondissements, or the whole
    département when ``arrondissements`` is empty (the préfecture's team, which also receives the
    dossiers of départements and régions)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_roles"
    )
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="agent_roles")
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    arrondissements = models.JSONField("arrondissements", default=list, blank=True)
    # The committee's chair (here the sous-préfet de Thiers): opens and closes its meetings.
    chair = models.BooleanField("préside le comité", default=False)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "rôle d’agent"
        verbose_name_plural = "rôles d’agents"
        constraints = [
            models.UniqueConstraint(fields=["user", "call", "role"], name="agent_role_unique"),
            models.CheckConstraint(
                condition=Q(chair=False) | Q(role="committee"), name="agent_role_chair_is_member"
            ),
            models.UniqueConstraint(
                fields=["call"], condition=Q(chair=True), name="agent_role_one_chair_per_call"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.call}"

    @property
    def whole_departement(self) -> bool:
        return not self.arrondissements


class Assignment(models.Model):
    """Who instructs a dossier: its arrondissement's team, and possibly one named reviewer.

    The current one has ``ended_at`` NULL; earlier ones are kept as the routing history.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="assignments")
    arrondissement_code = models.CharField("arrondissement", max_length=4, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField("motif", max_length=300, blank=True)

    class Meta:
        verbose_name = "affectation"
        ordering = ["dossier", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(ended_at__isnull=True),
                name="one_current_assignment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier} → {self.reviewer or self.arrondissement_code or 'préfecture'}"


class Score(models.Model):
    """One reviewer's mark on one criterion of the call's grid, with a comment."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scores"
    )
    criterion = models.CharField("critère", max_length=50)
    value = models.PositiveSmallIntegerField("note")
    comment = models.TextField("commentaire", max_length=2000, blank=True)
    scored_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "note"
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "reviewer", "criterion"], name="score_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion} : {self.value}"


class ScoreVersion(models.Model):
    """A mark as it was before its reviewer changed it: re-scoring keeps every version.

    The current mark is the ``Score``; each change copies the replaced one here, with when it
    was replaced. Never updated, never deleted; the reviewer's account cannot be deleted.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="score_versions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewer_label = models.CharField("instructeur", max_length=300)
    criterion = models.CharField("critère", max_length=50)
    value = models.PositiveSmallIntegerField("note")
    comment = models.TextField("commentaire", max_length=2000, blank=True)
    scored_at = models.DateTimeField("notée le")
    replaced_at = models.DateTimeField("remplacée le")

    class Meta:
        verbose_name = "version précédente d’une note"
        verbose_name_plural = "versions précédentes des notes"
        ordering = ["dossier", "-replaced_at", "-id"]

    def __str__(self) -> str:
        return f"{self.criterion} : {self.value} (jusqu’au {self.replaced_at:%d/%m/%Y})"


class OpinionKind(models.TextChoices):
    FAVOURABLE = "favourable", "Favorable"
    RESERVED = "reserved", "Réservé"
    UNFAVOURABLE = "unfavourable", "Défavorable"


class Opinion(models.Model):
    """A reviewer's opinion and proposed amount; the latest one is what goes to the committee."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="opinions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opinions"
    )
    kind = models.CharField("avis", max_length=20, choices=OpinionKind.choices)
    proposed_amount = models.DecimalField("montant proposé", max_digits=12, decimal_places=2)
    maximum_amount = models.DecimalField("montant maximal", max_digits=12, decimal_places=2)
    justification = models.TextField("justification", max_length=5000, blank=True)
    given_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "avis"
        verbose_name_plural = "avis"
        ordering = ["dossier", "given_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposed_amount__gte=0)
                & Q(proposed_amount__lte=models.F("maximum_amount")),
                name="opinion_amount_within_maximum",
            ),
            models.CheckConstraint(
                condition=Q(proposed_amount=models.F("maximum_amount")) | ~Q(justification=""),
                name="opinion_modulation_justified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.proposed_amount} €"


class PrivateNote(models.Model):
    """A note between agents of the préfecture; the applicant never sees it."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField("note", max_length=5000)
    written_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "note privée"
        verbose_name_plural = "notes privées"
        ordering = ["dossier", "written_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]


class AgentInvitation(models.Model):
    """A programme manager's invitation to join a call's agents with one role.

    The e-mail carries a signed link (``guichet.review.agents``) valid 7 days;
    accepting it gives the role to the account of ``email`` (made on the link's page for a new
    person) and sets ``accepted_at``. A link is used once.
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="agent_invitations")
    email = models.EmailField("adresse électronique")
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    arrondissements = models.JSONField("arrondissements", default=list, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    invited_at = models.DateTimeField("invité le", default=clock.now)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "invitation d’agent"
        verbose_name_plural = "invitations d’agents"
        ordering = ["call", "-invited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()} — {self.call}"

    @property
    def whole_departement(self) -> bool:
        return not self.arrondissements


class RoleAction(models.TextChoices):
    INVITED = "invited", "Invitation envoyée"
    GRANTED = "granted", "Rôle attribué"
    SCOPE_CHANGED = "scope_changed", "Arrondissements modifiés"
    REMOVED = "removed", "Rôle retiré"
    CHAIR = "chair", "Présidence du comité confiée"


class RoleEvent(models.Model):
    """One line of a call's agents history: who gave, changed or removed which role, when.

    Written in the same transaction as the change (``guichet.review.agents``). Never updated,
    never deleted; an account named here cannot be deleted, and the names are kept as text.
    ``subject`` is NULL for an invitation to an address without an account yet.
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="role_events")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_label = models.CharField("agent", max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField("auteur", max_length=300, blank=True)
    action = models.CharField("action", max_length=20, choices=RoleAction.choices)
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    before = models.CharField("avant", max_length=1000, blank=True)
    after = models.CharField("après", max_length=1000, blank=True)
    at = models.DateTimeField("date", default=clock.now)

    class Meta:
        verbose_name = "événement des agents"
        verbose_name_plural = "historique des agents"
        ordering = ["call", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.subject_label}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.actor_id is not None and not self.actor_label:
            self.actor_label = actor_label(self.actor)
        if self.subject_id is not None and not self.subject_label:
            self.subject_label = actor_label(self.subject)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class StateCount(models.Model):
    """A change of the number of submitted dossiers of a call in one arrondissement and state:
    +1 when a dossier enters it, −1 when it leaves it. Written by the database's triggers on
    ``dossiers_dossier`` only (migration 0007), in the transaction of the change; read and
    compacted by ``guichet.review.counts``, which says why.

    ``call_id`` is a plain number, not a foreign key: the rows of a deleted call's dossiers are
    written while the call is being deleted, and sum to nothing.
    """

    call_id = models.BigIntegerField("appel")
    arrondissement_code = models.CharField("arrondissement", max_length=4, blank=True)
    state = models.CharField("état", max_length=32)
    n = models.IntegerField("nombre")
    # A sum written by ``counts.compact`` (the triggers write False).
    compacted = models.BooleanField("regroupé", default=False)

    class Meta:
        verbose_name = "décompte des dossiers déposés"
        verbose_name_plural = "décomptes des dossiers déposés"
        indexes = [models.Index(fields=["call_id"], name="statecount_call")]

    def __str__(self) -> str:
        return f"{self.state} {self.arrondissement_code or '—'} : {self.n:+d}"
