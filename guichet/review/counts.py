"""How many submitted dossiers of a call are in each state, exactly, without counting them.

The reviewers' list shows on every page how many dossiers each tab holds. Counting them reads
every submitted dossier of the call: at 100 000 dossiers, about 5 ms of PostgreSQL on each page
(100 000 entries of the partial index on (call, state)), the largest part of the first page's SQL
(docs/benchmarks.md). Instead, on PostgreSQL, triggers on ``dossiers_dossier`` (migration review
0007) write a ``StateCount`` row in the transaction of every change that moves a submitted
dossier: +1 for the (call, arrondissement, state) it enters, -1 for the one it leaves
(submission, each change of state, a deletion, whichever code or statement makes it: services,
bulk updates, the admin, raw SQL).

- **Exact.** A change and its rows commit together, so the sum of the rows a query sees is the
  number of dossiers that query would count, in every snapshot. Nothing is kept in a cache.
- **No waiting between writers.** Writers only insert rows, never update one: a counter row per
  state updated by every change would make every change of a call wait for the others to commit,
  and two bulk actions could deadlock on two counters taken in opposite orders.
- **Compacted as it goes.** Reading sums the call's rows; when the triggers have written more
  than ``COMPACT_ABOVE`` since the last compaction, the rows are replaced by one per
  (arrondissement, state) with their sum, marked ``compacted`` (``compact``). One statement
  deletes the rows and returns exactly those it deleted, and the sums are inserted in the same
  transaction: a row committed meanwhile by another change is left alone, a compaction running
  at the same time skips the rows this one took, and readers see the rows before or after,
  never between.

Only the unfiltered list reads these (every visible dossier of the call, by arrondissement); a
filter or a search counts the filtered dossiers themselves (``review.listing.Listing.counts``).
Elsewhere (SQLite: development and the tests' default run) ``available()`` is false and the list
counts its dossiers: Django empties SQLite's tables one by one in no fixed order (``flush``,
after the tests that commit), and when the counts go first, deleting the dossiers writes counts
again. On PostgreSQL a ``TRUNCATE`` of the dossiers (``flush`` empties every table in one) fires
no row trigger; a statement trigger then empties the counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from .models import StateCount

# Past this many rows written by the triggers since the last compaction, reading a call's rows
# compacts them (a few milliseconds, once per so many changes).
COMPACT_ABOVE = 2_000


def available() -> bool:
    """Do this database's triggers keep the counts (migration review 0007)?"""
    return connection.vendor == "postgresql"


def per_state(call_id: int, arrondissements: Iterable[str] | None = None) -> dict[str, int]:
    """The number of submitted dossiers of the call in each state (states with none left out),
    in the given arrondissements ("" for the préfecture's own dossiers), or in all of them."""
    rows = StateCount.objects.filter(call_id=call_id)
    if arrondissements is not None:
        rows = rows.filter(arrondissement_code__in=sorted(arrondissements))
    sums: dict[str, int] = {}
    fresh = 0  # rows written by the triggers since the last compaction
    for state, n, written in (
        rows.order_by()
        .values("state")
        .annotate(n=Sum("n"), written=Count("pk", filter=Q(compacted=False)))
        .values_list("state", "n", "written")
    ):
        fresh += written
        if n:
            sums[state] = n
    if fresh > COMPACT_ABOVE:
        compact(call_id)
    return sums


def compact(call_id: int | None = None) -> int:
    """Replace the rows of a call (of every call when None) by one per (arrondissement, state)
    with their sum; return how many rows were read."""
    table = connection.ops.quote_name(StateCount._meta.db_table)
    where, params = ("WHERE call_id = %s", [call_id]) if call_id is not None else ("", [])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} {where} RETURNING call_id, arrondissement_code, state, n",
                params,
            )
            taken = cursor.fetchall()
        sums: Counter[tuple[int, str, str]] = Counter()
        for call, arrondissement, state, n in taken:
            sums[(call, arrondissement, state)] += n
        StateCount.objects.bulk_create(
            StateCount(
                call_id=call, arrondissement_code=arrondissement, state=state, n=n, compacted=True
            )
            for (call, arrondissement, state), n in sorted(sums.items())
            if n
        )
    return len(taken)
