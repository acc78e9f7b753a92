"""The import from Démarches Simplifiées at a département's scale, on PostgreSQL.

Run by ``bench/run.py --only ds`` in a child process on its own database
(``BENCH_DS_DATABASE_URL``, default ``guichet_bench_ds``, created when missing): migrate, load
the 2021 reference data (once: kept between runs) and the calls, remove what the previous run
imported, then serve ``DS_DOSSIERS`` (600) DS dossiers of communes of the Puy-de-Dôme, each with
its champs and one PDF piece, from the tests' fake DS server (a real HTTP server on 127.0.0.1
executing the queries with graphql-core against the shipped schema), and import them through
``guichet.ds.importer.run`` with pages of 100, as ``manage.py import_ds`` does.

Measured: the first import (every dossier created, its piece downloaded and checked, submitted,
routed), a re-run where nothing changed, and a run after a tenth of the dossiers changed on DS;
for each, the wall time, dossiers per second, the counts of the report (errors must be 0) and
the process's peak resident memory after it (``ru_maxrss``, grows only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import resource
import sys
import time

DOSSIERS = int(os.environ.get("DS_DOSSIERS", "600"))
PAGE_SIZE = 100
DATABASE = os.environ.get(
    "BENCH_DS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/guichet_bench_ds"
)
DEMARCHE = 9063
CALL = "fitn7-axe3-puy-de-dome-2021"


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run() -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from guichet.calls.models import Call
    from guichet.dossiers.models import Dossier
    from guichet.ds import importer, mapping
    from guichet.ds.client import Client
    from guichet.ds.models import ImportedDossier, ImportState
    from guichet.territories.models import Commune
    from tests.documents.samples import pdf_bytes
    from tests.ds.fake_ds import TOKEN, FakeDossier, FakeDS, commune, date, pieces, text

    if connection.vendor != "postgresql":
        return {"skipped": "l’import se mesure sur PostgreSQL (BENCH_DS_DATABASE_URL)"}
    call_command("migrate", "--noinput", verbosity=0)
    if not Commune.objects.filter(vintage="2021").exists():
        call_command("load_territories", verbosity=0)
    call_command("load_calls", verbosity=0)
    call = Call.objects.get(slug=CALL)
    ImportedDossier.objects.all().delete()
    ImportState.objects.all().delete()
    Dossier.objects.filter(call=call).delete()

    communes = list(
        Commune.objects.filter(vintage="2021", departement_code="63")
        .order_by("insee_code")
        .values_list("insee_code", "name")
    )
    fake = FakeDS(DEMARCHE).start()
    os.environ["DS_API_URL"] = fake.url
    os.environ["DS_API_TOKEN"] = TOKEN
    pdf = pdf_bytes()

    checksum = hashlib.md5(pdf).hexdigest()
    deposited = dt.datetime(2021, 6, 1, 8, 0, tzinfo=dt.UTC)

    def form(number: int, code: str, name: str, title: str) -> list[dict]:
        url = fake.file_url(f"devis-{number}.pdf", pdf)
        return [
            commune("Commune", code, name),
            text("Intitulé du projet", title),
            text("Résumé du projet", "Former les agents au logiciel de gestion des actes."),
            text("Catégorie du projet", "Formation des agents au numérique"),
            text("Coût total du projet (HT)", "12 000"),
            text("Montant de la subvention demandée", "5000"),
            date("Date d'engagement du projet", "2021-09-01"),
            text("Courriel du contact", f"contact{number}@mairie.example.fr"),
            pieces("Devis signé ou contrat", (f"devis-{number}.pdf", url, checksum)),
        ]

    fake.form = form(0, "63040", "Billom", "Modèle")
    dossiers = []
    for i in range(DOSSIERS):
        code, name = communes[i % len(communes)]
        number = 100_000 + i
        moment = deposited + dt.timedelta(minutes=i)
        dossiers.append(
            fake.add(
                FakeDossier(
                    number, form(number, code, name, f"Projet numérique n° {number}"),
                    deposited=moment, updated=moment,
                )
            )
        )  # fmt: skip
    field_mapping = mapping.parse(
        mapping.load_data(None), categories={c.code for c in call.rules.categories}
    )

    def one_run(label: str) -> dict:
        report = importer.Report()
        start = time.perf_counter()
        importer.run(
            demarche=DEMARCHE, call=call, mapping=field_mapping,
            client=Client.from_environment(), page_size=PAGE_SIZE, report=report,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        data = report.as_json()
        read = data["created"] + data["updated"] + data["unchanged"]
        return {
            "run": label,
            "seconds": round(seconds, 2),
            # Those DS sent back (``updatedSince``): a re-run reads only what changed since.
            "dossiers_read": read,
            "dossiers_per_second": round(read / seconds, 1),
            "created": data["created"],
            "updated": data["updated"],
            "unchanged": data["unchanged"],
            "deactivated": data["deactivated"],
            "errors": len(data["errors"]),
            "first_error": data["errors"][0]["message"] if data["errors"] else "",
            "peak_rss_mb": _peak_mb(),
        }

    try:
        runs = [one_run("first import")]
        runs.append(one_run("nothing changed"))
        changed = dossiers[::10]
        later = deposited + dt.timedelta(days=3)
        for d in changed:
            for champ in d.champs:
                if champ["label"] == "Intitulé du projet":
                    champ["stringValue"] = champ["value"] = champ["value"] + " (modifié)"
            d.updated = later
        runs.append(one_run(f"{len(changed)} changed"))
    finally:
        fake.stop()
    return {
        "dossiers": DOSSIERS,
        "page_size": PAGE_SIZE,
        "guichet_dossiers": Dossier.objects.filter(call=call).count(),
        "runs": runs,
    }


if __name__ == "__main__":
    import json

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    print(json.dumps(run(), ensure_ascii=False))
