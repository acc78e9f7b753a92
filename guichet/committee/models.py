"""The selection committee's meetings (rule COMMITTEE): agenda, attendance, conflicts of
interest, votes and decisions.

A meeting is prepared by the programme manager (``draft``), convened (``convened``: the agenda is
frozen and sent with its summary note), opened by the chair (``open``: attendance, conflicts,
votes and decisions are recorded) and closed by the chair (``closed``: the decisions take effect,
the minutes are written, nothing changes any more). A decision is changed only by a later
meeting.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from guichet import clock
from guichet.calls.models import Call, CollectionSession
from guichet.documents.models import StoredFileMixin
from guichet.dossiers.models import Dossier
from guichet.grants.models import Grant


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", "En préparation"
    CONVENED = "convened", "Convoquée"
    OPEN = "open", "Ouverte"
    CLOSED = "closed", "Close"


class Meeting(models.Model):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="meetings")
    number = models.PositiveSmallIntegerField("numéro de séance")
    starts_at = models.DateTimeField("date et heure")
    place = models.CharField("lieu", max_length=300, blank=True)
    video_url = models.URLField("lien de visioconférence", blank=True)
    sessions = models.ManyToManyField(
        CollectionSession, related_name="meetings", verbose_name="sessions de relevé"
    )
    status = models.CharField(
        "état", max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT
    )
    created_at = models.DateTimeField("créée le", default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    convened_at = models.DateTimeField("convoquée le", null=True, blank=True)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField("ouverte le", null=True, blank=True)
    closed_at = models.DateTimeField("close le", null=True, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chair_label = models.CharField("président de séance", max_length=300, blank=True)
    # Envelope years before the decisions took effect, as the minutes print them:
    # {"2021": {"amount": "148500.00", "remaining": "…"}, …}
    envelopes_before = models.JSONField("enveloppes avant la séance", default=dict, blank=True)
    envelopes_after = models.JSONField("enveloppes après la séance", default=dict, blank=True)

    class Meta:
        verbose_name = "séance du comité"
        verbose_name_plural = "séances du comité"
        ordering = ["call", "number"]
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], name="meeting_number_unique"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in MeetingStatus]),
                name="meeting_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(convened_at__isnull=False),
                name="meeting_convened_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["open", "closed"]) | Q(opened_at__isnull=False),
                name="meeting_open_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="meeting_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Séance n° {self.number} du comité de sélection"

    @property
    def is_closed(self) -> bool:
        return self.status == MeetingStatus.CLOSED


class AgendaItem(models.Model):
    """One dossier on a meeting's agenda, with what the summary note said of it when the agenda
    was frozen (the dossier may change later, the note does not)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField("rang à l’ordre du jour")
    maximum_amount = models.DecimalField(
        "montant maximal", max_digits=12, decimal_places=2, null=True, blank=True
    )
    proposed_amount = models.DecimalField(
        "montant proposé", max_digits=12, decimal_places=2, null=True, blank=True
    )
    score = models.DecimalField(
        "note pondérée", max_digits=7, decimal_places=2, null=True, blank=True
    )
    opinion = models.CharField("avis de l’instruction", max_length=20, blank=True)
    small = models.BooleanField("petite ou moyenne collectivité", default=False)

    class Meta:
        verbose_name = "point de l’ordre du jour"
        verbose_name_plural = "ordre du jour"
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "dossier"], name="agenda_dossier_once"),
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.dossier}"

    @property
    def opinion_label(self) -> str:
        from guichet.review.models import OpinionKind

        return OpinionKind(self.opinion).label.lower() if self.opinion else ""


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member_label = models.CharField("membre", max_length=300)
    is_chair = models.BooleanField("préside", default=False)
    present = models.BooleanField("présent")

    class Meta:
        verbose_name = "présence"
        ordering = ["meeting", "-is_chair", "member_label"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_label} : {'présent' if self.present else 'absent'}"


class ConflictOfInterest(models.Model):
    """A member declares a conflict of interest on one dossier: they take no part in it and are
    left out of its count. Kept and printed in the minutes."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="conflicts")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member_label = models.CharField("membre", max_length=300)
    reason = models.CharField("nature du lien", max_length=500, blank=True)
    declared_at = models.DateTimeField("déclaré le", default=clock.now)

    class Meta:
        verbose_name = "déclaration de conflit d’intérêts"
        verbose_name_plural = "déclarations de conflits d’intérêts"
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="conflict_once"),
        ]

    def __str__(self) -> str:
        return f"Conflit d’intérêts de {self.member_label}"


class VoteChoice(models.TextChoices):
    FOR = "for", "Pour"
    AGAINST = "against", "Contre"
    ABSTAIN = "abstain", "Abstention"


class Vote(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member_label = models.CharField("membre", max_length=300)
    choice = models.CharField("vote", max_length=10, choices=VoteChoice.choices)
    at = models.DateTimeField("le", default=clock.now)

    class Meta:
        verbose_name = "vote"
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="vote_once")]

    def __str__(self) -> str:
        return f"{self.member_label} : {self.get_choice_display()}"


class Outcome(models.TextChoices):
    RETAINED = "retained", "Retenu"
    REFUSED = "refused", "Refusé"
    POSTPONED = "postponed", "Ajourné à la séance suivante"
    WAITING_LIST = "waiting_list", "Liste complémentaire"


class Decision(models.Model):
    """What the committee decided on one agenda item. Recorded (and re-recorded) while the
    meeting is open; takes effect when it is closed (``grant`` set then); read-only after."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField("décision", max_length=20, choices=Outcome.choices)
    amount = models.DecimalField(
        "montant retenu", max_digits=12, decimal_places=2, null=True, blank=True
    )
    year = models.PositiveSmallIntegerField("enveloppe", null=True, blank=True)
    reason = models.TextField("motif", max_length=3000, blank=True)
    waiting_rank = models.PositiveSmallIntegerField("rang", null=True, blank=True)
    consensus = models.BooleanField("par consensus", default=True)
    recorded_at = models.DateTimeField("enregistrée le", default=clock.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_label = models.CharField("enregistrée par", max_length=300)
    grant = models.OneToOneField(
        Grant, on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
    )

    class Meta:
        verbose_name = "décision du comité"
        verbose_name_plural = "décisions du comité"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(outcome="retained", amount__gt=0, year__isnull=False)
                    | (~Q(outcome="retained") & Q(amount__isnull=True, year__isnull=True))
                ),
                name="decision_retained_has_amount_and_year",
            ),
            models.CheckConstraint(
                condition=Q(outcome="waiting_list", waiting_rank__isnull=False)
                | (~Q(outcome="waiting_list") & Q(waiting_rank__isnull=True)),
                name="decision_waiting_list_ranked",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="refused") | ~Q(reason=""),
                name="decision_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in Outcome]), name="decision_outcome_known"
            ),
        ]

    def __str__(self) -> str:
        return self.get_outcome_display()


class MeetingDocumentKind(models.TextChoices):
    SUMMARY_NOTE = "summary_note", "Note de synthèse"
    MINUTES = "minutes", "Procès-verbal"


class MeetingDocument(StoredFileMixin):
    """The summary note sent with the convocation and the minutes written at closing."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("nature", max_length=20, choices=MeetingDocumentKind.choices)

    class Meta:
        verbose_name = "document de séance"
        verbose_name_plural = "documents de séance"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "kind"], name="meeting_document_once"),
        ]


class ProgrammingChoice(models.Model):
    """What the committee changed in the programming proposal for one dossier of an open
    meeting, kept until it is adopted: pinned in, excluded, another amount, a forced year."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="choice")
    pinned = models.BooleanField("imposé", default=False)
    excluded = models.BooleanField("écarté", default=False)
    amount = models.DecimalField(
        "montant modifié", max_digits=12, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField("motif du montant", max_length=500, blank=True)
    year = models.PositiveSmallIntegerField("enveloppe imposée", null=True, blank=True)
    changed_at = models.DateTimeField("modifié le", default=clock.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "choix de programmation"
        verbose_name_plural = "choix de programmation"
        constraints = [
            models.CheckConstraint(
                condition=~Q(pinned=True, excluded=True), name="choice_not_pinned_and_excluded"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="choice_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Choix de programmation pour {self.item}"


# ---------------------------------------------------------------- the decisions' documents


class DecisionKind(models.TextChoices):
    AWARD = "award", "Arrêté attributif"
    REFUSAL = "refusal", "Lettre de refus"


# The letters of a document's number: 63-2021-ARR-001, 63-2021-REF-001.
NUMBER_CODES = {DecisionKind.AWARD: "ARR", DecisionKind.REFUSAL: "REF"}


class DecisionCounter(models.Model):
    """The last number given to a kind of decision document in a call and a year; its row is
    locked while a document takes the next one."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("année")
    kind = models.CharField("nature", max_length=20, choices=DecisionKind.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "compteur des décisions"
        constraints = [
            models.UniqueConstraint(fields=["call", "year", "kind"], name="decision_counter_once"),
        ]

    def __str__(self) -> str:
        return f"{self.call} {self.year} {self.kind} : {self.last}"


class DocumentStatus(models.TextChoices):
    GENERATED = "generated", "Généré, à signer"
    SIGNED = "signed", "Signé, à notifier"
    NOTIFIED = "notified", "Notifié"


class ScanMatch(models.TextChoices):
    QR = "qr", "par son code QR"
    TEXT = "text", "par le numéro lu dans le PDF"
    HAND = "hand", "choisi à la main"


class DecisionDocument(StoredFileMixin):
    """The arrêté attributif of a retained dossier or the refusal letter of a refused one, as
    generated (the stored file), numbered per call, year and kind. Then signed (a scan uploaded
    back, ``signed_scan``) and notified to the dossier's team. One per decision: generating it
    again returns it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="document")
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("nature", max_length=20, choices=DecisionKind.choices)
    year = models.PositiveSmallIntegerField("année")
    sequence = models.PositiveIntegerField("rang dans l’année")
    number = models.CharField("numéro", max_length=40)
    status = models.CharField(
        "état", max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.GENERATED
    )
    generated_at = models.DateTimeField("généré le", default=clock.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    generated_by_label = models.CharField("généré par", max_length=300)
    signed_at = models.DateTimeField("scan signé déposé le", null=True, blank=True)
    notified_at = models.DateTimeField("notifié le", null=True, blank=True)
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notified_by_label = models.CharField("notifié par", max_length=300, blank=True)
    notified_to = models.JSONField("notifié à", default=list, blank=True)

    class Meta:
        verbose_name = "document de décision"
        verbose_name_plural = "documents de décision"
        ordering = ["call", "year", "kind", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], name="decision_document_number"),
            models.UniqueConstraint(
                fields=["call", "year", "kind", "sequence"], name="decision_document_sequence"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in DecisionKind]),
                name="decision_document_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(status="generated", signed_at__isnull=True, notified_at__isnull=True)
                | Q(status="signed", signed_at__isnull=False, notified_at__isnull=True)
                | Q(status="notified", signed_at__isnull=False, notified_at__isnull=False),
                name="decision_document_status_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} n° {self.number}"

    @property
    def is_award(self) -> bool:
        return self.kind == DecisionKind.AWARD

    @property
    def file_name(self) -> str:
        stem = "arrete" if self.is_award else "lettre-de-refus"
        return f"{stem}-{self.number}.pdf"


class SignedScan(StoredFileMixin):
    """The signed decision, scanned and uploaded back by the manager: what is notified."""

    document = models.OneToOneField(
        DecisionDocument, on_delete=models.CASCADE, related_name="signed_scan"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_label = models.CharField("déposé par", max_length=300)
    matched_by = models.CharField("rapproché", max_length=10, choices=ScanMatch.choices)

    class Meta:
        verbose_name = "scan signé"
        verbose_name_plural = "scans signés"

    def __str__(self) -> str:
        return f"Scan signé de {self.document}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminée"
    FAILED = "failed", "Échec"


class GenerationRun(models.Model):
    """One « Générer les documents » of a closed meeting, done in the background with its
    progress. A meeting has at most one run queued or running at a time."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="generation_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "état", max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    total = models.PositiveIntegerField("documents à produire", default=0)
    done = models.PositiveIntegerField("documents produits", default=0)
    created = models.PositiveIntegerField("documents nouveaux", default=0)
    error = models.CharField("erreur", max_length=500, blank=True)
    created_at = models.DateTimeField("demandée le", default=clock.now)
    started_at = models.DateTimeField("commencée le", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "génération des documents"
        ordering = ["meeting", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting"],
                condition=Q(status__in=["queued", "running"]),
                name="generation_run_one_at_a_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="generation_run_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Génération des documents de la {self.meeting}"

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)


class WaitingListOffer(models.Model):
    """The waiting list's next chance: a lapse freed money on an envelope year, and the first
    dossier of the call's waiting list that this money can fund is offered to the next meeting.
    ``meeting`` is set when the dossier is put on a meeting's agenda (null: not yet)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="offers")
    lapsed_grant = models.OneToOneField(
        Grant, on_delete=models.PROTECT, related_name="waiting_list_offer"
    )
    year = models.PositiveSmallIntegerField("enveloppe")
    amount_freed = models.DecimalField("montant libéré", max_digits=12, decimal_places=2)
    amount = models.DecimalField("montant du dossier", max_digits=12, decimal_places=2)
    offered_at = models.DateTimeField("proposé le", default=clock.now)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers"
    )

    class Meta:
        verbose_name = "proposition suite à une caducité"
        verbose_name_plural = "propositions suite à une caducité"
        ordering = ["offered_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_freed__gt=0, amount__gt=0), name="offer_amounts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Proposé suite à la caducité de {self.lapsed_grant.dossier.number}"
