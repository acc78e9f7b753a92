"""The envelope race: many connections committing the same envelopes at once (rule ENVELOPE).

Run by ``bench/run.py --only envelope`` in a child process on its own PostgreSQL database
(``BENCH_RACE_DATABASE_URL``, default ``guichet_bench_race``, created when missing): migrate,
empty the grants and the ledger (TRUNCATE … CASCADE: the ledger's trigger refuses row deletions;
before ``load_calls``, which refuses an envelope below what the last run committed), load the
calls, keep ``RACE_ATTEMPTS`` proposed dossiers of the real call (made once, kept between runs),
size both envelopes so that about half the asked money fits, then ``RACE_CONNECTIONS`` threads,
each with its own connection, released together by a barrier, ask ``grants.services.commit``
for their share of the dossiers (a flat 5 000, 10 000 or 20 000 €, or an arbitrary amount with
cents, on 2021 or 2022). What is recorded: attempts, commitments, refusals, any other error, the
envelopes and what was committed, ``overcommitted`` (the sum above the envelope, per year: must be
0) and whether the ledger, the maintained sums and every line's remainder agree.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from decimal import Decimal

ATTEMPTS = int(os.environ.get("RACE_ATTEMPTS", "10000"))
CONNECTIONS = int(os.environ.get("RACE_CONNECTIONS", "16"))
DATABASE = os.environ.get(
    "BENCH_RACE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/guichet_bench_race"
)
PREFIX = "RACE-"


def _dossiers(count: int) -> list[int]:
    from guichet.accounts.models import User
    from guichet.calls.models import Call

    call = Call.objects.get(slug="fitn7-axe3-puy-de-dome-2021")
    owner, _ = User.objects.get_or_create(
        email="course@bench.guichet.invalid", defaults={"first_name": "Course"}
    )
    from bench.race_data import submitted_dossiers

    return submitted_dossiers(call, owner, count, prefix=PREFIX, state="proposed", title="Course")[
        0
    ]


def run() -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.models import Sum

    from guichet.calls.models import Call, Envelope
    from guichet.dossiers.models import Dossier
    from guichet.grants import services
    from guichet.grants.models import LedgerEntry

    if connection.vendor != "postgresql":
        return {"skipped": "la course se mesure sur PostgreSQL (BENCH_RACE_DATABASE_URL)"}
    call_command("migrate", "--noinput", verbosity=0)
    # Emptied before load_calls, which refuses an envelope below what the last run committed.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE grants_ledgerentry, grants_grant CASCADE")
    Envelope.objects.update(committed=0, released=0, paid=0)
    call_command("load_calls", verbosity=0)
    call = Call.objects.get(slug="fitn7-axe3-puy-de-dome-2021")
    ids = _dossiers(ATTEMPTS)
    rng = random.Random(2021)
    asks = []
    for i, pk in enumerate(ids):
        flat = i % 2 == 0
        amount = (
            Decimal(rng.choice((5000, 10000, 20000)))
            if flat
            else Decimal(rng.randrange(100_000, 2_000_001)) / 100
        )
        asks.append((pk, rng.choice((2021, 2022)), amount))
    per_year = {
        y: sum((a for _, year, a in asks if year == y), Decimal(0)) / 2 for y in (2021, 2022)
    }
    for year, amount in per_year.items():
        Envelope.objects.filter(call=call, year=year).update(
            amount=amount.quantize(Decimal("1")), committed=0, released=0, paid=0
        )
    dossiers = {d.pk: d for d in Dossier.objects.filter(pk__in=ids).only("pk", "call_id")}
    barrier = threading.Barrier(CONNECTIONS)
    lock = threading.Lock()
    outcome = {"committed": 0, "refused": 0, "errors": 0}
    first_error: list[str] = []

    def worker(share: list[tuple[int, int, Decimal]]) -> None:
        barrier.wait()
        for pk, year, amount in share:
            try:
                services.commit(dossiers[pk], year, amount, None)
                key = "committed"
            except services.EnvelopeRefused:
                key = "refused"
            except Exception as exc:  # recorded: the race must have none
                key = "errors"
                first_error.append(repr(exc))
            with lock:
                outcome[key] += 1
        connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(asks[i::CONNECTIONS],)) for i in range(CONNECTIONS)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    envelopes = {e.year: e for e in Envelope.objects.filter(call=call)}
    committed_by_year = {
        y: LedgerEntry.objects.filter(envelope=e, kind="commitment").aggregate(s=Sum("amount"))["s"]
        or Decimal(0)
        for y, e in envelopes.items()
    }
    lines_agree = True
    for e in envelopes.values():
        left = e.amount
        for line in LedgerEntry.objects.filter(envelope=e).order_by("pk"):
            left -= line.amount
            lines_agree &= line.remaining_after == left
        lines_agree &= e.committed == committed_by_year[e.year]
    envelope_total = sum((e.amount for e in envelopes.values()), Decimal(0))
    return {
        "attempts": len(asks),
        "connections": CONNECTIONS,
        "committed": outcome["committed"],
        "refused": outcome["refused"],
        "errors": outcome["errors"],
        "first_error": first_error[0] if first_error else None,
        "envelope": float(envelope_total),
        "committed_total": float(sum(committed_by_year.values(), Decimal(0))),
        "overcommitted": float(
            sum(
                (max(Decimal(0), committed_by_year[y] - e.amount) for y, e in envelopes.items()),
                Decimal(0),
            )
        ),
        "by_year": {
            str(y): {"envelope": float(e.amount), "committed": float(committed_by_year[y])}
            for y, e in sorted(envelopes.items())
        },
        "ledger_agrees": lines_agree,
        "seconds": round(seconds, 2),
        "attempts_per_second": round(len(asks) / seconds, 1),
    }


if __name__ == "__main__":  # pragma: no cover - run by bench/run.py
    import json

    print(json.dumps(run()))
    sys.exit(0)
