"""`make bench`: measures written to bench/results.json and printed as a table.

- rules core: evaluations per second on one core (pure Python, no database);
- simulator page: median and p95 latency over N requests, beside the floor (a minimal Django
  view served by the same server in the same run), and their ratio. Besides the same URL
  requested again and again (Billom), ``simulator_varied`` asks for a different collectivité
  at each request, with varied costs and project types.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
PYTHON = sys.executable


def bench_rules(seconds: float = 3.0) -> dict:
    from guichet.calls.definitions import CALLS_DIR, load_call_file
    from guichet.rules.applicant import Applicant, ApplicantKind
    from guichet.rules.eligibility import Project, evaluate

    call = load_call_file(CALLS_DIR / "fitn7-axe3-puy-de-dome-2021.yaml").rules
    paris = dt.timezone(dt.timedelta(hours=2))
    cases = []
    for i, kind in enumerate([ApplicantKind.COMMUNE, ApplicantKind.EPCI, ApplicantKind.OTHER] * 10):
        applicant = Applicant(
            kind=kind,
            code=str(i),
            name=f"Collectivité {i}",
            population=800 * i,
            vintage="2021",
            departements=frozenset({"63" if i % 4 else "03"}),
        )
        project = Project(
            cost=Decimal(3000 + 700 * i),
            category=str(1 + i % 3),
            submitted_at=dt.datetime(2021, 6, 1 + i % 30, 12, tzinfo=paris),
            engaged_on=dt.date(2021, 9, 1) + dt.timedelta(days=5 * i),
        )
        cases.append((applicant, project))
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for applicant, project in cases:
            evaluate(call, applicant, project)
        count += len(cases)
    elapsed = time.perf_counter() - start
    return {
        "evaluations_per_second": round(count / elapsed),
        "evaluations": count,
        "seconds": round(elapsed, 2),
        "goal": 20000,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(*args: str, env: dict) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def _timed_get(conn: http.client.HTTPConnection, path: str) -> float:
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status} {body[:200]!r}")
    return elapsed


def _summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "requests": len(ordered),
    }


SIMULATOR = "/appels/fitn7-axe3-puy-de-dome-2021/simulateur/"


def varied_simulations() -> list[str]:
    """Simulator URLs for every commune and EPCI of the Puy-de-Dôme (2021), costs and types varied.

    More distinct collectivités than requests in a run: no request repeats an earlier one, so
    no cache keyed by the input (or by the URL) can serve any of them.
    """
    data = ROOT / "guichet" / "territories" / "data" / "2021"
    with (data / "communes.csv").open(encoding="utf-8", newline="") as f:
        refs = [
            f"commune:{r['insee_code']}" for r in csv.DictReader(f) if r["departement_code"] == "63"
        ]
    with (data / "epci.csv").open(encoding="utf-8", newline="") as f:
        refs += [
            f"epci:{r['siren']}" for r in csv.DictReader(f) if "63" in r["departements"].split(";")
        ]
    costs = itertools.cycle(["3000", "5000", "8000", "12 000", "25000", "60000", "4999"])
    categories = itertools.cycle(["", "1", "2", "3"])
    return [
        f"{SIMULATOR}?applicant={ref.replace(':', '%3A')}&q=x&cost={next(costs).replace(' ', '+')}"
        f"&category={next(categories)}"
        for ref in refs
    ]


def bench_pages() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    (ROOT / "var").mkdir(exist_ok=True)
    _manage("migrate", "--noinput", env=env)
    _manage("load_territories", env=env)
    _manage("load_calls", env=env)
    port = _free_port()
    # The same single-process, threaded WSGI server for the floor and the pages.
    server = subprocess.Popen(
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        varied = varied_simulations()
        if len(varied) < REQUESTS + 10:
            varied = varied * (1 + (REQUESTS + 10) // len(varied))
        # Each scenario is a list of paths, requested in turn (one path: the same URL each time).
        scenarios = {
            "floor": ["/bench/floor/"],
            "simulator_billom": [
                f"{SIMULATOR}?applicant=commune%3A63040&q=Billom&cost=8000&category=1"
            ],
            "simulator_varied": varied,
            "simulator_by_name": [f"{SIMULATOR}?q=Clermont-Ferrand&cost=12000"],
            "search_suggestions": ["/collectivites/recherche/?vintage=2021&q=cham"],
            "call_page": ["/appels/fitn7-axe3-puy-de-dome-2021/"],
        }
        samples: dict[str, list[float]] = {name: [] for name in scenarios}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for paths in scenarios.values():  # warm-up
            for turn in range(10):
                _timed_get(conn, paths[turn % len(paths)])
                conn.close()
        for turn in range(10, 10 + REQUESTS):  # interleaved: the floor sees the same conditions
            for name, paths in scenarios.items():
                samples[name].append(_timed_get(conn, paths[turn % len(paths)]))
                conn.close()  # runserver closes after each response: a new connection each time
    finally:
        server.terminate()
        server.wait(10)
    floor = _summary(samples["floor"])
    results = {"floor": floor}
    for name, values in samples.items():
        if name == "floor":
            continue
        s = _summary(values)
        s["ratio_p50_to_floor"] = round(s["p50_ms"] / floor["p50_ms"], 2)
        results[name] = s
    return results


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    sys.path.insert(0, str(ROOT))
    rules = bench_rules()
    pages = bench_pages()
    results = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "rules_core": rules,
        "pages": pages,
    }
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous.update(results)
    RESULTS.write_text(json.dumps(previous, indent=2, ensure_ascii=False) + "\n")
    print(f"\nRules core: {rules['evaluations_per_second']:,} evaluations/s (goal ≥ 20,000)")
    print(f"{'scenario':24} {'p50 ms':>8} {'p95 ms':>8} {'×floor':>7}")
    for name, s in pages.items():
        print(
            f"{name:24} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {s.get('ratio_p50_to_floor', 1):7.2f}"
        )
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
