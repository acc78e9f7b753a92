"""scripts/build_reference_data.py rebuilds exactly the shipped files."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from guichet.territories.loader import DATA_DIR

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_reference_data.py"
VERSIONS = {"2021": "1.1.1", "2026": "6.0.0"}


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """The npm packages the shipped files come from, fetched with `npm pack` (npm registry).

    Without npm (a machine with only Python), the rebuild cannot be checked and the tests say so;
    in CI (CI=true) that is a failure, never a silent skip.
    """
    if shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("npm est requis en CI pour vérifier la reconstruction du référentiel.")
        # Skip only off CI: a developer machine with Python alone has no npm to fetch the source
        # package, so the rebuild cannot be compared there; CI has npm and fails above instead.
        pytest.skip(
            "npm absent : la reconstruction du référentiel depuis le paquet npm n'est pas vérifiable ici"
        )
    root = tmp_path_factory.mktemp("npm")
    found = {}
    for vintage, version in VERSIONS.items():
        spec = f"@etalab/decoupage-administratif@{version}"
        done = subprocess.run(
            ["npm", "pack", spec, "--silent"], cwd=root, capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.fail(f"npm pack {spec} a échoué : {done.stderr.strip()}")
        with tarfile.open(root / done.stdout.strip().splitlines()[-1]) as tar:
            tar.extractall(root / version, filter="data")
        found[vintage] = root / version / "package"
    return found


def build(vintage: str, out: Path, packages: dict[str, Path]) -> None:
    shipped = json.loads((DATA_DIR / vintage / "SOURCE.json").read_text(encoding="utf-8"))
    cmd = [
        sys.executable,
        str(SCRIPT),
        "--vintage",
        vintage,
        "--package-dir",
        str(packages[vintage]),
        "--output-root",
        str(out),
        "--build-date",
        shipped["built_on"],
    ]
    if vintage == "2021":
        cmd += ["--siren-fallback", str(packages["2026"])]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@pytest.mark.parametrize("vintage", ["2021", "2026"])
def test_build_script_reproduces_the_shipped_files(vintage, tmp_path, packages):
    build(vintage, tmp_path, packages)
    # Files only: contours/ is built by scripts/build_contours.py (tests/territories/test_contours.py).
    shipped = sorted(p.name for p in (DATA_DIR / vintage).iterdir() if p.is_file())
    rebuilt = sorted(p.name for p in (tmp_path / vintage).iterdir())
    assert rebuilt == shipped
    for name in shipped:
        assert (tmp_path / vintage / name).read_bytes() == (
            DATA_DIR / vintage / name
        ).read_bytes(), name


def test_build_script_refuses_a_wrong_package_version(tmp_path, packages):
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--vintage",
            "2021",
            "--package-dir",
            str(packages["2026"]),
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
