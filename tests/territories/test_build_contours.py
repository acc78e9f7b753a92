"""scripts/build_contours.py on a tiny synthetic département: two square communes side by side
and a former commune merged since into the second; one EPCI of both."""

import csv
import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_contours.py"


def load_script():
    spec = importlib.util.spec_from_file_location("build_contours", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def square(x, y, side=0.1):
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]],
    }


def feature(code, geometry):
    return {"type": "Feature", "properties": {"code": code, "nom": code}, "geometry": geometry}


@pytest.fixture
def sources(tmp_path):
    """The synthetic source, the reference vintage (communes.csv, epci.csv) and a package whose
    communes.json says 99003 is now a commune déléguée of 99002."""
    source = tmp_path / "communes.geojson"
    features = [
        feature("99001", square(3.0, 45.0)),
        feature("99002", square(3.1, 45.0)),
        feature("99003", square(3.1, 45.1)),  # the former commune, north of 99002
        feature("98001", square(5.0, 45.0)),  # another département: left out
    ]
    source.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    reference = tmp_path / "reference" / "2026"
    reference.mkdir(parents=True)
    columns = ["insee_code", "name", "departement_code", "epci_siren"]
    with (reference / "communes.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerow(["99001", "Une", "99", "200000001"])
        w.writerow(["99002", "Deux-Nouvelle", "99", "200000001"])
        w.writerow(["98001", "Ailleurs", "98", ""])
    with (reference / "epci.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["siren", "name"], ["200000001", "CC des Carrés"]])
    package = tmp_path / "package"
    (package / "data").mkdir(parents=True)
    (package / "data" / "communes.json").write_text(
        json.dumps(
            [
                {"code": "99002", "nom": "Deux-Nouvelle", "type": "commune-actuelle"},
                {"code": "99003", "nom": "Trois", "type": "commune-deleguee", "chefLieu": "99002"},
            ]
        )
    )
    return source, tmp_path / "reference", package, tmp_path / "out"


def run(sources, *extra):
    source, reference, _, out = sources
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--vintage", "2026", "--departement", "99",
         "--source", str(source), "--reference-root", str(reference), "--output-root", str(out),
         "--build-date", "2026-12-01", *extra],
        capture_output=True, text=True,
    )  # fmt: skip


def test_the_former_commune_is_unioned_and_the_epci_is_the_union_of_its_members(sources):
    done = run(sources, "--package-dir", str(sources[2]), "--edition", "synthétique")
    assert done.returncode == 0, done.stderr
    out = sources[3] / "2026" / "contours"
    data = json.loads((out / "99.geojson").read_text())
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    assert set(by_code) == {"99001", "99002", "200000001"}
    assert by_code["99002"]["properties"] == {
        "kind": "commune",
        "code": "99002",
        "name": "Deux-Nouvelle",
    }
    merged = shape(by_code["99002"]["geometry"])
    assert merged.area == pytest.approx(0.02)  # its own square and the former commune's
    assert merged.geom_type == "Polygon"  # one piece: the shared edge is gone
    epci = shape(by_code["200000001"]["geometry"])
    assert by_code["200000001"]["properties"]["kind"] == "epci"
    assert epci.area == pytest.approx(0.03) and epci.geom_type == "Polygon"
    assert shapely.equals(epci, shapely.union_all([shape(square(3.0, 45.0)), merged]))
    source = json.loads((out / "SOURCE.json").read_text())
    assert source["vintage"] == "2026"
    entry = source["departements"]["99"]
    assert entry["merged_former_communes"] == {"99003": "99002"}
    assert entry["communes"] == 2 and entry["epci"] == 1
    assert entry["edition"] == "synthétique" and entry["built_on"] == "2026-12-01"
    assert entry["source"] == str(sources[0]) and entry["tolerance_degrees"] == 0.005
    assert entry["builder"] == "scripts/build_contours.py" and entry["file"] == "99.geojson"


def test_coordinates_are_rounded_to_the_precision(sources):
    assert run(sources, "--package-dir", str(sources[2]), "--precision", "1").returncode == 0
    text = (sources[3] / "2026" / "contours" / "99.geojson").read_text()
    data = json.loads(text)
    coords = shapely.get_coordinates(shape(data["features"][0]["geometry"]))
    assert all(round(c, 1) == c for c in coords.flatten())


def test_a_former_commune_without_a_known_merger_stops_the_build(sources):
    done = run(sources)  # no package: 99003 maps to nothing
    assert done.returncode == 1
    assert "99003" in done.stderr and "--package-dir" in done.stderr
    assert not (sources[3] / "2026" / "contours" / "99.geojson").exists()


def test_a_commune_of_the_vintage_without_a_contour_stops_the_build(sources):
    module = load_script()
    communes = [
        {"insee_code": "99001", "name": "Une", "epci_siren": ""},
        {"insee_code": "99004", "name": "Sans contour", "epci_siren": ""},
    ]
    with pytest.raises(module.BuildError, match="99004"):
        module.build_collection([feature("99001", square(3, 45))], "99", communes, {}, {})


def test_a_big_file_is_written_gzipped(sources, monkeypatch):
    module = load_script()
    monkeypatch.setattr(module, "GZIP_THRESHOLD", 100)
    source, reference, package, out = sources
    target = module.build(
        "2026", "99", str(source), "synthétique", package, out, reference_root=reference
    )
    assert target.name == "99.geojson.gz"
    assert json.loads(gzip.decompress(target.read_bytes()))["type"] == "FeatureCollection"
    source_json = json.loads((target.parent / "SOURCE.json").read_text())
    assert source_json["departements"]["99"]["bytes_shipped"] == target.stat().st_size


def test_the_overseas_and_corsican_codes_find_their_departement():
    module = load_script()
    assert module.in_departement("97411", "974") and not module.in_departement("97411", "97")
    assert module.in_departement("2A004", "2A") and module.in_departement("63001", "63")
    assert not module.in_departement("63001", "6")
