"""The mapping file: its keys, its values, its errors in French with the dotted key."""

import pytest

from guichet.ds import mapping
from guichet.ds.mapping import MappingError

BASE = {"collectivity": {"label": "Commune"}, "cost": {"label": "Coût total du projet (HT)"}}


def test_the_shipped_mapping_loads_with_the_call_s_categories():
    loaded = mapping.load(categories={"1", "2", "3"})
    assert loaded.entries["collectivity"].label == "Commune"
    assert loaded.entries["category"].values["Formation des agents au numérique"] == "2"
    assert set(loaded.pieces) == {"quote", "deliberation", "bank_details"}


def test_a_champ_by_id_and_a_short_label():
    loaded = mapping.parse({**BASE, "title": "Intitulé", "summary": {"id": "Q2hhbXAtMTI="}})
    assert loaded.entries["title"].label == "Intitulé"
    assert loaded.entries["summary"].id == "Q2hhbXAtMTI="
    assert loaded.entries["summary"].name == "d’identifiant Q2hhbXAtMTI="


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({**BASE, "couleur": {"label": "X"}}, "couleur", "clé inconnue"),
        ({"cost": {"label": "C"}}, "collectivity", "obligatoire"),
        ({**BASE, "pieces": {"photo": {"label": "P"}}}, "pieces.photo", "nature de pièce inconnue"),
        ({**BASE, "title": {"label": "T", "id": "x"}}, "title", "l’un des deux"),
        ({**BASE, "title": {}}, "title", "l’un des deux"),
        ({**BASE, "title": {"label": "T", "couleur": 1}}, "title.couleur", "clé inconnue"),
        ({**BASE, "title": {"label": " "}}, "title.label", "texte non vide"),
        ({**BASE, "title": {"label": "T", "optional": "oui"}}, "title.optional", "true ou false"),
        ({**BASE, "cost": {"label": "C", "optional": True}}, "cost.optional", "obligatoire"),
        ({**BASE, "category": {"label": "Cat"}}, "category.values", "correspondance"),
        (
            {**BASE, "category": {"label": "Cat", "values": ["a"]}},
            "category.values",
            "correspondance",
        ),
        (
            {**BASE, "category": {"label": "Cat", "values": {"A": ""}}},
            "category.values.A",
            "code de guichet",
        ),
        (
            {**BASE, "category": {"label": "Cat", "values": {"A": "9"}}},
            "category.values.A",
            "inconnu de l’appel",
        ),
        (
            {**BASE, "title": {"label": "T", "values": {"a": "b"}}},
            "title.values",
            "seul un champ à choix",
        ),
        ({**BASE, "title": {"demandeur": True}}, "title.demandeur", "seuls"),
    ],
)
def test_errors_name_the_key(data, key, words):
    with pytest.raises(MappingError) as exc:
        mapping.parse(data, categories={"1", "2", "3"})
    assert exc.value.key == key
    assert f"clé « {key} »" in str(exc.value) and words in str(exc.value)


def test_a_file_that_is_not_yaml_or_not_a_dictionary(tmp_path):
    broken = tmp_path / "m.yaml"
    broken.write_text("collectivity: [\n")
    with pytest.raises(MappingError, match="n’est pas du YAML valide"):
        mapping.load(broken)
    broken.write_text("- a\n- b\n")
    with pytest.raises(MappingError, match="doit être un dictionnaire"):
        mapping.load(broken)


def test_the_collectivity_may_come_from_the_demandeur():
    loaded = mapping.parse({**BASE, "collectivity": {"demandeur": True}})
    assert loaded.entries["collectivity"].demandeur


def test_an_unknown_entry_key_lists_every_possible_one_demandeur_included():
    with pytest.raises(MappingError) as error:
        mapping.parse({**BASE, "siret": {"label": "SIRET", "facultatif": True}})
    assert str(error.value).endswith(
        "clé « siret.facultatif » : clé inconnue ; clés possibles : label, id, optional, values, "
        "demandeur."
    )
