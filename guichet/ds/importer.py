"""The import of a démarche's dossiers into a call: idempotent, incremental, one page at a time.

Each DS dossier becomes one guichet dossier, created as a draft and submitted through
``dossiers.services.submit_imported`` (number, verdict, session, arrondissement, routing). A
re-run updates what changed (``ImportedDossier.checksum``) and creates no duplicate (unique
(call, ds_number)). The cursors are saved after every page; an error on one dossier is reported
and the others go on; a ``DSError`` (network, HTTP, GraphQL) stops the run, the completed pages
kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers import services as dossier_services
from guichet.dossiers.attachments import AttachmentRefused
from guichet.dossiers.models import Attachment, CostLine, Dossier, Event, EventKind, PieceKind
from guichet.dossiers.workflow import EDITABLE_BY_APPLICANT, FINAL, State, TransitionRefused
from guichet.rules.money import format_euros
from guichet.rules.timing import french_date
from guichet.territories.services import to_applicant

from . import locks
from .client import Client, DSError
from .mapping import Mapping
from .models import ImportedDossier, ImportState
from .values import DOSSIER_FIELDS, DossierRefused, FileRef, Mapped, map_dossier

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# The next run's mark is this much before the earliest of (the first failure, the latest change
# read, the run's start): DS's clock and ours may differ, and a dossier changed while the run
# read other pages must be read again.
MARK_MARGIN = dt.timedelta(minutes=5)
# When a failed node's modification date is unknown, the mark goes back to the run's own.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SOURCE = "Démarches Simplifiées"
IMPORT_ACCOUNT_EMAIL = "import-demarches-simplifiees@guichet.invalid"
COST_LINE_NATURE = "Coût total du projet (déclaré sur Démarches Simplifiées)"

DS_STATES = {
    "en_construction": "en construction",
    "en_instruction": "en instruction",
    "accepte": "accepté",
    "refuse": "refusé",
    "sans_suite": "classé sans suite",
}
DELETION_REASONS = {
    "expired": "dossier expiré",
    "instructeur_request": "à la demande d’un instructeur",
    "manager_request": "à la demande d’un administrateur",
    "procedure_removed": "démarche supprimée",
    "user_expired": "compte de l’usager expiré",
    "user_removed": "compte de l’usager supprimé",
    "user_request": "à la demande de l’usager",
}


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, ds_number: int | None, message: str) -> None:
        self.errors.append({"dossier": ds_number, "message": message})

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "errors": list(self.errors),
        }


class DemarcheTaken(Exception):
    """The démarche is already imported into another call. ``str`` is French."""


def check_demarche_free(demarche: int, call: Call) -> None:
    """One démarche feeds one call: imported into two, each DS dossier would become two guichet
    dossiers (``ImportedDossier`` is unique per call)."""
    other = (
        ImportState.objects.filter(demarche_number=demarche)
        .exclude(call=call)
        .select_related("call")
        .first()
    )
    if other is not None:
        raise DemarcheTaken(
            f"La démarche {demarche} est déjà importée dans l’appel à projets « {other.call.slug} » : "
            "une démarche n’alimente qu’un appel (sinon chaque dossier DS y serait en double)."
        )


def import_account() -> Any:
    """The account imported dossiers are created by (``Dossier.created_by`` is required): no
    password, inactive, so nobody signs in with it; it is never a member of a team."""
    from guichet.accounts.models import User

    user, _ = User.objects.get_or_create(
        email=IMPORT_ACCOUNT_EMAIL,
        defaults={"first_name": "Import", "last_name": SOURCE, "is_active": False},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def run(
    *,
    demarche: int,
    call: Call,
    mapping: Mapping,
    client: Client,
    page_size: int = PAGE_SIZE,
    report: Report | None = None,
) -> Report:
    """Import the démarche into the call. ``ImportLocked`` if another import holds it; a
    ``DSError`` stops the run (what was done is in ``report``, the cursors are saved)."""
    report = report if report is not None else Report()
    check_demarche_free(demarche, call)
    token = locks.acquire(demarche)
    try:
        state, _ = ImportState.objects.get_or_create(demarche_number=demarche, call=call)
        importer = _Importer(demarche, call, mapping, client, page_size, report, token, state)
        importer.account  # noqa: B018 (made now, outside any dossier's transaction)
        importer.descriptors()
        importer.dossiers()
        importer.deleted("deletedDossiers", "deleted_cursor", pending=False)
        importer.deleted("pendingDeletedDossiers", "pending_deleted_cursor", pending=True)
        importer.deletions()
        state.last_finished_at = clock.now()
        state.last_report = report.as_json()
        state.save(update_fields=["last_finished_at", "last_report"])
    finally:
        locks.release(demarche, token)
    return report


def _ds_datetime(text: Any) -> dt.datetime:
    value = dt.datetime.fromisoformat(str(text))
    if value.tzinfo is None:
        raise DSError(f"Date sans fuseau horaire dans la réponse de DS : {text}.")
    return value.astimezone(dt.UTC)


def _next_cursor(page: dict[str, Any], after: str | None, stream: str) -> str | None:
    """The cursor to ask from next; a page that says there is more without moving on would
    make the import loop for ever."""
    cursor = page.get("endCursor") or after
    if page.get("hasNextPage") and (not cursor or cursor == after):
        raise DSError(
            f"Démarches Simplifiées annonce une page suivante de « {stream} » sans curseur "
            "nouveau : import arrêté."
        )
    return cursor


@dataclass
class _Importer:
    demarche: int
    call: Call
    mapping: Mapping
    client: Client
    page_size: int
    report: Report
    token: str
    state: ImportState

    @cached_property
    def account(self) -> Any:
        # Read before the first dossier's transaction (``run``): made inside one that rolls
        # back, the cached account would point at a row that no longer exists.
        return import_account()

    # ---------------------------------------------------------------- the streams

    def descriptors(self) -> None:
        """Each mapped champ the démarche's published revision lacks, reported by its name (older
        revisions' dossiers may still have it: the import goes on)."""
        data = self.client.execute("demarche", {"demarche": self.demarche})
        demarche = data.get("demarche")
        revision = demarche.get("activeRevision") if isinstance(demarche, dict) else None
        if not isinstance(revision, dict):
            raise DSError(f"La démarche {self.demarche} n’a pas de révision publiée.")
        found = [d for d in revision.get("champDescriptors") or [] if isinstance(d, dict)]
        labels = {str(d.get("label") or "").strip() for d in found}
        ids = {d.get("id") for d in found}
        for ref in self.mapping.entries.values():
            if ref.demandeur or ref.optional:
                continue
            if (ref.id is not None and ref.id not in ids) or (
                ref.label is not None and ref.label not in labels
            ):
                self.report.error(
                    None,
                    f"La démarche {self.demarche} n’a pas de champ {ref.name} (clé « {ref.key} » "
                    "de la correspondance) dans sa révision publiée.",
                )

    def dossiers(self) -> None:
        state = self.state
        if not state.dossiers_cursor:
            state.run_updated_since = state.updated_since
            state.run_high_water = None
            state.run_first_failure = None
            state.run_started_at = clock.now()
        after = state.dossiers_cursor or None
        while True:
            variables: dict[str, Any] = {"demarche": self.demarche, "first": self.page_size}
            if after:
                variables["after"] = after
            if state.run_updated_since is not None:
                variables["updatedSince"] = state.run_updated_since.isoformat()
            connection, node_errors = self._connection("dossiers", "dossiers", variables)
            for index, node in enumerate(connection["nodes"]):
                if index in node_errors:
                    self._node_failed(node, node_errors[index])
                    continue
                if not isinstance(node, dict):
                    continue
                updated_at = self._one(node)
                if updated_at is not None and (
                    state.run_high_water is None or updated_at > state.run_high_water
                ):
                    state.run_high_water = updated_at
            page = connection["pageInfo"]
            after = _next_cursor(page, after, "dossiers")
            if not page.get("hasNextPage"):
                break
            self._save(dossiers_cursor=after or "")
        # The stream is read to its end. DS returns a first (or resumed) run's dossiers by
        # creation order, so a dossier on a page already read may have changed since: the next
        # run asks from before the earliest of the first failure (read again), the latest change
        # read and the moment this run asked for its first page, less a margin.
        marks = [
            m
            for m in (state.run_first_failure, state.run_high_water, state.run_started_at)
            if m is not None
        ]
        since = min(marks) - MARK_MARGIN if marks else state.updated_since
        self._save(
            dossiers_cursor="", updated_since=since, run_updated_since=None,
            run_high_water=None, run_first_failure=None, run_started_at=None,
        )  # fmt: skip

    def deleted(self, name: str, cursor_field: str, *, pending: bool) -> None:
        after = getattr(self.state, cursor_field) or None
        while True:
            variables: dict[str, Any] = {"demarche": self.demarche, "first": self.page_size}
            if after:
                variables["after"] = after
            connection, node_errors = self._connection(name, name, variables)
            for index, node in enumerate(connection["nodes"]):
                if index in node_errors:
                    number = node.get("number") if isinstance(node, dict) else None
                    self.report.error(number, f"suppression illisible : {node_errors[index]}")
                elif isinstance(node, dict):
                    self._deleted_on_ds(node, pending=pending)
            page = connection["pageInfo"]
            after = _next_cursor(page, after, name)
            self._save(**{cursor_field: after or ""})
            if not page.get("hasNextPage"):
                break

    def _connection(
        self, query: str, key: str, variables: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[int, str]]:
        """One page: the connection (``nodes`` a list, ``pageInfo`` an object, else
        ``DSError``) and the errors DS gave about single nodes, by index."""
        data, node_errors = self.client.execute_page(query, variables, key)
        demarche = data.get("demarche")
        connection = demarche.get(key) if isinstance(demarche, dict) else None
        if not isinstance(connection, dict):
            raise DSError(f"La réponse de DS ne contient pas la liste « {key} » de la démarche.")
        nodes = connection.get("nodes")
        page = connection.get("pageInfo")
        if nodes is None:
            nodes = []
        if not isinstance(nodes, list) or not isinstance(page, dict):
            raise DSError(f"La réponse de DS sur la liste « {key} » est malformée : import arrêté.")
        return {**connection, "nodes": nodes, "pageInfo": page}, node_errors

    def _save(self, **values: Any) -> None:
        """Keep the cursors (one UPDATE), after renewing the lease."""
        locks.renew(self.demarche, self.token)
        for name, value in values.items():
            setattr(self.state, name, value)
        fields = {
            "dossiers_cursor", "run_updated_since", "run_high_water", "run_first_failure",
            "run_started_at",
        }  # fmt: skip
        ImportState.objects.filter(pk=self.state.pk).update(
            **{f: getattr(self.state, f) for f in fields | set(values)}
        )

    # ---------------------------------------------------------------- one dossier

    def _node_failed(self, node: Any, message: str) -> None:
        """A node DS could not give whole (a GraphQL error about it alone): reported, and it
        holds the mark back (to its modification date, or to the run's own mark if unknown)."""
        number = node.get("number") if isinstance(node, dict) else None
        try:
            updated_at = _ds_datetime(node["dateDerniereModification"])  # type: ignore[index]
        except (KeyError, TypeError, ValueError, DSError):
            updated_at = self.state.run_updated_since or _EPOCH
        self._failed(number, updated_at, f"Démarches Simplifiées n’a pas pu le donner : {message}")

    def _one(self, node: dict[str, Any]) -> dt.datetime | None:
        # The lease is renewed before each dossier (a page of 100 with pieces can take longer
        # than the lease): a lost lease stops the import before the next dossier is written.
        locks.renew(self.demarche, self.token)
        number = node.get("number")
        try:
            updated_at = _ds_datetime(node["dateDerniereModification"])
        except (KeyError, ValueError, DSError):
            self.report.error(number, "date de dernière modification illisible.")
            return None
        try:
            if not isinstance(number, int):
                raise DossierRefused("numéro de dossier absent.")
            self._import(node, number, updated_at)
        except (DossierRefused, AttachmentRefused, DSError, TransitionRefused) as exc:
            self._failed(number, updated_at, str(exc))
        except dossier_services.SubmissionRefused as exc:
            self._failed(number, updated_at, f"dépôt refusé : {exc}")
        except ValidationError as exc:
            self._failed(number, updated_at, " ".join(exc.messages))
        except Exception as exc:
            # A bug or a value nobody foresaw: this dossier is reported, the others go on.
            logger.exception("DS dossier %s could not be imported", number)
            self._failed(number, updated_at, f"erreur inattendue ({type(exc).__name__}).")
        return updated_at

    def _failed(self, number: Any, updated_at: dt.datetime, message: str) -> None:
        self.report.error(number, message)
        first = self.state.run_first_failure
        if first is None or updated_at < first:
            self.state.run_first_failure = updated_at

    def _import(self, node: dict[str, Any], number: int, updated_at: dt.datetime) -> None:
        link = (
            ImportedDossier.objects.filter(call=self.call, ds_number=number)
            .select_related("dossier")
            .first()
        )
        ds_state = str(node.get("state") or "")
        if link is None and ds_state not in DS_STATES:
            raise DossierRefused(f"état DS inconnu : « {ds_state} ».")
        mapped = map_dossier(node, self.mapping, self.call)
        if link is None:
            self._create(node, number, updated_at, mapped)
            self.report.created += 1
        elif self._update(link, node, updated_at, mapped):
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    def _create(
        self, node: dict[str, Any], number: int, updated_at: dt.datetime, mapped: Mapped
    ) -> None:
        deposited = _ds_datetime(node.get("dateDepot"))
        files = self._download(mapped.pieces)
        stored: list[Attachment] = []
        try:
            with transaction.atomic():
                applicant = to_applicant(
                    mapped.applicant_kind, mapped.applicant_code, self.call.reference_vintage
                )
                fields = dict(mapped.fields)
                dossier = Dossier.objects.create(
                    call=self.call,
                    created_by=self.account,
                    applicant_kind=mapped.applicant_kind,
                    applicant_code=applicant.code,
                    applicant_name=applicant.name,
                    applicant_vintage=self.call.reference_vintage,
                    population_used=applicant.population,
                    **fields,
                )
                CostLine.objects.create(
                    dossier=dossier, nature=COST_LINE_NATURE,
                    amount_excl_vat=mapped.cost, amount_incl_vat=mapped.cost_incl_vat,
                )  # fmt: skip
                stored = self._attach(dossier, files)
                self._event(
                    dossier, EventKind.CREATED, f"Dossier importé de {SOURCE} (dossier n° {number})"
                )
                dossier_services.submit_imported(
                    dossier,
                    submitted_at=deposited,
                    summary=f"Dossier déposé sur {SOURCE} (dossier n° {number}) le "
                    f"{french_date(deposited.astimezone(clock.PARIS).date())}, importé"
                    + (
                        f" ({mapped.siret_note} : à demander au porteur)"
                        if mapped.siret_note
                        else ""
                    ),
                    actor_label=SOURCE,
                )
                ds_state = str(node.get("state"))
                if ds_state != "en_construction":
                    self._state_event(dossier, node)
                message_ids = self._messages(dossier, node, set())
                now = clock.now()
                ImportedDossier.objects.create(
                    dossier=dossier,
                    call=self.call,
                    demarche_number=self.demarche,
                    ds_number=number,
                    ds_id=str(node.get("id") or ""),
                    ds_state=ds_state,
                    ds_updated_at=updated_at,
                    checksum=mapped.checksum(),
                    files={k: [f.checksum for f in v] for k, v in mapped.pieces.items()},
                    message_ids=sorted(message_ids),
                    imported_at=now,
                    refreshed_at=now,
                )
        except BaseException:
            for attachment in stored:
                attachment.file.storage.delete(attachment.file.name)
            raise

    def _refusal(self, dossier: Dossier, mapped: Mapped) -> str:
        """Why a change on DS is not taken into guichet ('' when it is)."""
        if (mapped.applicant_kind, mapped.applicant_code) != (
            dossier.applicant_kind,
            dossier.applicant_code,
        ):
            return (
                "la collectivité a changé sur DS : changement non repris (retirez le dossier "
                "et importez-le à nouveau si c’est voulu)."
            )
        if dossier.state_enum not in EDITABLE_BY_APPLICANT:
            return (
                f"modifié sur DS alors qu’il est « {dossier.state_label} » dans guichet : "
                "changements non repris."
            )
        return ""

    def _update(
        self, link: ImportedDossier, node: dict[str, Any], updated_at: dt.datetime, mapped: Mapped
    ) -> bool:
        """Apply what changed on DS; True when anything did.

        A change of values guichet refuses (review started, collectivité changed) does not stop
        the DS state and messages being recorded; it is written once in the history, with each
        before and after, and reported once (``refused_checksum``): it does not hold the mark
        back."""
        dossier = link.dossier
        checksum = mapped.checksum()
        ds_state = str(node.get("state") or "")
        known = set(link.message_ids)
        new_messages = [
            m
            for m in node.get("messages") or []
            if isinstance(m, dict) and str(m.get("id")) not in known
        ]
        if link.deactivated_at is not None:
            if link.ds_deleted_at is not None and link.ds_deletion_pending:
                # Restored on DS after guichet withdrew it: said once, not taken back.
                with transaction.atomic():
                    self._event(
                        dossier, EventKind.REVIEW,
                        f"Dossier restauré sur {SOURCE} (dossier n° {link.ds_number}) : "
                        "il reste retiré dans guichet",
                    )  # fmt: skip
                    ImportedDossier.objects.filter(pk=link.pk).update(ds_deleted_at=None)
                self.report.error(
                    link.ds_number, "restauré sur DS, retiré dans guichet (il le reste)."
                )
            return False  # withdrawn in guichet: what DS still says about it is not taken back
        if link.ds_deleted_at is not None:
            # Back in the stream of live dossiers: the deletion guichet refused is void.
            ImportedDossier.objects.filter(pk=link.pk).update(ds_deleted_at=None)
            link.ds_deleted_at = None
        values_changed = checksum != link.checksum
        state_changed = ds_state != link.ds_state
        if not values_changed and not state_changed and not new_messages:
            return False
        refusal = self._refusal(dossier, mapped) if values_changed else ""
        if refusal and checksum == link.refused_checksum:
            values_changed = False  # refused and said already
            if not state_changed and not new_messages:
                return False
        files = (
            self._download(
                {
                    k: v
                    for k, v in mapped.pieces.items()
                    if [f.checksum for f in v] != link.files.get(k)
                }
            )
            if values_changed and not refusal
            else {}
        )
        stored: list[Attachment] = []
        removed: list[str] = []
        applied = False
        try:
            with transaction.atomic():
                locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
                if values_changed and not refusal:
                    # A reviewer may have started the review since it was read.
                    refusal = self._refusal(locked, mapped)
                if values_changed and refusal:
                    self._event(
                        locked, EventKind.EDITED,
                        f"Modification sur {SOURCE} non reprise (dossier n° {link.ds_number}) : "
                        f"{refusal}",
                        changes=self._diff(locked, link, mapped),
                    )  # fmt: skip
                    link.refused_checksum = checksum
                elif values_changed:
                    changes = self._apply_values(locked, link, mapped)
                    for kind in files:
                        old = list(locked.attachments.filter(kind=kind))
                        removed += [a.file.name for a in old]
                        for a in old:
                            a.delete()
                        changes[f"Pièce « {PieceKind(kind).label} »"] = [
                            ", ".join(a.original_name for a in old) or "—",
                            ", ".join(f.filename for f, _ in files[kind]) or "—",
                        ]
                    stored = self._attach(locked, files)
                    if changes:
                        self._event(
                            locked, EventKind.EDITED,
                            f"Dossier modifié sur {SOURCE} (dossier n° {link.ds_number})",
                            changes=changes,
                        )  # fmt: skip
                    link.checksum = checksum
                    link.refused_checksum = ""
                    link.files = {k: [f.checksum for f in v] for k, v in mapped.pieces.items()}
                    applied = True
                    if locked.state_enum is State.CORRECTION_REQUESTED:
                        # The usager corrected on DS: the dossier goes back to its reviewers.
                        dossier_services.resubmit_imported(
                            locked,
                            summary=f"Dossier corrigé sur {SOURCE} (dossier n° "
                            f"{link.ds_number}), renvoyé",
                            actor_label=SOURCE,
                        )
                if state_changed:
                    self._state_event(locked, node)
                message_ids = self._messages(locked, node, known)
                link.ds_state = ds_state
                link.ds_updated_at = updated_at
                link.message_ids = sorted(known | message_ids)
                link.refreshed_at = clock.now()
                link.save()
        except BaseException:
            for attachment in stored:
                attachment.file.storage.delete(attachment.file.name)
            raise
        if values_changed and refusal:
            self.report.error(link.ds_number, refusal)
        storage = Attachment._meta.get_field("file").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in removed])
        return applied or state_changed or bool(message_ids)

    def _diff(self, locked: Dossier, link: ImportedDossier, mapped: Mapped) -> dict[str, list[str]]:
        """Each before and after of a change not taken, for the history."""
        changes: dict[str, list[str]] = {}
        names = set(DOSSIER_FIELDS.values())
        for name, value in mapped.fields.items():
            before = getattr(locked, name) if name in names else None
            if name in names and before != value:
                label = str(Dossier._meta.get_field(name).verbose_name)
                changes[label[:1].upper() + label[1:]] = [
                    dossier_services._display(before), dossier_services._display(value)
                ]  # fmt: skip
        line = locked.cost_lines.filter(nature=COST_LINE_NATURE).first()
        if line is not None and line.amount_excl_vat != mapped.cost:
            changes["Coût total du projet (HT)"] = [
                format_euros(line.amount_excl_vat), format_euros(mapped.cost)
            ]  # fmt: skip
        for kind, refs in mapped.pieces.items():
            if [f.checksum for f in refs] != link.files.get(kind):
                changes[f"Pièce « {PieceKind(kind).label} »"] = [
                    ", ".join(a.original_name for a in locked.attachments.filter(kind=kind)) or "—",
                    ", ".join(f.filename for f in refs) or "—",
                ]
        if (mapped.applicant_kind, mapped.applicant_code) != (
            locked.applicant_kind,
            locked.applicant_code,
        ):
            changes["Collectivité"] = [locked.applicant_code, mapped.applicant_code]
        return changes

    def _apply_values(
        self, locked: Dossier, link: ImportedDossier, mapped: Mapped
    ) -> dict[str, list[str]]:
        changes: dict[str, list[str]] = {}
        names = set(DOSSIER_FIELDS.values())
        for name, value in mapped.fields.items():
            if name not in names:
                continue
            before = getattr(locked, name)
            if before != value:
                label = str(Dossier._meta.get_field(name).verbose_name)
                changes[label[:1].upper() + label[1:]] = [
                    dossier_services._display(before), dossier_services._display(value)
                ]  # fmt: skip
                setattr(locked, name, value)
        locked.save()
        line = locked.cost_lines.filter(nature=COST_LINE_NATURE).first()
        if line is not None and (line.amount_excl_vat, line.amount_incl_vat) != (
            mapped.cost,
            mapped.cost_incl_vat,
        ):
            changes["Coût total du projet (HT)"] = [
                format_euros(line.amount_excl_vat), format_euros(mapped.cost)
            ]  # fmt: skip
            line.amount_excl_vat = mapped.cost
            line.amount_incl_vat = mapped.cost_incl_vat
            line.save()
        return changes

    def _download(self, pieces: dict[str, list[FileRef]]) -> dict[str, list[tuple[FileRef, bytes]]]:
        limit = settings.GUICHET["UPLOAD_MAX_BYTES"]
        files: dict[str, list[tuple[FileRef, bytes]]] = {}
        for kind, refs in pieces.items():
            files[kind] = []
            for ref in refs:
                if not ref.url:
                    raise DossierRefused(f"pièce {ref.filename} : pas d’adresse de téléchargement.")
                try:
                    content = self.client.download(ref.url, max_bytes=limit)
                except DSError as exc:
                    raise DossierRefused(f"pièce « {ref.filename} » : {exc}") from None
                files[kind].append((ref, content))
        return files

    def _attach(
        self, dossier: Dossier, files: dict[str, list[tuple[FileRef, bytes]]]
    ) -> list[Attachment]:
        """Each file through the checked-upload path (``documents.uploads.check_upload``)."""
        stored: list[Attachment] = []
        try:
            for kind, pairs in files.items():
                for ref, content in pairs:
                    attachment = Attachment(dossier=dossier, kind=kind, uploaded_by=None)
                    try:
                        attachment.store_checked(
                            ContentFile(content, name=ref.filename), folder="dossiers/pieces"
                        )
                    except ValidationError as exc:
                        raise DossierRefused(
                            f"pièce « {ref.filename} » refusée : {' '.join(exc.messages)}"
                        ) from None
                    stored.append(attachment)
                    attachment.save()
        except BaseException:
            for attachment in stored:
                attachment.file.storage.delete(attachment.file.name)
            raise
        return stored

    def _messages(self, dossier: Dossier, node: dict[str, Any], known: set[str]) -> set[str]:
        """DS messages become history lines (not guichet messages: an answer written in guichet
        would never reach the usager on DS)."""
        added: set[str] = set()
        for message in node.get("messages") or []:
            if not isinstance(message, dict) or str(message.get("id")) in known:
                continue
            try:
                at = _ds_datetime(message.get("createdAt"))
            except (ValueError, DSError):
                at = clock.now()
            Event.objects.create(
                dossier=dossier, actor=None, at=at, kind=EventKind.MESSAGE,
                actor_label=str(message.get("email") or SOURCE)[:300],
                summary=f"Message échangé sur {SOURCE}",
                message=str(message.get("body") or "")[:10000],
            )  # fmt: skip
            added.add(str(message.get("id")))
        return added

    def _state_event(self, dossier: Dossier, node: dict[str, Any]) -> None:
        state = str(node.get("state") or "")
        label = DS_STATES.get(state, state)
        summary = f"Sur {SOURCE} : dossier {label}"
        if state in {"accepte", "refuse", "sans_suite"}:
            summary += " (décision de DS, non reprise : le comité de guichet décide)"
        self._event(dossier, EventKind.REVIEW, summary, message=str(node.get("motivation") or ""))

    def _event(self, dossier: Dossier, kind: str, summary: str, **fields: Any) -> Event:
        return Event.objects.create(
            dossier=dossier, actor=None, actor_label=SOURCE, at=clock.now(), kind=kind,
            summary=summary[:300], **fields,
        )  # fmt: skip

    # ---------------------------------------------------------------- deleted on DS

    def _deleted_on_ds(self, node: dict[str, Any], *, pending: bool) -> None:
        """Note the deletion on the link; ``deletions`` withdraws the dossier."""
        number = node.get("number")
        link = ImportedDossier.objects.filter(call=self.call, ds_number=number).first()
        if link is None or link.deactivated_at is not None:
            return  # never imported (a draft, or deleted before), or already withdrawn
        try:
            at = _ds_datetime(node.get("dateSupression"))
        except (ValueError, DSError):
            at = clock.now()
        reason = DELETION_REASONS.get(str(node.get("reason")), str(node.get("reason") or ""))
        ImportedDossier.objects.filter(pk=link.pk).update(
            ds_deleted_at=at, ds_deletion_pending=pending, ds_deletion_reason=reason[:200]
        )

    def deletions(self) -> None:
        """Withdraw each dossier deleted on DS and not yet withdrawn in guichet. A withdrawal
        the state table refuses (before the committee) is reported at every run until the
        manager handles it, or the dossier reaches a final state."""
        links = (
            ImportedDossier.objects.filter(
                call=self.call, ds_deleted_at__isnull=False, deactivated_at__isnull=True
            )
            .select_related("dossier")
            .order_by("ds_number")
        )
        for link in links:
            try:
                self._deactivate(link)
            except Exception as exc:
                logger.exception("DS deletion of dossier %s could not be applied", link.ds_number)
                self.report.error(
                    link.ds_number,
                    f"supprimé sur DS, retrait impossible : erreur inattendue ({type(exc).__name__}).",
                )

    def _deactivate(self, link: ImportedDossier) -> None:
        number = link.ds_number
        reason = link.ds_deletion_reason
        what = "en attente de suppression" if link.ds_deletion_pending else "supprimé"
        try:
            with transaction.atomic():
                dossier_services.withdraw_imported(
                    link.dossier,
                    summary=f"Dossier {what} sur {SOURCE} (dossier n° {number}) : retiré",
                    reason=f"Motif sur {SOURCE} : {reason}." if reason else "",
                    actor_label=SOURCE,
                )
                ImportedDossier.objects.filter(pk=link.pk).update(deactivated_at=clock.now())
        except TransitionRefused:
            if link.dossier.state_enum not in FINAL:
                self.report.error(
                    number,
                    f"{what} sur DS, mais « {link.dossier.state_label} » dans guichet : "
                    "il n’est pas retiré (à traiter par le gestionnaire).",
                )
            return
        self.report.deactivated += 1
