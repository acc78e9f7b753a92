#!/usr/bin/env python
"""Rebuild the reference data shipped in ``guichet/territories/data/<vintage>/``.

Source: the npm package ``@etalab/decoupage-administratif`` (MIT licence, Etalab), which
packages the INSEE Code officiel géographique, the INSEE municipal populations and the
BANATIC list of EPCI à fiscalité propre. Each reference vintage maps to one package version:

    vintage 2021 -> @etalab/decoupage-administratif@1.1.1  (populations of the 2021 call;
                                                            Puy-de-Dôme had 464 communes)
    vintage 2026 -> @etalab/decoupage-administratif@6.0.0  (463 communes in Puy-de-Dôme)

Get a package (no need to install anything else than npm) and unpack it:

    npm pack @etalab/decoupage-administratif@1.1.1     # writes etalab-decoupage-administratif-1.1.1.tgz
    mkdir -p /tmp/npmdata/1.1.1 && tar -xzf etalab-decoupage-administratif-1.1.1.tgz -C /tmp/npmdata/1.1.1

then run, from the repository root:

    python scripts/build_reference_data.py --vintage 2021 \
        --package-dir /tmp/npmdata/1.1.1/package --siren-fallback /tmp/npmdata/6.0.0/package
    python scripts/build_reference_data.py --vintage 2026 --package-dir /tmp/npmdata/6.0.0/package

and load the result with ``python manage.py load_territories``.

Output (UTF-8 CSV, one row per line, sorted by code so that diffs stay readable):

    regions.csv          code,name
    departements.csv     code,name,region_code
    arrondissements.csv  code,name,departement_code
    communes.csv         insee_code,name,siren,postcodes,population,arrondissement_code,
                         departement_code,region_code,epci_siren
    epci.csv             siren,name,epci_type,financing_mode,population,departements,seat_insee
    SOURCE.json          package, version, licence, build date, row counts, SIREN coverage

Only ``type == "commune-actuelle"`` communes are kept (no communes déléguées/associées, no
arrondissements municipaux). A commune belongs to at most one EPCI à fiscalité propre, so EPCI
membership is the ``epci_siren`` column of communes.csv (the script checks that invariant).
``postcodes`` and ``departements`` are ``;``-joined lists.

Derived data and approximations:

* Old packages (1.1.1) give communes neither a SIREN nor an EPCI: both are derived from the
  ``membres`` of epci.json; for communes in no EPCI, ``--siren-fallback`` takes the SIREN of the
  same INSEE code in a newer package, else the SIREN stays empty.
* The seat of an EPCI is not in the data: ``seat_insee`` is the most populous member commune
  (ties broken by INSEE code). This is an approximation (e.g. it is usually but not always right).
* ``population`` is the INSEE population municipale: the commune's own figure from
  communes.json, the EPCI's ``populationMunicipale`` from epci.json (the sum over its members,
  as published in the EPCI file, whose millésime can differ from communes.json).

The script only uses the standard library.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

PACKAGE_NAME = "@etalab/decoupage-administratif"
VINTAGES = {"2021": "1.1.1", "2026": "6.0.0"}
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT_ROOT = REPO_ROOT / "guichet" / "territories" / "data"
# Above this size (bytes, all CSV files of one vintage), the CSV files are written gzipped.
GZIP_THRESHOLD = 4_000_000

COLUMNS = {
    "regions": ["code", "name"],
    "departements": ["code", "name", "region_code"],
    "arrondissements": ["code", "name", "departement_code"],
    "communes": [
        "insee_code",
        "name",
        "siren",
        "postcodes",
        "population",
        "arrondissement_code",
        "departement_code",
        "region_code",
        "epci_siren",
    ],
    "epci": [
        "siren",
        "name",
        "epci_type",
        "financing_mode",
        "population",
        "departements",
        "seat_insee",
    ],
}


class BuildError(Exception):
    pass


def read_json(package_dir: Path, name: str) -> list[dict[str, Any]]:
    path = package_dir / "data" / f"{name}.json"
    if not path.is_file():
        raise BuildError(f"Fichier introuvable : {path}")
    with path.open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def package_version(package_dir: Path) -> tuple[str, str, str]:
    with (package_dir / "package.json").open(encoding="utf-8") as f:
        meta = json.load(f)
    return meta["name"], meta["version"], meta.get("license", "")


def text(value: Any) -> str:
    return "" if value is None else str(value)


def current_communes(package_dir: Path) -> list[dict[str, Any]]:
    return [c for c in read_json(package_dir, "communes") if c.get("type") == "commune-actuelle"]


def build_rows(
    package_dir: Path, fallback_dir: Path | None
) -> tuple[dict[str, list[list[str]]], dict[str, Any]]:
    """Return the CSV rows by file name, and coverage statistics."""
    regions = read_json(package_dir, "regions")
    departements = read_json(package_dir, "departements")
    arrondissements = read_json(package_dir, "arrondissements")
    communes = current_communes(package_dir)
    epcis = read_json(package_dir, "epci")

    commune_by_code = {c["code"]: c for c in communes}
    if len(commune_by_code) != len(communes):
        raise BuildError("Codes INSEE de communes en double.")

    # Membership and SIREN from the EPCI members.
    epci_of: dict[str, str] = {}
    siren_from_members: dict[str, str] = {}
    for epci in epcis:
        for member in epci["membres"]:
            code = member["code"]
            if code in epci_of:
                raise BuildError(f"La commune {code} appartient à deux EPCI.")
            if code not in commune_by_code:
                raise BuildError(f"Membre {code} de l'EPCI {epci['code']} absent des communes.")
            epci_of[code] = epci["code"]
            if member.get("siren"):
                siren_from_members[code] = member["siren"]

    fallback_siren: dict[str, str] = {}
    if fallback_dir is not None:
        fallback_siren = {
            c["code"]: c["siren"] for c in current_communes(fallback_dir) if c.get("siren")
        }

    stats: Counter[str] = Counter()
    commune_rows = []
    for code in sorted(commune_by_code):
        c = commune_by_code[code]
        siren = c.get("siren") or ""
        if siren:
            stats["siren_in_communes"] += 1
        elif code in siren_from_members:
            siren = siren_from_members[code]
            stats["siren_from_epci_members"] += 1
        elif code in fallback_siren:
            siren = fallback_siren[code]
            stats["siren_from_fallback"] += 1
        else:
            stats["siren_missing"] += 1
        # Newer packages give the commune's EPCI directly; it must agree with the members.
        if c.get("epci") and c["epci"] != epci_of.get(code):
            raise BuildError(f"EPCI incohérent pour la commune {code}.")
        commune_rows.append(
            [
                code,
                c["nom"],
                siren,
                ";".join(c.get("codesPostaux") or []),
                text(c.get("population")),
                text(c.get("arrondissement")),
                text(c.get("departement")),
                text(c.get("region")),
                epci_of.get(code, ""),
            ]
        )

    epci_rows = []
    for epci in sorted(epcis, key=lambda e: e["code"]):
        members = [commune_by_code[m["code"]] for m in epci["membres"]]
        depts = sorted({m["departement"] for m in members if m.get("departement")})
        # APPROXIMATION: the seat is not in the data; take the most populous member commune.
        seat = min(members, key=lambda m: (-(m.get("population") or 0), m["code"]))
        epci_rows.append(
            [
                epci["code"],
                epci["nom"],
                epci["type"],
                text(epci.get("modeFinancement")),
                text(epci.get("populationMunicipale")),
                ";".join(depts),
                seat["code"],
            ]
        )

    rows = {
        "regions": [[r["code"], r["nom"]] for r in sorted(regions, key=lambda r: r["code"])],
        "departements": [
            [d["code"], d["nom"], text(d.get("region"))]
            for d in sorted(departements, key=lambda d: d["code"])
        ],
        "arrondissements": [
            [a["code"], a["nom"], text(a.get("departement"))]
            for a in sorted(arrondissements, key=lambda a: a["code"])
        ],
        "communes": commune_rows,
        "epci": epci_rows,
    }
    coverage = {
        "communes": len(communes),
        "in_an_epci": len(epci_of),
        **{k: stats[k] for k in sorted(stats)},
    }
    return rows, coverage


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def build(
    vintage: str,
    package_dir: Path,
    output_root: Path = DEFAULT_OUTPUT_ROOT,
    fallback_dir: Path | None = None,
    build_date: str | None = None,
) -> Path:
    name, version, licence = package_version(package_dir)
    if name != PACKAGE_NAME:
        raise BuildError(f"{package_dir} contient {name}, pas {PACKAGE_NAME}.")
    expected = VINTAGES.get(vintage)
    if expected is None:
        known = ", ".join(f"{v} ({p})" for v, p in VINTAGES.items())
        raise BuildError(f"Millésime {vintage} inconnu ; millésimes connus : {known}.")
    if version != expected:
        raise BuildError(
            f"Le millésime {vintage} se construit avec {name}@{expected}, pas {version}."
        )
    fallback_version = None
    if fallback_dir is not None:
        fallback_version = package_version(fallback_dir)[1]

    rows, coverage = build_rows(package_dir, fallback_dir)
    contents = {f"{stem}.csv": to_csv(COLUMNS[stem], rows[stem]) for stem in COLUMNS}
    compress = sum(len(b) for b in contents.values()) > GZIP_THRESHOLD

    out = output_root / vintage
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.csv"), *out.glob("*.csv.gz")]:
        old.unlink()
    files = []
    for filename, data in contents.items():
        if compress:
            filename += ".gz"
            data = gzip.compress(data, compresslevel=9, mtime=0)
        (out / filename).write_bytes(data)
        files.append(filename)

    source = {
        "package": name,
        "version": version,
        "license": licence,
        "url": f"https://www.npmjs.com/package/{name}/v/{version}",
        "vintage": vintage,
        "built_on": build_date or dt.date.today().isoformat(),
        "builder": "scripts/build_reference_data.py",
        "siren_fallback_version": fallback_version,
        "files": sorted(files),
        "rows": {stem: len(rows[stem]) for stem in COLUMNS},
        "siren_coverage": coverage,
    }
    (out / "SOURCE.json").write_text(
        json.dumps(source, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Construit les fichiers de référence d'un millésime à partir du paquet npm "
        f"{PACKAGE_NAME}.",
    )
    parser.add_argument("--vintage", required=True, choices=sorted(VINTAGES), help="millésime")
    parser.add_argument(
        "--package-dir", required=True, type=Path, help="dossier « package » du paquet décompressé"
    )
    parser.add_argument(
        "--siren-fallback",
        type=Path,
        default=None,
        help="dossier « package » d'une version plus récente, pour les SIREN manquants",
    )
    parser.add_argument("--output-root", type=Path, default=DEFAULT_OUTPUT_ROOT)
    parser.add_argument("--build-date", default=None, help="date ISO inscrite dans SOURCE.json")
    args = parser.parse_args(argv)
    try:
        out = build(
            args.vintage, args.package_dir, args.output_root, args.siren_fallback, args.build_date
        )
    except BuildError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    source = json.loads((out / "SOURCE.json").read_text(encoding="utf-8"))
    counts = ", ".join(f"{k} {v}" for k, v in source["rows"].items())
    print(f"Millésime {args.vintage} écrit dans {out} : {counts}.")
    print(f"Couverture SIREN : {source['siren_coverage']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
