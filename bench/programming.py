"""The committee's programming solver, measured (``python bench/run.py --only programming``).

Synthetic instances, seeded, built from the reference data (2021 vintage) and the Puy-de-Dôme
call's parameters:

- each dossier is carried by a collectivité drawn uniformly among the département's communes, its
  EPCI and the département itself (the real mix of sizes: in the Puy-de-Dôme 437 of 464 communes
  have fewer than 5 000 inhabitants); small or medium when a commune or an EPCI has fewer than
  20 000 inhabitants (the call's ``programming.priority_small``, weight 1.5);
- its score is one reviewer's weighted average over the call's grid (marks 0 to 3, weights
  3, 1, 1, 1, 1, 1, 2, 2, rounded to the cent as ``review.services.weighted_average`` does), the
  marks of one dossier drawn around a quality of its own;
- its amount is the flat amount (5 000 € under 5 000 inhabitants, 10 000 € for other communes,
  20 000 € for the others) for the *flat* case, uniform between 1 000 and 20 000 € with cents for
  the *arbitrary* one;
- 1 000 dossiers against the call's two envelopes, 148 500 € for 2021 and 148 500 € for 2022.

Cases: one département (the Puy-de-Dôme), flat and arbitrary, solved to proven optimality beside
``programming.plain_milp`` (the textbook MILP in HiGHS) on the same instance in the same run; then
100 départements of 1 000 dossiers each (every département of the reference data but the last
one), flat and arbitrary, solved one after the other; then the explanations of one proposal.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import statistics
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "guichet" / "territories" / "data" / "2021"
WEIGHTS = (3, 1, 1, 1, 1, 1, 2, 2)
ENVELOPES = {2021: Decimal(148500), 2022: Decimal(148500)}
PRIORITY_SMALL = Decimal("1.5")
DOSSIERS = int(os.environ.get("BENCH_PROGRAMMING_DOSSIERS", "1000"))
DEPARTEMENTS = int(os.environ.get("BENCH_PROGRAMMING_DEPARTEMENTS", "100"))
PLAIN_SECONDS = float(os.environ.get("BENCH_PLAIN_SECONDS", "900"))
REPEATS = 5
GOALS = {"ratio": 0.1, "hundred_departements_seconds": 5.0}


def collectivities() -> dict[str, list[tuple[str, int]]]:
    """(kind, population) of every commune, EPCI and département, by département."""
    by_dep: dict[str, list[tuple[str, int]]] = {}
    with (DATA / "communes.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["population"]:
                by_dep.setdefault(row["departement_code"], []).append(
                    ("commune", int(row["population"]))
                )
    with (DATA / "epci.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for dep in row["departements"].split(";"):
                if dep in by_dep and row["population"]:
                    by_dep[dep].append(("epci", int(row["population"])))
    for rows in by_dep.values():
        rows.append(("departement", sum(p for k, p in rows if k == "commune")))
    return by_dep


def _score(rng: random.Random) -> Decimal:
    quality = rng.random()
    marks = [min(3, max(0, round(3 * quality + rng.gauss(0, 0.8)))) for _ in WEIGHTS]
    total = Decimal(sum(w * m for w, m in zip(WEIGHTS, marks, strict=True)))
    return (total / sum(WEIGHTS)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def instance(pool: list[tuple[str, int]], *, flat: bool, seed: int, n: int = DOSSIERS) -> Any:
    from guichet.rules.programming import DossierInput, Instance

    rng = random.Random(seed)
    dossiers = []
    for k in range(n):
        kind, population = rng.choice(pool)
        if not flat:
            amount = Decimal(rng.randint(100_000, 2_000_000)) / 100
        elif kind == "commune":
            amount = Decimal(5000 if population < 5000 else 10000)
        else:
            amount = Decimal(20000)
        dossiers.append(
            DossierInput(
                id=f"D{k + 1:04d}",
                amount=amount,
                score=_score(rng),
                small=kind in ("commune", "epci") and population < 20000,
            )
        )
    return Instance(envelopes=ENVELOPES, dossiers=tuple(dossiers), priority_small=PRIORITY_SMALL)


def _timed(fn: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def one_case(inst: Any) -> dict[str, Any]:
    from guichet.rules.programming import plain_milp, solve

    seconds, proposal = _timed(lambda: solve(inst, explain=False), REPEATS)
    plain = plain_milp(inst, time_limit=PLAIN_SECONDS)
    plain_seconds = plain.seconds
    if plain_seconds < 5:  # short enough to take the median of a few runs as for the solver
        plain_seconds = statistics.median(
            [plain_seconds] + [plain_milp(inst).seconds for _ in range(REPEATS - 1)]
        )
    objective = float(proposal.objective)
    return {
        "seconds": round(seconds, 4),
        "plain_highs_seconds": round(plain_seconds, 4),
        # When the plain MILP stops at its time limit, its time is a lower bound: so is the ratio.
        "ratio": float(f"{seconds / plain_seconds:.3g}"),
        "optimal": proposal.optimal,
        "plain_highs_optimal": plain.optimal,
        "plain_highs_time_limit": PLAIN_SECONDS,
        "objective": objective,
        "plain_highs_objective": plain.objective,
        "plain_highs_bound": plain.bound,
        # Proven optima agree; else the plain MILP's best is no better and its bound no lower.
        "consistent": plain.objective - 1e-6 <= objective <= plain.bound + 1e-6
        and (not plain.optimal or abs(objective - plain.objective) < 1e-6),
        "method": proposal.method,
        "greedy_objective": float(proposal.greedy.objective),
        "retained": len(proposal.selected),
        "left": {str(y): float(a) for y, a in proposal.left.items()},
    }


def many(pools: dict[str, list[tuple[str, int]]], *, flat: bool) -> dict[str, Any]:
    from guichet.rules.programming import solve

    deps = sorted(pools)[:DEPARTEMENTS]
    instances = [instance(pools[d], flat=flat, seed=2021 + i) for i, d in enumerate(deps)]
    methods: dict[str, int] = {}
    optimal = True
    slowest = 0.0
    start = time.perf_counter()
    for inst in instances:
        t = time.perf_counter()
        proposal = solve(inst, explain=False)
        slowest = max(slowest, time.perf_counter() - t)
        optimal = optimal and proposal.optimal
        methods[proposal.method] = methods.get(proposal.method, 0) + 1
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 3),
        "optimal": optimal,
        "departements": len(instances),
        "dossiers": sum(len(i.dossiers) for i in instances),
        "slowest_seconds": round(slowest, 4),
        "methods": methods,
    }


def explanations(inst: Any) -> dict[str, Any]:
    from guichet.rules.programming import solve

    start = time.perf_counter()
    proposal = solve(inst)
    seconds = time.perf_counter() - start
    kinds: dict[str, int] = {}
    for r in proposal.reasons:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    return {
        "seconds": round(seconds, 3),
        "reasons": len(proposal.reasons),
        "kinds": kinds,
        "all_proven": all(r.proven for r in proposal.reasons),
        "example": proposal.reasons[0].text if proposal.reasons else "",
    }


def bench_programming() -> dict[str, Any]:
    from guichet.rules.programming import solve

    pools = collectivities()
    pdd = pools["63"]
    # Warm-up: numpy's and HiGHS's first calls load code; neither side should pay for it.
    solve(instance(pdd, flat=True, seed=1, n=50), explain=False)
    solve(instance(pdd, flat=False, seed=1, n=50), explain=False)
    results: dict[str, Any] = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "dossiers": DOSSIERS,
        "envelopes": {str(y): float(a) for y, a in ENVELOPES.items()},
    }
    for name, flat in (("flat", True), ("arbitrary", False)):
        results[name] = one_case(instance(pdd, flat=flat, seed=63))
    results["hundred_departements"] = {
        "flat": many(pools, flat=True),
        "arbitrary": many(pools, flat=False),
    }
    results["explanations"] = {
        "flat": explanations(instance(pdd, flat=True, seed=63)),
        "arbitrary": explanations(instance(pdd, flat=False, seed=63)),
    }
    results["goals"] = GOALS
    return results


def print_programming(r: dict[str, Any]) -> None:
    print(f"\nProgramming ({r['dossiers']} dossiers, two envelopes of 148 500 €)")
    print(f"{'case':12} {'solver s':>9} {'plain s':>9} {'ratio':>9} {'optimal':>8} {'plain':>6}")
    for name in ("flat", "arbitrary"):
        c = r[name]
        print(
            f"{name:12} {c['seconds']:9.4f} {c['plain_highs_seconds']:9.4f} {c['ratio']:9.3g} "
            f"{c['optimal']!s:>8} {c['plain_highs_optimal']!s:>6}"
        )
    for name, c in r["hundred_departements"].items():
        print(
            f"{c['departements']} départements, {name}: {c['seconds']:.2f} s (goal < 5 s for 100), "
            f"optimal {c['optimal']}"
        )
    for name, c in r["explanations"].items():
        print(f"Explanations, {name}: {c['reasons']} reasons in {c['seconds']:.2f} s")
