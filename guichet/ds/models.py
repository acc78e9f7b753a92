"""What the Démarches Simplifiées import keeps: where each démarche's streams stopped, the lock
that stops two imports of one démarche at once, and the link from each DS dossier to its guichet
dossier (the guichet dossier itself is an ordinary ``dossiers.Dossier``)."""

from __future__ import annotations

from django.db import models

from guichet.calls.models import Call
from guichet.dossiers.models import Dossier


class ImportState(models.Model):
    """The cursors of one démarche imported into one call, saved after every page.

    ``updated_since`` is the high-water mark the next run asks for (``updatedSince``). While a run
    is in progress, ``dossiers_cursor`` is the end of its last completed page and
    ``run_updated_since`` the mark that run started from, so an interrupted run resumes where it
    stopped. The deleted streams keep their cursor for good: new deletions come after it.
    """

    demarche_number = models.PositiveIntegerField("numéro de démarche")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="ds_imports")
    updated_since = models.DateTimeField("modifiés depuis", null=True, blank=True)
    dossiers_cursor = models.TextField("curseur des dossiers", blank=True)
    run_updated_since = models.DateTimeField("modifiés depuis (import en cours)", null=True)
    run_high_water = models.DateTimeField("dernière modification lue (import en cours)", null=True)
    run_first_failure = models.DateTimeField("première erreur (import en cours)", null=True)
    # When the run asked for its first page: a dossier changed on DS after it may have been read
    # before its change, so the next mark never passes it (``importer.MARK_MARGIN`` before).
    run_started_at = models.DateTimeField("import en cours commencé le", null=True)
    deleted_cursor = models.TextField("curseur des dossiers supprimés", blank=True)
    pending_deleted_cursor = models.TextField("curseur des dossiers à supprimer", blank=True)
    last_finished_at = models.DateTimeField("dernier import terminé le", null=True, blank=True)
    last_report = models.JSONField("dernier bilan", default=dict, blank=True)

    class Meta:
        verbose_name = "import Démarches Simplifiées"
        verbose_name_plural = "imports Démarches Simplifiées"
        constraints = [
            models.UniqueConstraint(
                fields=["demarche_number", "call"], name="ds_import_state_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Démarche {self.demarche_number} → {self.call}"


class DemarcheLock(models.Model):
    """A lease on a démarche: taken and renewed by a conditional UPDATE (``locks.py``)."""

    demarche_number = models.PositiveIntegerField("numéro de démarche", unique=True)
    token = models.CharField("jeton", max_length=64, blank=True)
    expires_at = models.DateTimeField("expire le", null=True, blank=True)
    holder = models.CharField("tenu par", max_length=200, blank=True)

    class Meta:
        verbose_name = "verrou de démarche"

    def __str__(self) -> str:
        return f"Démarche {self.demarche_number}"


class ImportedDossier(models.Model):
    """A guichet dossier that came from a DS dossier, and what it was when last read."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="ds_import")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+")
    demarche_number = models.PositiveIntegerField("numéro de démarche")
    ds_number = models.PositiveIntegerField("numéro du dossier DS")
    ds_id = models.CharField("identifiant DS", max_length=100)
    ds_state = models.CharField("état sur DS", max_length=20)
    ds_updated_at = models.DateTimeField("modifié sur DS le")
    # SHA-256 of the mapped values (fields, cost, pieces' checksums): equal means unchanged.
    checksum = models.CharField("empreinte des valeurs", max_length=64)
    # Piece kind → the DS files' checksums as imported.
    files = models.JSONField("fichiers importés", default=dict, blank=True)
    message_ids = models.JSONField("messages importés", default=list, blank=True)
    deactivated_at = models.DateTimeField("désactivé le", null=True, blank=True)
    # A change on DS guichet did not take (review started, collectivité changed): its checksum,
    # so that it is reported once (history line and ``errors``) and does not hold the mark back.
    refused_checksum = models.CharField(
        "empreinte de la modification refusée", max_length=64, blank=True
    )
    # Deleted (or pending deletion) on DS: kept until guichet withdraws the dossier, so that a
    # refused withdrawal is reported at every run until handled (or the dossier is final).
    ds_deleted_at = models.DateTimeField("supprimé sur DS le", null=True, blank=True)
    ds_deletion_pending = models.BooleanField("en attente de suppression sur DS", default=False)
    ds_deletion_reason = models.CharField("motif de suppression sur DS", max_length=200, blank=True)
    imported_at = models.DateTimeField("importé le")
    refreshed_at = models.DateTimeField("mis à jour le")

    class Meta:
        verbose_name = "dossier importé de Démarches Simplifiées"
        verbose_name_plural = "dossiers importés de Démarches Simplifiées"
        constraints = [
            models.UniqueConstraint(fields=["call", "ds_number"], name="ds_dossier_unique_in_call"),
        ]

    def __str__(self) -> str:
        return f"DS n° {self.ds_number} → {self.dossier}"
