#!/usr/bin/env python
"""Rebuild the commune and EPCI contours shipped in
``guichet/territories/data/<vintage>/contours/<departement>.geojson``.

They draw the map of the public results page (``guichet/territories/contours.py``). The source
is a GeoJSON FeatureCollection of communes with the properties ``code`` (INSEE code) and ``nom``
in WGS84 longitude/latitude; by default Etalab's simplified contours of the vintage's year
(Licence Ouverte 2.0, built from IGN ADMIN EXPRESS COG):

    https://etalab-datasets.geo.data.gouv.fr/contours-administratifs/{year}/geojson/communes-100m.geojson

The shipped files were NOT built from that file: this project's build machine could not reach
etalab-datasets.geo.data.gouv.fr. They were built from IGN ADMIN EXPRESS COG, édition 2018
(INSEE codes of the COG 2018, Licence Ouverte), as converted to GeoJSON by the public repository
gregoiredavid/france-geojson (``departements/<dep>-<name>/communes-<dep>-<name>.geojson``):

    npm pack @etalab/decoupage-administratif@6.0.0   # unpacked in /tmp/npmdata/6.0.0
    for vintage in 2021 2026; do
      python scripts/build_contours.py --vintage $vintage --departement 63 \
        --source communes-63-puy-de-dome.geojson --source-url "$REPO_URL/communes-63-puy-de-dome.geojson" \
        --edition "IGN ADMIN EXPRESS COG, édition 2018 (GeoJSON de gregoiredavid/france-geojson)" \
        --note "$NOTE" --package-dir /tmp/npmdata/6.0.0/package
    done                                             # and the same for 68 (haut-rhin)

(``REPO_URL`` is https://github.com/gregoiredavid/france-geojson/blob/master/departements/63-puy-de-dome,
``NOTE`` the sentence of SOURCE.json saying why.) The 6.0.0 package serves both vintages: it
knows every merger since 2018, and only the codes the vintage no longer lists are mapped.

To rebuild from Etalab's file when it is reachable, leave out ``--source``, ``--edition`` and
``--note`` (the whole of France is read, then filtered on the département); ``--package-dir``
(the unpacked ``@etalab/decoupage-administratif``, see build_reference_data.py) is needed only
if the file's year knows communes the vintage has merged since.

What the script does:

1. keeps the source's communes of the département. A code the vintage no longer knows is a
   former commune merged since the source's edition into a commune nouvelle: its contour is
   unioned into the new commune's. The mapping comes from the package's communes.json (its
   « commune-deleguee » and « commune-associee » entries name their ``chefLieu``, and a current
   commune lists its ``anciensCodes``, which covers a « fusion simple » that left no commune
   déléguée, e.g. Creste 63127 absorbed by Saint-Diéry 63335 in 2019). A code that maps to
   nothing, or a commune of the vintage without any contour, stops the build;
2. simplifies all the communes together with ``shapely.coverage_simplify`` (GEOS): the
   simplification keeps the coverage's topology, so that neighbours still share their border
   (no gaps, no overlaps), unlike simplifying each polygon alone;
3. builds each EPCI's contour as the union of its member communes in the département (from
   the vintage's ``communes.csv``, column ``epci_siren``): an EPCI that spans two départements
   is drawn by its part in this one;
4. rounds the coordinates (``--precision`` decimals of a degree: 3 is about 100 m) and writes
   one FeatureCollection (gzipped above 150 kB, as ``<dep>.geojson.gz``): the communes first
   (properties ``kind`` « commune », ``code``, ``name``) then the EPCI (``kind`` « epci »,
   ``code`` = SIREN, ``name``), sorted by code, with the provenance in ``contours/SOURCE.json``
   (one entry per département).

shapely is a development dependency: only this script needs it; the application reads the
written GeoJSON with the standard library.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import sys
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT_ROOT = REPO_ROOT / "guichet" / "territories" / "data"
ETALAB_URL = (
    "https://etalab-datasets.geo.data.gouv.fr/contours-administratifs/{year}/geojson/"
    "communes-100m.geojson"
)
ETALAB_EDITION = "Etalab, contours administratifs {year} (communes, simplifiés à 100 m)"
LICENCE = "Licence Ouverte 2.0 (Etalab) — IGN ADMIN EXPRESS COG"
# Tolerance of the coverage simplification, in degrees (0.005° is about 400 to 550 m here, two
# or three pixels on a map of a département some 800 pixels wide), and the decimals kept
# (0.001° is about 80 to 110 m, below a pixel).
DEFAULT_TOLERANCE = 0.005
DEFAULT_PRECISION = 3
# Above this size (bytes), the file is written gzipped (as the reference CSV files are).
GZIP_THRESHOLD = 150_000


class BuildError(Exception):
    pass


def read_geojson(source: str) -> dict[str, Any]:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=120) as response:
            data: dict[str, Any] = json.load(response)
    else:
        with open(source, encoding="utf-8") as f:
            data = json.load(f)
    if data.get("type") != "FeatureCollection":
        raise BuildError(f"{source} n'est pas une FeatureCollection GeoJSON.")
    return data


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def package_mergers(package_dir: Path) -> dict[str, str]:
    """Former commune code -> the code of the commune it was merged into, from the package."""
    with (package_dir / "data" / "communes.json").open(encoding="utf-8") as f:
        communes = json.load(f)
    mergers: dict[str, str] = {}
    for c in communes:
        if c.get("type") in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            if c["code"] != c["chefLieu"]:
                mergers[c["code"]] = c["chefLieu"]
        elif c.get("type") == "commune-actuelle":
            for old in c.get("anciensCodes") or []:
                mergers.setdefault(old, c["code"])
    return mergers


def in_departement(code: str, departement: str) -> bool:
    """An INSEE commune code's département: its first two characters (2A, 2B for Corsica), or
    three overseas (971 to 976)."""
    return code[: 3 if code.startswith("97") else 2] == departement


def resolve(code: str, current: set[str], mergers: dict[str, str]) -> str | None:
    seen = {code}
    while code not in current:
        nxt = mergers.get(code)
        if nxt is None or nxt in seen:
            return None
        seen.add(nxt)
        code = nxt
    return code


def _rounded(value: Any, precision: int) -> Any:
    if isinstance(value, float):
        return round(value, precision)
    if isinstance(value, list | tuple):
        return [_rounded(v, precision) for v in value]
    return value


def _geometry(geom: Any, precision: int) -> dict[str, Any]:
    from shapely.geometry import mapping

    m = mapping(geom)
    return {"type": m["type"], "coordinates": _rounded(m["coordinates"], precision)}


def build_collection(
    features: Iterable[dict[str, Any]],
    departement: str,
    communes: list[dict[str, str]],
    epcis: dict[str, str],
    mergers: dict[str, str],
    tolerance: float = DEFAULT_TOLERANCE,
    precision: int = DEFAULT_PRECISION,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The FeatureCollection of the département's communes and EPCI, and build statistics.

    ``communes``: the vintage's rows of communes.csv for the département; ``epcis``: SIREN ->
    name; ``mergers``: former code -> code of the commune it was merged into.
    """
    import shapely
    from shapely.geometry import shape

    current = {c["insee_code"]: c for c in communes}
    parts: dict[str, list[Any]] = defaultdict(list)
    merged: dict[str, str] = {}
    unknown = []
    for feature in features:
        code = str(feature["properties"]["code"])
        if not in_departement(code, departement):
            continue
        target = resolve(code, set(current), mergers)
        if target is None:
            unknown.append(code)
            continue
        if target != code:
            merged[code] = target
        parts[target].append(shape(feature["geometry"]))
    if unknown:
        raise BuildError(
            "Communes de la source inconnues du millésime et sans fusion connue (donner "
            "--package-dir) : " + ", ".join(sorted(unknown))
        )
    missing = sorted(set(current) - set(parts))
    if missing:
        raise BuildError(
            "Communes du millésime sans contour dans la source : " + ", ".join(missing)
        )

    codes = sorted(parts)
    polygons = [shapely.union_all(parts[c]) if len(parts[c]) > 1 else parts[c][0] for c in codes]
    polygons = [shapely.make_valid(p) if not p.is_valid else p for p in polygons]
    simplified = list(shapely.coverage_simplify(polygons, tolerance)) if tolerance else polygons
    by_code = dict(zip(codes, simplified, strict=True))

    out = []
    for code in codes:
        out.append(
            {
                "type": "Feature",
                "properties": {"kind": "commune", "code": code, "name": current[code]["name"]},
                "geometry": _geometry(by_code[code], precision),
            }
        )
    members: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        siren = current[code].get("epci_siren") or ""
        if siren:
            members[siren].append(code)
    for siren in sorted(members):
        union = shapely.union_all([by_code[c] for c in members[siren]])
        out.append(
            {
                "type": "Feature",
                "properties": {"kind": "epci", "code": siren, "name": epcis.get(siren, siren)},
                "geometry": _geometry(union, precision),
            }
        )
    stats = {
        "communes": len(codes),
        "epci": len(members),
        "merged_former_communes": dict(sorted(merged.items())),
        "points": int(sum(len(shapely.get_coordinates(g)) for g in simplified)),
    }
    return {"type": "FeatureCollection", "features": out}, stats


def build(
    vintage: str,
    departement: str,
    source: str,
    edition: str,
    package_dir: Path | None,
    output_root: Path = DEFAULT_OUTPUT_ROOT,
    tolerance: float = DEFAULT_TOLERANCE,
    precision: int = DEFAULT_PRECISION,
    build_date: str | None = None,
    data: dict[str, Any] | None = None,
    reference_root: Path | None = None,
    source_url: str | None = None,
    note: str | None = None,
) -> Path:
    folder = (reference_root or output_root) / vintage
    if not (folder / "communes.csv").is_file():
        raise BuildError(f"Pas de référentiel {vintage} dans {folder} (communes.csv).")
    communes = [
        r for r in read_csv(folder / "communes.csv") if r["departement_code"] == departement
    ]
    if not communes:
        raise BuildError(
            f"Aucune commune du département {departement} dans le millésime {vintage}."
        )
    epcis = {r["siren"]: r["name"] for r in read_csv(folder / "epci.csv")}
    mergers = package_mergers(package_dir) if package_dir is not None else {}
    collection, stats = build_collection(
        (data or read_geojson(source))["features"],
        departement,
        communes,
        epcis,
        mergers,
        tolerance,
        precision,
    )
    out = output_root / vintage / "contours"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"
    data_bytes = text.encode("utf-8")
    for old in out.glob(f"{departement}.geojson*"):
        old.unlink()
    target = out / f"{departement}.geojson"
    if len(data_bytes) > GZIP_THRESHOLD:
        target = out / f"{departement}.geojson.gz"
        target.write_bytes(gzip.compress(data_bytes, compresslevel=9, mtime=0))
    else:
        target.write_bytes(data_bytes)

    provenance_path = out / "SOURCE.json"
    provenance: dict[str, Any] = {}
    if provenance_path.is_file():
        provenance = json.loads(provenance_path.read_text(encoding="utf-8"))
    departements = provenance.get("departements", {})
    departements[departement] = {
        "file": target.name,
        "source": source_url or source,
        "edition": edition,
        **({"note": note} if note else {}),
        "license": LICENCE,
        "simplification": "shapely.coverage_simplify (GEOS), topologie de la couverture préservée",
        "tolerance_degrees": tolerance,
        "precision_decimals": precision,
        "built_on": build_date or dt.date.today().isoformat(),
        "builder": "scripts/build_contours.py",
        "bytes": len(data_bytes),
        "bytes_shipped": target.stat().st_size,
        **stats,
    }
    provenance = {
        "vintage": vintage,
        "coordinates": "WGS84 (EPSG:4326), longitude puis latitude",
        "departements": dict(sorted(departements.items())),
    }
    provenance_path.write_text(
        json.dumps(provenance, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Construit les contours simplifiés des communes et EPCI d'un département "
        "pour un millésime du référentiel."
    )
    parser.add_argument("--vintage", required=True, help="millésime (2021, 2026)")
    parser.add_argument("--departement", required=True, help="code du département (63, 68)")
    parser.add_argument(
        "--source",
        default=None,
        help="fichier ou URL GeoJSON des communes (par défaut, celui d'Etalab du millésime)",
    )
    parser.add_argument("--edition", default=None, help="édition de la source, pour SOURCE.json")
    parser.add_argument(
        "--source-url",
        default=None,
        help="adresse publique du fichier donné par --source (inscrite dans SOURCE.json)",
    )
    parser.add_argument("--note", default=None, help="remarque inscrite dans SOURCE.json")
    parser.add_argument(
        "--package-dir",
        type=Path,
        default=None,
        help="dossier « package » de @etalab/decoupage-administratif (communes fusionnées)",
    )
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    parser.add_argument("--precision", type=int, default=DEFAULT_PRECISION)
    parser.add_argument("--output-root", type=Path, default=DEFAULT_OUTPUT_ROOT)
    parser.add_argument(
        "--reference-root",
        type=Path,
        default=None,
        help="dossier des millésimes du référentiel (par défaut, celui de --output-root)",
    )
    parser.add_argument("--build-date", default=None, help="date ISO inscrite dans SOURCE.json")
    args = parser.parse_args(argv)
    source = args.source or ETALAB_URL.format(year=args.vintage)
    edition = args.edition or ETALAB_EDITION.format(year=args.vintage)
    try:
        target = build(
            args.vintage,
            args.departement,
            source,
            edition,
            args.package_dir,
            args.output_root,
            args.tolerance,
            args.precision,
            args.build_date,
            reference_root=args.reference_root,
            source_url=args.source_url,
            note=args.note,
        )
    except BuildError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    info = json.loads((target.parent / "SOURCE.json").read_text(encoding="utf-8"))
    entry = info["departements"][args.departement]
    print(
        f"{target} : {entry['communes']} communes, {entry['epci']} EPCI, "
        f"{entry['bytes']} octets ; fusions : {entry['merged_former_communes']}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
