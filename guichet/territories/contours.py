"""The shipped contours of a département's communes and EPCI, and the map drawn from them.

The files (``data/<vintage>/contours/<departement>.geojson``, or ``.geojson.gz``) are built by
``scripts/build_contours.py``, provenance in ``contours/SOURCE.json``. They are read once per
process (``lru_cache``): a département is a few hundred kilobytes of GeoJSON, its base drawing
(every commune outlined) a few tens of kilobytes of path data, kept in memory.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import svgmap

DATA_DIR = Path(__file__).resolve().parent / "data"
MAP_WIDTH = 1000


@dataclass(frozen=True)
class Contours:
    vintage: str
    departement: str
    communes: dict[str, svgmap.Shape]
    epcis: dict[str, svgmap.Shape]
    names: dict[str, str]
    projection: svgmap.Projection
    base: str  # the path data of every commune


def contour_file(vintage: str, departement: str, data_dir: Path = DATA_DIR) -> Path | None:
    folder = data_dir / vintage / "contours"
    for name in (f"{departement}.geojson", f"{departement}.geojson.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _read(path: Path) -> dict[str, Any]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            data: dict[str, Any] = json.load(f)
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    return data


def read(path: Path, vintage: str, departement: str) -> Contours:
    communes: dict[str, svgmap.Shape] = {}
    epcis: dict[str, svgmap.Shape] = {}
    names: dict[str, str] = {}
    for feature in _read(path)["features"]:
        props = feature["properties"]
        shape = svgmap.shape_of(feature["geometry"])
        (epcis if props["kind"] == "epci" else communes)[props["code"]] = shape
        names[props["code"]] = props["name"]
    projection = svgmap.fit(communes.values(), width=MAP_WIDTH)
    base = "".join(svgmap.path_data(s, projection) for s in communes.values())
    return Contours(vintage, departement, communes, epcis, names, projection, base)


@lru_cache(maxsize=16)
def load(vintage: str, departement: str) -> Contours | None:
    """The département's contours in the vintage, or None when none is shipped."""
    path = contour_file(vintage, departement)
    return read(path, vintage, departement) if path is not None else None


@dataclass(frozen=True)
class Mark:
    """A beneficiary drawn on the map: its shape's path and the title read out for it."""

    kind: str  # « commune » or « epci »
    code: str
    title: str
    d: str


@dataclass(frozen=True)
class MapDrawing:
    width: int
    height: int
    base: str
    communes: list[Mark]
    epcis: list[Mark]
    missing: list[str]  # the beneficiaries that have no shape on this map (their titles)


def draw(contours: Contours, beneficiaries: Iterable[tuple[str, str, str]]) -> MapDrawing:
    """The map with the beneficiaries (kind, code, title) marked: a commune by its contour, an
    EPCI (or a métropole) by the union of its communes. A beneficiary without a contour here (a
    département, a region, a code of another département) is listed in ``missing``."""
    communes: list[Mark] = []
    epcis: list[Mark] = []
    missing: list[str] = []
    for kind, code, title in beneficiaries:
        if kind == "commune" and code in contours.communes:
            shape, into, drawn = contours.communes[code], communes, "commune"
        elif code in contours.epcis:
            shape, into, drawn = contours.epcis[code], epcis, "epci"
        else:
            missing.append(title)
            continue
        into.append(Mark(drawn, code, title, svgmap.path_data(shape, contours.projection)))
    p = contours.projection
    return MapDrawing(p.width, p.height, contours.base, communes, epcis, missing)
