"""An export of the reviewers' list: who asked, what (call, filters, columns, format), where it
stands (queued, running, done, failed, with its progress) and the file, in the private storage."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from guichet import clock
from guichet.calls.models import Call
from guichet.documents.storage import private_storage

from .writers import ExportFormat


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Prêt"
    FAILED = "failed", "Échec"


FORMAT_CHOICES = [(f.value, f.label) for f in ExportFormat]


class Export(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField("format", max_length=8, choices=FORMAT_CHOICES)
    # The list's query string (filters, search, tab, sort) as {name: [values]}, and column keys.
    filters = models.JSONField("filtres", default=dict, blank=True)
    columns = models.JSONField("colonnes", default=list, blank=True)
    status = models.CharField(
        "état", max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField("dossiers à exporter", default=0)
    rows_done = models.PositiveIntegerField("dossiers exportés", default=0)
    file = models.FileField("fichier", storage=private_storage, max_length=255, blank=True)
    file_name = models.CharField("nom du fichier", max_length=200)
    size = models.PositiveBigIntegerField("taille (octets)", null=True, blank=True)
    error = models.CharField("erreur", max_length=500, blank=True)
    created_at = models.DateTimeField("demandé le", default=clock.now)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "export"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=[f.value for f in ExportFormat]), name="export_format_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="export_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def export_format(self) -> ExportFormat:
        return ExportFormat(self.format)

    # What guichet.documents.http.file_response reads.
    @property
    def original_name(self) -> str:
        return self.file_name

    @property
    def mime_type(self) -> str:
        return self.export_format.mime_type

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
