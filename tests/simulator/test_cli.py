"""The `guichet simulate` contract, called in-process (same code as the console script)."""

import json
import subprocess
import sys

import pytest

from guichet.cli import main

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main(["simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def simulate(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_billom_8000_gets_5000(capsys):
    result = simulate(capsys, "--applicant", "commune:63040", "--cost", "8000")
    assert result["eligible"] is True
    assert result["amount"] == 5000
    assert result["flat_amount"] == 5000
    assert result["applicant"] == {
        "name": "Billom",
        "kind": "commune",
        "code": "63040",
        "population": 4777,
        "population_vintage": "2021",
    }
    statuses = {c["rule"]: c["status"] for c in result["checks"]}
    assert statuses["ELIG-KIND"] == "passed"
    assert statuses["DEADLINE"] == "not_evaluated"
    assert all(c["message"] for c in result["checks"])


def test_clermont_12000_gets_10000(capsys):
    result = simulate(capsys, "--applicant", "commune:63113", "--cost", "12000")
    assert (result["amount"], result["flat_amount"]) == (10000, 10000)


def test_metropole_gets_20000_within_cost(capsys):
    result = simulate(capsys, "--applicant", "epci:246300701", "--cost", "15000,50")
    assert result["applicant"]["kind"] == "metropole"
    assert result["flat_amount"] == 20000
    assert result["amount"] == 15000.5


def test_commune_of_another_departement(capsys):
    result = simulate(capsys, "--applicant", "commune:03310", "--cost", "8000")
    assert result["eligible"] is False
    assert result["amount"] == 0
    failed = [c for c in result["checks"] if c["status"] == "failed"]
    assert [c["rule"] for c in failed] == ["ELIG-TERRITORY"]


def test_association_is_valid_input_and_not_eligible(capsys):
    result = simulate(capsys, "--applicant", "association:W632000001", "--cost", "8000")
    assert result["eligible"] is False
    assert result["applicant"]["kind"] == "association"
    assert any(c["rule"] == "ELIG-KIND" and c["status"] == "failed" for c in result["checks"])


def test_deadline_and_engagement_boundaries(capsys):
    on_time = simulate(
        capsys, "--applicant", "commune:63040", "--cost", "8000",
        "--submitted-at", "2021-06-30T23:59:59+02:00", "--engaged-on", "2021-12-31",
    )  # fmt: skip
    assert on_time["eligible"] and on_time["session"] == "2021-07-07"
    late = simulate(
        capsys, "--applicant", "commune:63040", "--cost", "8000",
        "--submitted-at", "2021-07-01T00:00:00+02:00",
    )  # fmt: skip
    assert not late["eligible"]
    engaged_late = simulate(
        capsys, "--applicant", "commune:63040", "--cost", "8000", "--engaged-on", "2022-01-01"
    )
    assert not engaged_late["eligible"]


def test_partners_and_other_call(capsys):
    joint = simulate(
        capsys, "--applicant", "commune:63040", "--cost", "8000", "--partner", "commune:63113"
    )
    assert joint["eligible"] and joint["amount"] == 5000
    colmar = simulate(
        capsys, "--applicant", "commune:68066", "--cost", "12000",
        "--call", "fitn7-axe3-haut-rhin-2021",
    )  # fmt: skip
    assert colmar["eligible"] and colmar["amount"] == 10000


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--applicant", "commune:99999", "--cost", "8000"], "Aucune commune de code INSEE 99999"),
        (["--applicant", "commune:abc", "--cost", "8000"], "code INSEE"),
        (["--applicant", "63040", "--cost", "8000"], "TYPE:CODE"),
        (["--applicant", "commune:63040", "--cost", "-5"], "négatif"),
        (["--applicant", "commune:63040", "--cost", "0"], "supérieur à zéro"),
        (["--applicant", "commune:63040", "--cost", "huit mille"], "montant"),
        (["--applicant", "commune:63040", "--cost", "nan"], "montant"),
        (
            ["--applicant", "commune:63040", "--cost", "8000", "--engaged-on", "2021-02-30"],
            "pas une date qui existe",
        ),
        (["--applicant", "commune:63040", "--cost", "8000", "--submitted-at", "hier"], "ISO 8601"),
        (["--applicant", "commune:63040", "--cost", "8000", "--category", "4"], "1, 2 ou 3"),
        (["--applicant", "commune:63040", "--cost", "8000", "--call", "nulle-part"], "Aucun appel"),
        (["--applicant", "epci:12", "--cost", "8000"], "SIREN"),
        # Amounts whose cents need more digits than Decimal holds: refused, not a traceback.
        (
            ["--applicant", "commune:63040", "--cost", "1e26"],
            "--cost : Coût du projet : Le montant est trop élevé.",
        ),
        (["--applicant", "commune:63040", "--cost", "9" * 27], "trop élevé"),
        (["--applicant", "commune:63040", "--cost", "1e-30"], "deux décimales"),
        (["--applicant", "commune:63040", "--cost", "٨٠٠٠"], "chiffres (0 à 9)"),
        (["--applicant", "commune:٦٣٠٤٠", "--cost", "8000"], "code INSEE"),
        # Offsets that move the moment out of the calendar once converted.
        (
            [
                "--applicant",
                "commune:63040",
                "--cost",
                "8000",
                "--submitted-at",
                "0001-01-01T00:00:00+14:00",
            ],
            "--submitted-at : « 0001-01-01T00:00:00+14:00 » : l’année doit être comprise entre",
        ),
        (
            [
                "--applicant",
                "commune:63040",
                "--cost",
                "8000",
                "--submitted-at",
                "9999-12-31T23:59:59-14:00",
            ],
            "l’année doit être comprise entre 1900 et 2200",
        ),
        (
            ["--applicant", "commune:63040", "--cost", "8000", "--engaged-on", "0001-01-01"],
            "l’année doit être comprise entre 1900 et 2200",
        ),
    ],
)
def test_malformed_input_exits_2_with_a_french_message(capsys, args, words):
    code, out, err = run(capsys, *args, "--json")
    assert code == 2
    assert out == ""
    assert words in err


def test_missing_arguments_exit_2_in_french(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["simulate", "--cost", "8000", "--json"])
    assert caught.value.code == 2
    assert "arguments obligatoires" in capsys.readouterr().err


def test_console_script_is_installed():
    """The console script exists in the virtual environment and answers --help."""
    script = __import__("pathlib").Path(sys.executable).parent / "guichet"
    done = subprocess.run([str(script), "simulate", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "--applicant" in done.stdout
