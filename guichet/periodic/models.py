"""What the periodic command did: one row per run, and the managers' daily notices it sent."""

from __future__ import annotations

from django.db import models

from guichet import clock
from guichet.calls.models import Call


class PeriodicRun(models.Model):
    """One run of ``manage.py guichet_periodic``: written when it starts (``ok`` is None while it
    runs, or when the process was killed before the end), finished with what each step did
    (``summary``, keyed by the step's name) and, for a failing run, each failing step's error."""

    started_at = models.DateTimeField("commencé le", default=clock.now)
    finished_at = models.DateTimeField("fini le", null=True, blank=True)
    ok = models.BooleanField("réussi", null=True)
    summary = models.JSONField("ce que chaque étape a fait", default=dict, blank=True)
    error = models.TextField("erreurs", blank=True)

    class Meta:
        verbose_name = "passage des travaux périodiques"
        verbose_name_plural = "passages des travaux périodiques"
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["started_at"], name="periodic_run_started")]

    def __str__(self) -> str:
        state = {True: "réussi", False: "en échec", None: "en cours ou interrompu"}[self.ok]
        return f"Passage du {self.started_at.astimezone(clock.PARIS):%d/%m/%Y à %H:%M} ({state})"


class NoticeKind(models.TextChoices):
    LAPSES_DUE = "lapses-due", "Subventions à déclarer caduques"


class ManagerNotice(models.Model):
    """An e-mail to a call's managers (``AgentRole`` manager), at most one a day per call and kind:
    the unique constraint makes a second run of the same day, even a concurrent one, send nothing."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("nature", max_length=40, choices=NoticeKind.choices)
    day = models.DateField("jour")
    count = models.PositiveIntegerField("nombre", default=0)
    recipients = models.TextField("destinataires", blank=True)
    sent_at = models.DateTimeField("envoyé le", default=clock.now)

    class Meta:
        verbose_name = "avis aux gestionnaires"
        verbose_name_plural = "avis aux gestionnaires"
        ordering = ["-day", "call"]
        constraints = [
            models.UniqueConstraint(fields=["call", "kind", "day"], name="manager_notice_daily"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.day:%d/%m/%Y})"
