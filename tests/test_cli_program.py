"""The `guichet program` contract: other tools call it. In-process (the console script's own
code) and once through the installed script, reading stdin; no database is needed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guichet.cli import main

INSTANCE = {
    "envelopes": {"2021": 20000, "2022": 15000},
    "priority_small": 1.5,
    "dossiers": [
        {"id": "A", "amount": 20000, "score": 10, "small": False, "arrondissement": "631"},
        {"id": "B", "amount": 10000, "score": 9, "small": False, "arrondissement": "632"},
        {"id": "C", "amount": 10000, "score": 8, "small": False},
        {"id": "D", "amount": 15000, "score": 9.5, "small": False, "label": "Dallet"},
        {"id": "E", "amount": 5000, "score": 2, "small": True},
        {"id": "F", "amount": 30000, "score": 20},
        {"id": "G", "amount": 5000, "score": 10},
        {"id": "H", "amount": 4999.99, "score": 0.5, "years": [2022]},
    ],
    "pinned": ["H"],
    "excluded": ["G"],
}


def run(capsys, tmp_path, instance, *args):
    path = tmp_path / "instance.json"
    path.write_text(instance if isinstance(instance, str) else json.dumps(instance), "utf-8")
    code = main(["program", "--instance", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def program(capsys, tmp_path, instance, *args):
    code, out, err = run(capsys, tmp_path, instance, "--json", *args)
    assert code == 0, err
    assert err == ""
    return json.loads(out)


def test_the_output_contract(capsys, tmp_path):
    answer = program(capsys, tmp_path, INSTANCE)
    assert list(answer)[:4] == ["objective", "optimal", "selected", "left"]
    assert isinstance(answer["objective"], int | float)
    assert answer["optimal"] is True
    assert all(set(s) == {"id", "year"} for s in answer["selected"])
    assert all(isinstance(s["id"], str) and isinstance(s["year"], int) for s in answer["selected"])
    assert set(answer["left"]) == {"2021", "2022"}
    assert all(isinstance(v, int | float) for v in answer["left"].values())
    # H (pinned, 2022 only) leaves 10 000,01 € in 2022: B goes there, D and E (3 with the
    # priority) fill 2021; B and C in 2021 would leave only E for 2022 (20,5).
    assert answer["objective"] == 9.5 + 3 + 9 + 0.5
    assert answer["selected"] == [
        {"id": "B", "year": 2022},
        {"id": "D", "year": 2021},
        {"id": "E", "year": 2021},
        {"id": "H", "year": 2022},
    ]
    assert answer["left"] == {"2021": 0, "2022": 0.01}


def test_the_keys_after_the_contract(capsys, tmp_path):
    answer = program(capsys, tmp_path, INSTANCE)
    assert answer["objective_exact"] == "22"
    assert answer["greedy"] == {
        "objective": 19.5,
        "selected": [
            {"id": "A", "year": 2021},
            {"id": "B", "year": 2022},
            {"id": "H", "year": 2022},
        ],
        "left": {"2021": 0, "2022": 0.01},
    }
    assert answer["gain_over_greedy"] == 2.5
    reasons = {r["id"]: r for r in answer["reasons"]}
    assert set(reasons) == {"A", "C", "F", "G"}
    assert reasons["A"]["kind"] == "displaces"
    assert reasons["A"]["displaced"] == ["D", "E"]
    assert reasons["A"]["text"].startswith("Le retenir imposerait d'écarter Dallet et E, dont")
    assert reasons["C"]["text"].startswith(
        "Le retenir imposerait d'écarter B, dont la valeur (9) est plus haute que la sienne (8)"
    )
    assert reasons["G"] == {
        "id": "G", "value": 10, "kind": "excluded", "text": "Écarté par le comité.",
        "displaced": [], "added": [], "value_lost": None, "proven": True,
    }  # fmt: skip
    assert [w["id"] for w in answer["waiting_list"]] == ["A", "C"]
    assert answer["waiting_list"][0] == {
        "rank": 1, "id": "A", "value": 10, "amount": 20000, "years": [2021],
    }  # fmt: skip


def test_options(capsys, tmp_path):
    assert program(capsys, tmp_path, INSTANCE, "--no-explain")["reasons"] == []
    assert len(program(capsys, tmp_path, INSTANCE, "--waiting-list", "1")["waiting_list"]) == 1
    assert program(capsys, tmp_path, INSTANCE, "--time-limit", "5")["optimal"] is True


def test_without_optional_keys(capsys, tmp_path):
    answer = program(
        capsys, tmp_path, {"envelopes": {"2021": 10}, "dossiers": [{"id": "X", "amount": 10,
                                                                     "score": 1}]},
    )  # fmt: skip
    assert answer["selected"] == [{"id": "X", "year": 2021}]
    assert answer["left"] == {"2021": 0}
    empty = program(capsys, tmp_path, {"envelopes": {"2021": 10}, "dossiers": []})
    assert (empty["objective"], empty["selected"], empty["left"]) == (0, [], {"2021": 10})


def test_the_human_output_is_french(capsys, tmp_path):
    code, out, err = run(capsys, tmp_path, INSTANCE)
    assert code == 0 and err == ""
    assert out.startswith("Programmation optimale (prouvé) : valeur totale 22, 4 dossiers retenus")
    assert "  2021 : 2 dossiers, reste 0\u00a0€\n    D — 15\u00a0000\u00a0€ (valeur 9,5)" in out
    assert "  2022 : 2 dossiers, reste 0,01\u00a0€" in out
    assert "Classement par note (glouton) : 19,5, soit 2,5 de moins que la proposition." in out
    assert "Liste d'attente :\n  1. A — 20\u00a0000\u00a0€ (valeur 10)" in out


def dossier(**changes):
    d = {"id": "A", "amount": 5000, "score": 3}
    d.update(changes)
    return d


def envelope(*dossiers, **changes):
    data = {"envelopes": {"2021": 148500}, "dossiers": list(dossiers)}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("instance", "words"),
    [
        ('{"envelopes": {"2021": 1}, "dossiers": [', "JSON invalide, ligne 1"),
        ("", "JSON invalide"),
        ('{"envelopes": {"2021": NaN}, "dossiers": []}', "nombre non fini"),
        ('{"envelopes": {"2021": 1}, "dossiers": [], "dossiers": []}', "clé en double dans un objet : dossiers"),
        ("[1, 2]", "la demande doit être un objet JSON"),
        (envelope(budget=3), "(racine) : clé inconnue : budget"),
        (envelope(dossier(cost=4)), "dossiers[0] : clé inconnue : cost"),
        (envelope(dossier(amount=-1)), "dossiers[0].amount : le montant ne peut pas être négatif"),
        (envelope(dossier(amount="5000")), "dossiers[0].amount : le montant doit être un nombre"),
        (envelope(dossier(amount=0.001)), "deux décimales au plus"),
        (envelope(dossier(amount=1e300)), "le montant est trop élevé"),
        (envelope(dossier(), dossier()), "dossiers[1].id : identifiant en double : A"),
        (envelope(dossier(score=None)), "dossiers[0].score : la note doit être un nombre"),
        (envelope(dossier(score=-2)), "la note ne peut pas être négative"),
        (envelope(dossier(years=[2030])), "dossiers[0].years : année 2030 inconnue"),
        (envelope(dossier(), pinned=["Z"]), "pinned : dossier inconnu : Z"),
        (envelope(dossier(), pinned=["A"], excluded=["A"]), "à la fois imposé et écarté : A"),
        (envelope(dossier(amount=200000), pinned=["A"]),
         "pinned : le dossier imposé A (200\u00a0000\u00a0€) ne tient dans aucune enveloppe"),
        (envelope(dossier(amount=100000), dossier(id="B", amount=100000), pinned=["A", "B"]),
         "pinned : les dossiers imposés (A et B, 200\u00a0000\u00a0€ en tout) ne tiennent pas"),
        ({"envelopes": {"2021": -5}, "dossiers": []}, "envelopes.2021 : le montant ne peut pas"),
        ({"envelopes": {"vingt": 5}, "dossiers": []}, "« vingt » n'est pas une année"),
        (envelope(priority_small=0), "priority_small : le poids doit être supérieur à zéro"),
    ],
)  # fmt: skip
def test_malformed_input_exits_2_with_a_french_message(capsys, tmp_path, instance, words):
    code, out, err = run(capsys, tmp_path, instance, "--json")
    assert code == 2
    assert out == ""
    assert err.startswith("guichet : ")
    assert words in err


def test_an_unreadable_file_exits_2(capsys, tmp_path):
    code = main(["program", "--instance", str(tmp_path / "absent.json"), "--json"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("guichet : --instance : fichier illisible (")
    code = main(["program", "--instance", str(tmp_path), "--json"])
    assert code == 2 and "fichier illisible" in capsys.readouterr().err
    (tmp_path / "latin1.json").write_bytes('{"envelopes": {"2021": 1}, "é": 1}'.encode("latin-1"))
    code = main(["program", "--instance", str(tmp_path / "latin1.json"), "--json"])
    assert code == 2 and "fichier illisible (encodage illisible)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["program", "--json"], "arguments obligatoires"),
        (["program", "--instance", "x.json", "--time-limit", "0"], "entre 0 et 3600"),
        (["program", "--instance", "x.json", "--time-limit", "vite"], "entre 0 et 3600"),
        (["program", "--instance", "x.json", "--waiting-list", "-1"], "nombre entier"),
    ],
)
def test_bad_options_exit_2_in_french(capsys, args, words):
    with pytest.raises(SystemExit) as caught:
        main(args)
    assert caught.value.code == 2
    assert words in capsys.readouterr().err


def test_the_console_script_reads_stdin_and_writes_json_only():
    script = Path(sys.executable).parent / "guichet"
    done = subprocess.run(
        [str(script), "program", "--instance", "-", "--json"],
        input=json.dumps(INSTANCE),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == 22
    bad = subprocess.run(
        [str(script), "program", "--instance", "-", "--json"],
        input="{}",
        capture_output=True,
        text=True,
        check=False,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr == "guichet : envelopes : champ obligatoire manquant.\n"
