"""The shipped contours (data/<vintage>/contours/) and the map drawn from them."""

import csv
import gzip
import json
from pathlib import Path

import pytest

from guichet.territories import contours
from guichet.territories.loader import DATA_DIR

SHIPPED = [(v, d) for v in ("2021", "2026") for d in ("63", "68")]


def vintage_rows(vintage, stem):
    with (DATA_DIR / vintage / f"{stem}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(("vintage", "departement"), SHIPPED)
def test_every_commune_and_epci_of_the_shipped_vintages_has_a_contour(vintage, departement):
    shapes = contours.load(vintage, departement)
    assert shapes is not None
    communes = [
        r for r in vintage_rows(vintage, "communes") if r["departement_code"] == departement
    ]
    assert set(shapes.communes) == {r["insee_code"] for r in communes}
    assert set(shapes.epcis) == {r["epci_siren"] for r in communes if r["epci_siren"]}
    for code in shapes.communes:
        assert shapes.names[code]
        assert contours.svgmap.path_data(shapes.communes[code], shapes.projection), code


@pytest.mark.parametrize(("vintage", "departement"), SHIPPED)
def test_the_shipped_files_are_small_and_say_where_they_come_from(vintage, departement):
    path = contours.contour_file(vintage, departement)
    assert path is not None and path.stat().st_size < 150_000
    source = json.loads((path.parent / "SOURCE.json").read_text(encoding="utf-8"))
    entry = source["departements"][departement]
    assert entry["file"] == path.name
    assert "édition 2018" in entry["edition"] and "injoignable" in entry["note"]
    assert entry["builder"] == "scripts/build_contours.py"
    assert entry["tolerance_degrees"] > 0 and entry["license"].startswith("Licence Ouverte")


def test_the_former_communes_were_unioned_into_their_commune_nouvelle():
    merged = json.loads((DATA_DIR / "2026" / "contours" / "SOURCE.json").read_text())
    assert merged["departements"]["63"]["merged_former_communes"] == {
        "63078": "63448",  # Chaméane into Le Vernet-Chaméane
        "63127": "63335",  # Creste into Saint-Diéry
        "63133": "63226",  # Dallet into Mur-sur-Allier
        "63330": "63109",  # Saint-Cirgues-sur-Couze into Les Deux-Rives (2026 only)
    }
    older = json.loads((DATA_DIR / "2021" / "contours" / "SOURCE.json").read_text())
    assert "63330" not in older["departements"]["63"]["merged_former_communes"]


def test_contours_are_read_once_per_process():
    assert contours.load("2026", "63") is contours.load("2026", "63")


def test_a_departement_without_contours_has_none():
    assert contours.contour_file("2026", "75") is None
    assert contours.load("2026", "75") is None


def tiny(tmp_path: Path, packed: bool = False) -> Path:
    square = {
        "type": "Polygon",
        "coordinates": [[[3, 45], [3.1, 45], [3.1, 45.1], [3, 45.1], [3, 45]]],
    }
    other = {"type": "Polygon", "coordinates": [[[3.1, 45], [3.2, 45], [3.2, 45.1], [3.1, 45]]]}
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"kind": "commune", "code": "63001", "name": "Une"}, "geometry": square},
            {"type": "Feature", "properties": {"kind": "commune", "code": "63002", "name": "Deux"}, "geometry": other},
            {"type": "Feature", "properties": {"kind": "epci", "code": "200000001", "name": "CC Test"}, "geometry": square},
        ],
    }  # fmt: skip
    folder = tmp_path / "2026" / "contours"
    folder.mkdir(parents=True)
    text = json.dumps(data)
    if packed:
        path = folder / "99.geojson.gz"
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path = folder / "99.geojson"
        path.write_text(text)
    return path


@pytest.mark.parametrize("packed", [False, True])
def test_a_file_plain_or_gzipped_is_read_into_communes_epci_and_a_base_drawing(tmp_path, packed):
    path = tiny(tmp_path, packed)
    assert contours.contour_file("2026", "99", data_dir=tmp_path) == path
    shapes = contours.read(path, "2026", "99")
    assert set(shapes.communes) == {"63001", "63002"} and set(shapes.epcis) == {"200000001"}
    assert shapes.base.count("M") == 2  # every commune, not the EPCI
    assert shapes.projection.width == contours.MAP_WIDTH


def test_the_drawing_marks_communes_and_epci_and_lists_who_has_no_contour(tmp_path):
    shapes = contours.read(tiny(tmp_path), "2026", "99")
    drawing = contours.draw(
        shapes,
        [
            ("commune", "63002", "Deux : 5 000 €"),
            ("epci", "200000001", "CC Test : 8 000 €"),
            ("metropole", "200000001", "La même, en métropole"),
            ("departement", "63", "Département : 9 000 €"),
            ("commune", "68001", "Ailleurs : 1 000 €"),
        ],
    )
    assert [(m.code, m.title) for m in drawing.communes] == [("63002", "Deux : 5 000 €")]
    assert [m.code for m in drawing.epcis] == ["200000001", "200000001"]
    assert drawing.missing == ["Département : 9 000 €", "Ailleurs : 1 000 €"]
    assert drawing.communes[0].d.startswith("M") and drawing.base == shapes.base
