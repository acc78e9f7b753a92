"""Exports of the reviewers' list: which dossiers and columns, writing them, and the Export's life.

The dossiers and the columns are exactly those of the list (``guichet.review.listing``: the same
filters, search, tab and sort, every page), restricted to what the agent may export
(``Do.EXPORT`` in the call, by arrondissement). An export stores the list's query string and the
column keys; the file is built from them later, by the request itself when it is small
(``SYNC_MAX_ROWS``) or by the task ``build_export``, with the agent's rights at that moment.

``write_export(format, queryset, columns, path)`` is the part that needs no request nor Export:
the benchmark calls it directly.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict

from guichet import clock
from guichet.documents.storage import private_storage
from guichet.dossiers.models import Dossier
from guichet.review.models import Role
from guichet.review.permissions import ALLOWED, Do, coverage, roles

from .models import Export, ExportStatus
from .writers import ExportFormat, Field, Kind, write_table

if TYPE_CHECKING:
    from guichet.accounts.models import User
    from guichet.calls.models import Call

logger = logging.getLogger(__name__)

# Up to this many dossiers, the request builds the file and the browser downloads it at once.
SYNC_MAX_ROWS = 2_000
CHUNK_SIZE = 2_000
# Parameters of the list that do not change which dossiers or columns are exported.
_NOT_FILTERS = {"page", "taille", "colonnes", "choix_colonnes", "csrfmiddlewaretoken"}

FAILURE_MESSAGE = (
    "L’export n’a pas pu être produit à cause d’une erreur du service. "
    "Relancez-le depuis la liste ; si l’erreur persiste, signalez-la à l’équipe du guichet."
)


class ExportColumn(Protocol):
    """What an export reads from a column of the list (``guichet.review.listing.Column``)."""

    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def kind(self) -> str: ...  # text, integer, number, money, date, datetime, boolean
    @property
    def value(self) -> Callable[[Dossier], Any]: ...
    @property
    def reads(self) -> tuple[str, ...] | None: ...  # the fields it reads (None: unknown)


WIDTHS = {"applicant": 30, "title": 45, "assignee": 25, "session": 18, "category": 30}


def fields_of(columns: Sequence[ExportColumn]) -> list[Field]:
    kinds = {k.value: k for k in Kind}
    return [Field(c.label, kinds.get(c.kind, Kind.TEXT), WIDTHS.get(c.key, 0)) for c in columns]


def narrow(queryset: QuerySet[Dossier], columns: Sequence[ExportColumn]) -> QuerySet[Dossier]:
    """Load only the fields the columns read, and only the relations they follow."""
    from guichet.review.listing import narrow

    return narrow(queryset, columns)  # type: ignore[arg-type]


def rows(
    queryset: QuerySet[Dossier],
    columns: Sequence[ExportColumn],
    *,
    on_progress: Callable[[int], None] | None = None,
    every: int = 1_000,
) -> Iterator[list[Any]]:
    """One list of values per dossier, read in chunks (never the whole queryset in memory)."""
    from guichet.calls.models import Call

    calls: dict[int, Call] = {}
    getters = [c.value for c in columns]
    for done, dossier in enumerate(narrow(queryset, columns).iterator(CHUNK_SIZE), start=1):
        call = calls.get(dossier.call_id)
        if call is None:
            call = calls[dossier.call_id] = Call.objects.get(pk=dossier.call_id)
        dossier.call = call
        yield [get(dossier) for get in getters]
        if on_progress is not None and done % every == 0:
            on_progress(done)


def write_export(
    fmt: ExportFormat | str,
    queryset: QuerySet[Dossier],
    columns: Sequence[ExportColumn],
    path: str | Path,
    *,
    on_progress: Callable[[int], None] | None = None,
    every: int = 1_000,
) -> int:
    """Write the dossiers of ``queryset`` with ``columns`` at ``path``; return the row count."""
    return write_table(
        fmt,
        path,
        fields_of(columns),
        rows(queryset, columns, on_progress=on_progress, every=every),
    )


# ---------------------------------------------------------------------------------------------
# Rights and selection


def export_scope(user: User, call: Call) -> Q:
    """The condition on a call's dossiers that this agent may export (none: ``pk IN ()``)."""
    return coverage(user, call, Do.EXPORT)


def may_export(user: User, call: Call) -> bool:
    return any(Do.EXPORT in ALLOWED[Role(r.role)] for r in roles(user, call))


def clean_filters(params: Mapping[str, Any]) -> dict[str, list[str]]:
    """The list's query string as {name: [values]}, without paging and column parameters."""
    getlist = getattr(params, "getlist", None)
    out: dict[str, list[str]] = {}
    for key in params:
        if key in _NOT_FILTERS or not isinstance(key, str) or len(key) > 40:
            continue
        values = getlist(key) if getlist else params[key]
        values = values if isinstance(values, list) else [values]
        out[key] = [str(v)[:200] for v in values[:20]]
    return out


def selection(
    filters: Mapping[str, list[str]],
    user: User,
    call: Call,
    column_keys: Sequence[str] | None = None,
) -> tuple[QuerySet[Dossier], list[ExportColumn]]:
    """The list's dossiers and columns for ``filters``, limited to what ``user`` may export."""
    from guichet.review.listing import filtered_dossiers

    params = QueryDict(mutable=True)
    for key, values in filters.items():
        if key not in _NOT_FILTERS:
            params.setlist(key, list(values))
    queryset, columns = filtered_dossiers(
        params, user, call, remembered_columns=list(column_keys) if column_keys else None
    )
    return queryset.filter(export_scope(user, call)), list(columns)


# ---------------------------------------------------------------------------------------------
# The Export's life


def file_name(call: Call, fmt: ExportFormat) -> str:
    """``dossiers-demo-fitn7-axe3-puy-de-dome-2026-11-28.xlsx`` (the date in Paris)."""
    return f"dossiers-{call.slug}-{clock.today().isoformat()}.{fmt.value}"


def create_export(
    user: User,
    call: Call,
    fmt: ExportFormat | str,
    filters: Mapping[str, list[str]],
    column_keys: Sequence[str],
    rows_total: int,
) -> Export:
    fmt = ExportFormat(fmt)
    return Export.objects.create(
        created_by=user,
        call=call,
        format=fmt.value,
        filters=dict(filters),
        columns=list(column_keys),
        rows_total=rows_total,
        file_name=file_name(call, fmt),
    )


def enqueue(export: Export) -> None:
    """Build the file in the background once the Export row is committed."""
    from .tasks import build_export

    pk = export.pk
    transaction.on_commit(lambda: build_export.enqueue(pk))


def build(export_id: int) -> Export:
    """Build the file of an Export: never raises; a failure is recorded with a French message.

    Runs in the task (or in the request for small exports). An Export that is not queued (done,
    failed, or being built by another worker) is left alone.
    """
    claimed = Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=clock.now(), rows_done=0
    )
    export = Export.objects.select_related("created_by", "call").get(pk=export_id)
    if not claimed:
        return export
    handle, path = tempfile.mkstemp(prefix="export-", suffix=f".{export.format}")
    os.close(handle)
    try:
        user, call = export.created_by, export.call
        if not (user.is_active and may_export(user, call)):
            return _fail(export, "Vous n’avez plus le droit d’exporter les dossiers de cet appel.")
        queryset, columns = selection(export.filters, user, call, export.columns)
        total = queryset.count()
        Export.objects.filter(pk=export.pk).update(rows_total=total)
        every = max(500, total // 100)

        def progress(done: int) -> None:
            Export.objects.filter(pk=export.pk).update(rows_done=done)

        count = write_export(
            export.format, queryset, columns, path, on_progress=progress, every=every
        )
        with open(path, "rb") as handle_:
            name = private_storage().save(
                f"exports/{export.uuid.hex}.{export.format}", File(handle_)
            )
        Export.objects.filter(pk=export.pk).update(
            status=ExportStatus.DONE,
            file=name,
            size=os.path.getsize(path),
            rows_done=count,
            rows_total=count,
            columns=[c.key for c in columns],
            finished_at=clock.now(),
        )
    except Exception:
        logger.exception("Export %s failed", export.pk)
        return _fail(export, FAILURE_MESSAGE)
    finally:
        Path(path).unlink(missing_ok=True)
    export.refresh_from_db()
    return export


def _fail(export: Export, message: str) -> Export:
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.FAILED, error=message[:500], finished_at=clock.now()
    )
    export.refresh_from_db()
    return export


def mark_lost(export: Export) -> None:
    """A queued Export whose task could not be queued: failed, with a message to retry."""
    _fail(export, "L’export n’a pas pu être mis en file d’attente. Relancez-le depuis la liste.")
