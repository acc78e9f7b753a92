"""`make bench`: measures written to bench/results.json and printed as a table.

- rules core: evaluations per second on one core (pure Python, no database);
- simulator page: median and p95 latency over N requests, beside the floor (a minimal Django
  view served by the same server in the same run), and their ratio. Besides the same URL
  requested again and again (Billom), ``simulator_varied`` asks for a different collectivité
  at each request, with varied costs and project types.
- back-office at a country's scale (on PostgreSQL, database ``guichet_bench``): up to 100 000
  synthetic dossiers (``bench.generate``), the reviewers' list (first page, filtered, search) and
  the dossier page, each beside the floor, served by gunicorn with the production configuration
  (``config/gunicorn.py``, ``BENCH_WORKERS`` workers) and requested by ``BENCH_CLIENTS``
  concurrent clients: p50, p95, requests per second, and the queries and their time counted in
  the server (``bench.middleware``) beside the total, so what Python and the templates cost is
  visible. With ``BENCH_BASELINE_TREE`` (another checkout, e.g. main) a second gunicorn serves
  that code on the same database (or on its own copy of it, ``BENCH_BASELINE_DATABASE_URL``,
  checked to hold the same dossiers) and the requests alternate between the two: before and
  after in one run. Then the export of every dossier to XLSX, CSV and ODS, each in its own process (time
  and peak memory; ``BENCH_SKIP_EXPORTS=1`` skips them). Skipped, with the reason recorded, when
  PostgreSQL cannot be reached. Every phase is bounded in requests and in time
  (``BENCH_PHASE_SECONDS``); only 127.0.0.1 is requested.

- the envelope race (``bench/envelope_race.py``): 10 000 commitment attempts from 16
  connections at once on PostgreSQL, ``envelope_race`` in ``results.json``.

- the payments race (``bench/payment_race.py``): after the decision, 16 connections certify and
  pay the instalments of 300 grants at once on PostgreSQL, ``payment_race`` in ``results.json``.

- the import from Démarches Simplifiées (``bench/ds_import.py``): 600 DS dossiers served by the
  tests' fake DS server, imported, re-imported unchanged, then with a tenth changed, on
  PostgreSQL, ``ds_import`` in ``results.json``.

- programming: the committee's solver on synthetic départements beside a plain MILP
  (``bench/programming.py``).

Options: ``--only rules,pages,backoffice,envelope,payments,ds,programming`` (default: all), ``--regenerate`` (or
``BENCH_REGENERATE=1``: remove and recreate the synthetic dossiers). Environment: ``BENCH_REQUESTS``
(public pages, 300), ``BENCH_BACKOFFICE_REQUESTS`` (200), ``BENCH_DOSSIERS`` (100 000),
``BENCH_DATABASE_URL`` (postgres://postgres@127.0.0.1:5432/guichet_bench).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import itertools
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
PYTHON = sys.executable
BACKOFFICE_REQUESTS = int(os.environ.get("BENCH_BACKOFFICE_REQUESTS", "200"))
BACKOFFICE_DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", "100000"))
BACKOFFICE_DATABASE = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/guichet_bench"
)
# The back-office is served by gunicorn (config/gunicorn.py) with several workers, and requested
# by several clients at once; each phase (one scenario on one server) is bounded in requests and
# in time.
BENCH_WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
BENCH_CLIENTS = int(os.environ.get("BENCH_CLIENTS", "3"))
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "120"))
# Each child process (preparing the dossiers, one export) is stopped after this long.
CHILD_SECONDS = float(os.environ.get("BENCH_CHILD_SECONDS", "1800"))
# Another checkout of guichet (e.g. main, `git archive main | tar -x -C /tmp/old`) served beside
# this one on the same database, scenario by scenario: before and after in one run.
BASELINE_TREE = os.environ.get("BENCH_BASELINE_TREE", "")
# The baseline's own copy of the bench database, when its code no longer reads today's schema
# (``createdb -T guichet_bench …``, then migrated back to that tree's migrations). Before
# measuring, the bench checks that both databases hold the same dossiers and the same agent,
# copies the reviewer's session into it and vacuums it as it does the bench database.
BASELINE_DATABASE = os.environ.get("BENCH_BASELINE_DATABASE_URL", "")
# Goals of issue 4 §7.
GOALS = {"ratio_p50_to_floor": 3.0, "p95_ms": 250.0, "list_queries": 15, "export_seconds": 60.0,
         "export_peak_mb": 300.0}  # fmt: skip


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


# ---------------------------------------------------------------- back-office at a country's scale

BENCH_AGENT = "bench-instructeur@bench.guichet.invalid"
EXPORT_FORMATS = ("xlsx", "csv", "ods")


def _postgres_problem(url: str) -> str | None:
    """None when the server answers and the database exists (created if missing); else why not."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"PostgreSQL injoignable ({parts.hostname}:{parts.port or 5432}) : {first}. "
            "Démarrez-le (par exemple « pg_ctlcluster --skip-systemctl-redirect 15 main start ») "
            "ou indiquez BENCH_DATABASE_URL."
        )
    return None


# Analysed before each run, in the bench database and in the baseline's copy.
VACUUMED_TABLES = (
    "dossiers_dossier", "dossiers_costline", "dossiers_membership", "review_assignment",
    "accounts_user", "territories_arrondissement", "django_session",
)  # fmt: skip
# What must be equal in the bench database and the baseline's copy: the dossiers (the columns
# both schemas have, every row) and the bench agent's account and roles.
FINGERPRINT_SQL = (
    "SELECT count(*), md5(string_agg(concat_ws('|', id, call_id, number, state, submitted_at,"
    " arrondissement_code, category, applicant_kind, applicant_name, title, population_used,"
    " maximum_amount, requested_amount, proposed_amount, score_average, opinion, assignee_id,"
    " session_id, search_text), ',' ORDER BY id)) FROM dossiers_dossier",
    "SELECT concat_ws('|', u.id, u.password, u.is_active, string_agg(concat_ws(':', r.call_id,"
    " r.role, r.arrondissements::text), ',' ORDER BY r.id)) FROM accounts_user u"
    " LEFT JOIN review_agentrole r ON r.user_id = u.id WHERE u.email = %s GROUP BY u.id",
)


def prepare_baseline_database(url: str, sessionid: str) -> None:
    """Make the baseline's copy ready: the same dossiers and agent as the bench database (else
    refuse to measure), the reviewer's session copied over, statistics and visibility map
    refreshed as in the bench database."""
    import psycopg

    with (
        psycopg.connect(BACKOFFICE_DATABASE, autocommit=True) as bench,
        psycopg.connect(url, autocommit=True) as baseline,
    ):
        for sql in FINGERPRINT_SQL:
            params = [BENCH_AGENT] if "%s" in sql else []
            ours = bench.execute(sql, params).fetchall()
            theirs = baseline.execute(sql, params).fetchall()
            if ours != theirs:
                raise RuntimeError(
                    "la base de la version de référence ne contient pas les mêmes données que "
                    f"la base de mesure ({ours} contre {theirs}) : recopiez-la "
                    "(docs/benchmarks.md)"
                )
        row = bench.execute(
            "SELECT session_key, session_data, expire_date FROM django_session"
            " WHERE session_key = %s",
            [sessionid],
        ).fetchone()
        baseline.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date)"
            " VALUES (%s, %s, %s) ON CONFLICT (session_key) DO UPDATE"
            " SET session_data = EXCLUDED.session_data, expire_date = EXCLUDED.expire_date",
            row,
        )
        for table in VACUUMED_TABLES:
            baseline.execute(f"VACUUM ANALYZE {table}")


def _prepare_baseline_database(url: str, sessionid: str) -> None:
    import psycopg

    try:
        prepare_baseline_database(url, sessionid)
    except psycopg.Error as exc:
        raise RuntimeError(f"base de la version de référence : {exc}") from exc


def prepare_backoffice(count: int, regenerate: bool) -> dict:
    """In a child process on the bench database: migrate, load the reference data and the calls,
    generate the synthetic dossiers that are missing, sign in a reviewer covering the whole
    département; return what the requests need (session cookie, dossiers, search words)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bench.generate import DEMO_CALL, PREFIX, generate
    from guichet.accounts.models import User
    from guichet.calls.models import Call
    from guichet.dossiers.models import Dossier
    from guichet.review.listing import arrondissement_choices
    from guichet.review.models import AgentRole, Role
    from guichet.territories.models import Commune

    log = sys.stderr
    call_command("migrate", "--noinput", verbosity=0)
    if not Commune.objects.exists():
        call_command("load_territories", stdout=log)
    call_command("load_calls", stdout=log)
    call = Call.objects.get(slug=DEMO_CALL)
    bench = Dossier.objects.filter(call=call, number__startswith=PREFIX)
    if regenerate:
        log.write(f"{bench.count()} dossiers synthétiques supprimés avant d’en recréer.\n")
        bench.delete()
    missing = count - bench.count()
    if missing > 0:
        log.write(f"Génération de {missing} dossiers synthétiques…\n")
        generate(missing, out=log)
    # Bulk inserts and migrations that rewrite every row leave the planner without statistics and
    # the visibility map empty (no index-only scans for the tab counts); in service, autovacuum
    # restores both. Measure the steady state.
    from django.db import connection

    from guichet.review import counts

    if counts.available():
        # The counts the triggers wrote for every generated dossier, one row per dossier, summed
        # as reading them would at its first page.
        counts.compact()
    with connection.cursor() as cursor:
        for table in (*VACUUMED_TABLES, "review_statecount"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    user, _ = User.objects.get_or_create(
        email=BENCH_AGENT, defaults={"first_name": "Instructrice", "last_name": "Mesures"}
    )
    AgentRole.objects.get_or_create(
        user=user, call=call, role=Role.REVIEWER, defaults={"arrondissements": []}
    )
    AgentRole.objects.filter(user=user).exclude(call=call, role=Role.REVIEWER).delete()
    client = Client()
    client.force_login(user)
    rng = random.Random(2021)  # the same dossiers and words from one run to the next
    uuids = (
        bench.filter(submitted_at__isnull=False).order_by("number").values_list("uuid", flat=True)
    )
    dossiers = rng.sample(list(uuids), min(500, len(uuids)))
    names = sorted(set(bench.values_list("applicant_name", flat=True)))
    names = rng.sample(names, min(2000, len(names)))
    # A fragment of a commune's name: its longest word, cut to five letters (« Monta », « Beaum »).
    words: list[str] = []
    for name in names:
        word = max(name.replace("-", " ").replace("'", " ").split(), key=len)
        if len(word) >= 5 and word[:5] not in words:
            words.append(word[:5])
    return {
        "sessionid": client.cookies["sessionid"].value,
        "call": call.slug,
        "dossiers_total": Dossier.objects.filter(call=call).count(),
        "bench_dossiers": bench.count(),
        "dossier_uuids": [str(u) for u in dossiers],
        "search_words": words[:500],
        "arrondissements": [
            code for code, _ in arrondissement_choices(user, call) if code != "prefecture"
        ],
        "categories": [c.code for c in call.rules.categories],
    }


def export_child(fmt: str) -> dict:
    """In a child process: every dossier of the demo call, every column, written as ``fmt``."""
    import resource
    import tempfile

    import django

    django.setup()
    from django.http import QueryDict

    from bench.generate import DEMO_CALL
    from guichet.accounts.models import User
    from guichet.calls.models import Call
    from guichet.exports.services import write_export
    from guichet.review import listing as lists

    user = User.objects.get(email=BENCH_AGENT)
    call = Call.objects.get(slug=DEMO_CALL)
    every_column = QueryDict(mutable=True)
    every_column.setlist("colonnes", list(lists.COLUMNS))
    every_column["choix_colonnes"] = "1"
    result = lists.listing(every_column, user, call)
    queryset = lists.order(result.base, lists.DEFAULT_SORT)  # every tab, the list's default order
    columns = result.columns
    assert len(columns) == len(lists.COLUMNS)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{fmt}"
        start = time.perf_counter()
        rows = write_export(fmt, queryset, columns, path)
        seconds = time.perf_counter() - start
        size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(peak, 1),
        "rows": rows,
        "columns": len(columns),
        "file_mb": round(size / 1024 / 1024, 1),
        "rss_before_export_mb": round(before, 1),
    }


def _child(args: list[str], env: dict) -> dict:
    """Run ``python -m bench.run <args>`` and read the JSON on its last line of output."""
    done = subprocess.run(
        [PYTHON, "-m", "bench.run", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE,
        text=True, timeout=CHILD_SECONDS,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _get(port: int, path: str, headers: dict) -> tuple[float, int, float]:
    """One request on a new connection (gunicorn's sync workers close each one): milliseconds
    until the whole body is read, the queries the server counted and the milliseconds they took."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status} {body[:300]!r}")
    return (
        elapsed,
        int(response.getheader("X-Queries", "-1")),
        float(response.getheader("X-SQL-ms", "nan")),
    )


def _wait_for(port: int, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"le serveur de mesure s’est arrêté (code {server.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/bench/floor/")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"le serveur de mesure ne répond pas sur le port {port}")


def backoffice_scenarios(data: dict) -> dict[str, list[str]]:
    """The paths requested, varied at each request where the issue asks for it."""
    filtered = []
    for i in range(max(BACKOFFICE_REQUESTS + 10, 50)):
        arrondissement = data["arrondissements"][i % len(data["arrondissements"])]
        category = data["categories"][(i // 5) % len(data["categories"])]
        low = ("0,5", "1", "1,5")[i % 3]
        sort = ("-score", "applicant", "-maximum", "submitted_at")[i % 4]
        filtered.append(
            f"/instruction/?onglet=en-instruction&arrondissement={arrondissement}"
            f"&categorie={category}&note_min={low}&note_max=3&tri={sort}"
        )
    return {
        "floor": ["/bench/floor/"],
        "list_first_page": ["/instruction/"],
        "list_filtered": filtered,
        "search": [f"/instruction/?q={quote(w)}" for w in data["search_words"]],
        "dossier_page": [f"/instruction/dossiers/{u}/" for u in data["dossier_uuids"]],
    }


def start_server(tree: Path, env: dict, workers: int) -> tuple[subprocess.Popen, int]:
    """gunicorn with the production configuration (config/gunicorn.py of this tree), serving the
    code of ``tree`` (this tree, or an older one to compare with) on a free loopback port."""
    port = _free_port()
    server_env = {
        **env,
        "GUICHET_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_MAX_REQUESTS": "0",  # no worker replaced in the middle of a measure
    }
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.py"),
         "--chdir", str(tree), "--access-logfile", "/dev/null"],
        cwd=tree, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(port, server)
    except RuntimeError:
        server.terminate()
        server.wait(10)
        raise
    return server, port


def run_phase(ports: list[int], paths: list[str], headers: dict, clients: int) -> list[dict]:
    """``BACKOFFICE_REQUESTS`` requests per server (after 10 of warm-up each) sent by ``clients``
    threads at once, stopped early after ``PHASE_SECONDS``. With two servers (this tree and a
    baseline) the requests alternate between them, so both are measured at the same moments of a
    shared machine. For each server: latencies, SQL time per request, requests per second (with
    two servers, each gets about half of what the clients send)."""
    import threading

    for port in ports:
        for turn in range(10):  # warm-up: every worker has read the call and the reference data
            _get(port, paths[turn % len(paths)], headers)
    jobs = iter(range(BACKOFFICE_REQUESTS * len(ports)))
    lock = threading.Lock()
    samples: list[list[tuple[float, int, float]]] = [[] for _ in ports]
    errors: list[str] = []
    deadline = time.monotonic() + PHASE_SECONDS

    def client() -> None:
        while time.monotonic() < deadline and not errors:
            with lock:
                job = next(jobs, None)
            if job is None:
                return
            server, turn = job % len(ports), job // len(ports)
            try:
                sample = _get(ports[server], paths[(10 + turn) % len(paths)], headers)
            except (OSError, RuntimeError) as exc:
                errors.append(str(exc))
                return
            with lock:
                samples[server].append(sample)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(PHASE_SECONDS + 120)
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(errors[0])
    results = []
    for measured in samples:
        result = _summary([s[0] for s in measured])
        result["requests_per_second"] = round(len(measured) / wall, 1)
        result["sql_p50_ms"] = round(statistics.median([s[2] for s in measured]), 2)
        result["outside_sql_p50_ms"] = round(statistics.median([s[0] - s[2] for s in measured]), 2)
        result["queries"] = round(statistics.median([s[1] for s in measured]))
        result["queries_max"] = max(s[1] for s in measured)
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        results.append(result)
    return results


def bench_backoffice(regenerate: bool = False) -> dict:
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    load = [round(x, 2) for x in os.getloadavg()]
    problem = _postgres_problem(BACKOFFICE_DATABASE)
    if problem:
        print(f"\nBack-office : mesure ignorée. {problem}", file=sys.stderr)
        return {"skipped": problem, "measured_at": started}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DATABASE_URL": BACKOFFICE_DATABASE,
    }
    args = ["--prepare-backoffice", str(BACKOFFICE_DOSSIERS)] + (["--regenerate"] * regenerate)
    data = _child(args, env)
    scenarios = backoffice_scenarios(data)
    headers = {"Cookie": f"sessionid={data['sessionid']}"}
    trees = {"current": ROOT}
    envs = {"current": env}
    if BASELINE_TREE:
        trees["baseline"] = Path(BASELINE_TREE).resolve()
        envs["baseline"] = env
        if BASELINE_DATABASE:
            _prepare_baseline_database(BASELINE_DATABASE, data["sessionid"])
            envs["baseline"] = {**env, "DATABASE_URL": BASELINE_DATABASE}
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    measured: dict[str, dict[str, dict]] = {name: {} for name in trees}
    try:
        for name, tree in trees.items():
            servers[name] = start_server(tree, envs[name], BENCH_WORKERS)
        # Scenario by scenario, the requests alternating between the trees.
        ports = [port for _, port in servers.values()]
        for scenario, paths in scenarios.items():
            phase = run_phase(ports, paths, headers, BENCH_CLIENTS)
            for name, s in zip(servers, phase, strict=True):
                measured[name][scenario] = s
                print(
                    f"back-office {name:8} {scenario:16} p50 {s['p50_ms']:7.2f} ms, "
                    f"SQL {s['sql_p50_ms']:6.2f} ms, {s['requests_per_second']:6.1f} req/s",
                    file=sys.stderr,
                )
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(30)
    results: dict = {
        "measured_at": started,
        "database": f"PostgreSQL, {urlsplit(BACKOFFICE_DATABASE).path.lstrip('/')}",
        "server": f"gunicorn (config/gunicorn.py), {BENCH_WORKERS} workers",
        "concurrent_clients": BENCH_CLIENTS,
        "dossiers_in_call": data["dossiers_total"],
        "synthetic_dossiers": data["bench_dossiers"],
        "load_average_at_start": load,
        "requests_per_scenario": BACKOFFICE_REQUESTS,
    }
    for name, by_scenario in measured.items():
        floor = by_scenario["floor"]
        target = (
            results if name == "current" else results.setdefault(name, {"tree": str(trees[name])})
        )
        if name != "current":
            database = urlsplit(envs[name]["DATABASE_URL"]).path.lstrip("/")
            target["database"] = f"PostgreSQL, {database}"
        target["floor"] = floor
        for scenario, s in by_scenario.items():
            if scenario != "floor":
                s["ratio_p50_to_floor"] = round(s["p50_ms"] / floor["p50_ms"], 2)
                target[scenario] = s
    exports = {}
    if not os.environ.get("BENCH_SKIP_EXPORTS"):
        for fmt in EXPORT_FORMATS:
            exports[fmt] = _child(["--export", fmt], env)
        results["exports"] = exports
    results["goals"] = GOALS
    return results


def _mark(ok: bool) -> str:
    return "atteint" if ok else "NON ATTEINT"


def print_backoffice(bo: dict) -> None:
    if "skipped" in bo:
        print(f"\nBack-office : non mesuré — {bo['skipped']}")
        return
    print(
        f"\nBack-office : {bo['dossiers_in_call']:,} dossiers ({bo['database']}), {bo['server']}, "
        f"{bo['concurrent_clients']} clients, {bo['requests_per_scenario']} requêtes par scénario, "
        f"charge au départ {bo['load_average_at_start']}"
    )
    print(
        f"{'scénario':18} {'p50 ms':>8} {'p95 ms':>8} {'SQL ms':>7} {'hors SQL':>8} {'req/s':>6} "
        f"{'req.':>5} {'×plancher':>9}  objectifs (×{GOALS['ratio_p50_to_floor']:g}, "
        f"p95 < {GOALS['p95_ms']:g} ms, < {GOALS['list_queries']} requêtes SQL par page de liste)"
    )
    for label, part in (("", bo), ("avant : ", bo.get("baseline"))):
        if not part:
            continue
        f = part["floor"]
        print(
            f"{label + 'plancher':18} {f['p50_ms']:8.2f} {f['p95_ms']:8.2f} {'':7} {'':8} "
            f"{f['requests_per_second']:6.1f} {0:5d} {1:9.2f}"
        )
        for name in ("list_first_page", "list_filtered", "search", "dossier_page"):
            s = part[name]
            marks = [
                f"médiane {_mark(s['ratio_p50_to_floor'] <= GOALS['ratio_p50_to_floor'])}",
                f"p95 {_mark(s['p95_ms'] < GOALS['p95_ms'])}",
            ]
            if name != "dossier_page":
                marks.append(f"requêtes {_mark(s['queries_max'] < GOALS['list_queries'])}")
            print(
                f"{label + name:18} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {s['sql_p50_ms']:7.2f} "
                f"{s['outside_sql_p50_ms']:8.2f} {s['requests_per_second']:6.1f} {s['queries']:5d} "
                f"{s['ratio_p50_to_floor']:9.2f}  {', '.join(marks)}"
            )
    if not bo.get("exports"):
        return
    print(
        f"{'export':18} {'s':>8} {'Mo pic':>8} {'lignes':>8}  objectifs "
        f"(< {GOALS['export_seconds']:g} s, < {GOALS['export_peak_mb']:g} Mo)"
    )
    for fmt, e in bo["exports"].items():
        marks = (
            f"durée {_mark(e['seconds'] < GOALS['export_seconds'])}, "
            f"mémoire {_mark(e['peak_mb'] < GOALS['export_peak_mb'])}"
        )
        print(f"{fmt.upper():18} {e['seconds']:8.1f} {e['peak_mb']:8.1f} {e['rows']:8d}  {marks}")


def bench_envelope_race() -> dict:
    """The envelope race (bench/envelope_race.py) in a child process on its own database."""
    from bench import envelope_race

    problem = _postgres_problem(envelope_race.DATABASE)
    if problem:
        return {"skipped": problem}
    env = {**os.environ, "DATABASE_URL": envelope_race.DATABASE,
           "DJANGO_SETTINGS_MODULE": "config.settings.bench", "PYTHONPATH": str(ROOT)}  # fmt: skip
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "envelope_race.py")],
        env=env, capture_output=True, text=True, timeout=1800, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _bench_child(module: str, database: str) -> dict:
    """``bench/<module>.py`` in a child process on its own PostgreSQL database, its result the
    last line of its output."""
    problem = _postgres_problem(database)
    if problem:
        return {"skipped": problem}
    env = {**os.environ, "DATABASE_URL": database,
           "DJANGO_SETTINGS_MODULE": "config.settings.bench", "PYTHONPATH": str(ROOT)}  # fmt: skip
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / f"{module}.py")],
        env=env, capture_output=True, text=True, timeout=CHILD_SECONDS, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"bench/{module}.py a échoué ({done.returncode}) : {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_payment_race() -> dict:
    """The payments race (bench/payment_race.py) in a child process on its own database."""
    from bench import payment_race

    return _bench_child("payment_race", payment_race.DATABASE)


def bench_ds_import() -> dict:
    """The import from DS (bench/ds_import.py) in a child process on its own database."""
    from bench import ds_import

    return _bench_child("ds_import", ds_import.DATABASE)


def print_ds_import(ds: dict) -> None:
    if "skipped" in ds:
        print(f"\nDS import: skipped ({ds['skipped']})")
        return
    print(f"\nDS import: {ds['dossiers']} DS dossiers, pages of {ds['page_size']}")
    for r in ds["runs"]:
        print(
            f"  {r['run']:18} {r['seconds']:8.2f} s, {r['dossiers_read']} read "
            f"({r['dossiers_per_second']:.1f}/s): "
            f"created {r['created']}, updated {r['updated']}, unchanged {r['unchanged']}, "
            f"errors {r['errors']} (must be 0), peak RSS {r['peak_rss_mb']} MB"
        )


def print_payment_race(race: dict) -> None:
    if "skipped" in race:
        print(f"\nPayments race: skipped ({race['skipped']})")
        return
    c, p = race["certification"], race["payment"]
    print(
        f"\nPayments race: {race['grants']} grants, {race['requests']} requests, "
        f"{race['connections']} connections (prepared in {race['prepared']['seconds']} s, "
        f"{race['prepared']['mismatches']} copies unlike their model)\n"
        f"  certify: {c['attempts']} attempts in {c['seconds']} s ({c['attempts_per_second']}/s): "
        f"{c['certified']} certified ({c['certified_per_second']}/s), {c['refused']} refused, "
        f"{c['errors']} errors\n"
        f"  pay:     {p['attempts']} attempts in {p['seconds']} s ({p['attempts_per_second']}/s): "
        f"{p['paid']} paid ({p['paid_per_second']}/s), {p['refused']} refused, "
        f"{p['errors']} errors\n"
        f"  overpaid grants {race['overpaid_grants']} (must be 0), sums agree: "
        f"{race['grant_sums_agree']}, envelopes' paid agree: {race['envelope_paid_agrees']}, "
        f"ledger agrees: {race['ledger_lines_agree']}"
    )
    for phase in (c, p):
        for reason, count in phase["refused_by_reason"].items():
            print(f"    {count:6d} × {reason}")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description="Mesures de vitesse (bench/results.json).")
    parser.add_argument(
        "--only",
        default="rules,pages,backoffice,envelope,payments,ds,programming",
        help="parties à mesurer",
    )
    parser.add_argument(
        "--regenerate",
        action="store_true",
        default=os.environ.get("BENCH_REGENERATE", "") not in ("", "0"),
        help="recréer les dossiers synthétiques du back-office",
    )
    # Internal: the children of the back-office part (their result on the last line of output).
    parser.add_argument("--prepare-backoffice", type=int, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--export", choices=EXPORT_FORMATS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare_backoffice is not None:
        print(json.dumps(prepare_backoffice(args.prepare_backoffice, args.regenerate)))
        return 0
    if args.export:
        print(json.dumps(export_child(args.export)))
        return 0
    parts = {p.strip() for p in args.only.split(",")}
    results: dict = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
    }
    if "rules" in parts:
        results["rules_core"] = bench_rules()
    if "pages" in parts:
        results["pages"] = bench_pages()
    if "backoffice" in parts:
        try:
            results["backoffice"] = bench_backoffice(args.regenerate)
        except (
            subprocess.CalledProcessError,
            subprocess.TimeoutExpired,
            RuntimeError,
            OSError,
        ) as exc:
            # `make bench` still finishes and says why this part has no figures.
            print(f"\nBack-office : mesure interrompue : {exc}", file=sys.stderr)
            results["backoffice"] = {"skipped": f"mesure interrompue : {exc}"}
    if "envelope" in parts:
        try:
            results["envelope_race"] = bench_envelope_race()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            print(f"\nCourse à l’enveloppe : mesure interrompue : {exc}", file=sys.stderr)
            results["envelope_race"] = {"skipped": f"mesure interrompue : {exc}"}
    if "payments" in parts:
        try:
            results["payment_race"] = bench_payment_race()
        except (subprocess.TimeoutExpired, RuntimeError, OSError, ValueError) as exc:
            print(f"\nCourse aux versements : mesure interrompue : {exc}", file=sys.stderr)
            results["payment_race"] = {"skipped": f"mesure interrompue : {exc}"}
    if "ds" in parts:
        try:
            results["ds_import"] = bench_ds_import()
        except (subprocess.TimeoutExpired, RuntimeError, OSError, ValueError) as exc:
            print(f"\nImport DS : mesure interrompue : {exc}", file=sys.stderr)
            results["ds_import"] = {"skipped": f"mesure interrompue : {exc}"}
    if "programming" in parts:
        from bench.programming import bench_programming, print_programming

        results["programming"] = bench_programming()
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous.update(results)
    RESULTS.write_text(json.dumps(previous, indent=2, ensure_ascii=False) + "\n")
    if "rules_core" in results:
        rules = results["rules_core"]
        print(f"\nRules core: {rules['evaluations_per_second']:,} evaluations/s (goal ≥ 20,000)")
    if "pages" in results:
        print(f"{'scenario':24} {'p50 ms':>8} {'p95 ms':>8} {'×floor':>7}")
        for name, s in results["pages"].items():
            print(
                f"{name:24} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} "
                f"{s.get('ratio_p50_to_floor', 1):7.2f}"
            )
    if "backoffice" in results:
        print_backoffice(results["backoffice"])
    if "envelope_race" in results:
        race = results["envelope_race"]
        if "skipped" in race:
            print(f"\nEnvelope race: skipped ({race['skipped']})")
        else:
            print(
                f"\nEnvelope race: {race['attempts']} attempts from {race['connections']} "
                f"connections in {race['seconds']} s: {race['committed']} committed, "
                f"{race['refused']} refused, {race['errors']} errors; committed "
                f"{race['committed_total']:,.2f} of {race['envelope']:,.2f} €, overcommitted "
                f"{race['overcommitted']} (must be 0), ledger agrees: {race['ledger_agrees']}"
            )
    if "payment_race" in results:
        print_payment_race(results["payment_race"])
    if "ds_import" in results:
        print_ds_import(results["ds_import"])
    if "programming" in results:
        print_programming(results["programming"])
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
