"""scripts/build_reference_data.py rebuilds exactly the shipped files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guichet.territories.loader import DATA_DIR

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_reference_data.py"
NPMDATA = Path("/tmp/npmdata")
PACKAGES = {"2021": NPMDATA / "1.1.1" / "package", "2026": NPMDATA / "6.0.0" / "package"}


def build(vintage: str, out: Path) -> None:
    shipped = json.loads((DATA_DIR / vintage / "SOURCE.json").read_text(encoding="utf-8"))
    cmd = [
        sys.executable,
        str(SCRIPT),
        "--vintage",
        vintage,
        "--package-dir",
        str(PACKAGES[vintage]),
        "--output-root",
        str(out),
        "--build-date",
        shipped["built_on"],
    ]
    if vintage == "2021":
        cmd += ["--siren-fallback", str(PACKAGES["2026"])]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@pytest.mark.skipif(
    not all(p.is_dir() for p in PACKAGES.values()),
    reason="paquets npm absents de /tmp/npmdata : voir la docstring de "
    "scripts/build_reference_data.py (npm pack @etalab/decoupage-administratif@1.1.1 et @6.0.0)",
)
@pytest.mark.parametrize("vintage", ["2021", "2026"])
def test_build_script_reproduces_the_shipped_files(vintage, tmp_path):
    build(vintage, tmp_path)
    shipped = sorted(p.name for p in (DATA_DIR / vintage).iterdir())
    rebuilt = sorted(p.name for p in (tmp_path / vintage).iterdir())
    assert rebuilt == shipped
    for name in shipped:
        assert (tmp_path / vintage / name).read_bytes() == (
            DATA_DIR / vintage / name
        ).read_bytes(), name


def test_build_script_refuses_a_wrong_package_version(tmp_path):
    if not PACKAGES["2026"].is_dir():
        pytest.skip("paquet npm 6.0.0 absent de /tmp/npmdata")
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--vintage",
            "2021",
            "--package-dir",
            str(PACKAGES["2026"]),
            "--output-root",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "se construit avec @etalab/decoupage-administratif@1.1.1" in result.stderr


def test_shipped_files_stay_small():
    for vintage in ("2021", "2026"):
        size = sum(p.stat().st_size for p in (DATA_DIR / vintage).iterdir())
        assert size < 4_500_000
