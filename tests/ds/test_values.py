"""From a DS dossier's champs to guichet's values: each kind of champ, each refusal in French."""

import datetime as dt
from decimal import Decimal

import pytest

from guichet.calls.models import Call
from guichet.ds import mapping
from guichet.ds.values import DossierRefused, map_dossier
from tests.dossiers.factories import REAL_CALL

from .fake_ds import _champ, commune, date, text

pytestmark = pytest.mark.django_db

BILLOM_SIRET = "21630040000019"
METROPOLE_SIRET = "24630070100017"


def node(*champs, demandeur=None):
    return {
        "number": 1,
        "champs": list(champs),
        "demandeur": demandeur or {"__typename": "PersonnePhysique"},
    }


def siret_champ(label, siret):
    return _champ("SiretChamp", label, siret, etablissement={"siret": siret})


def epci_champ(label, code, name):
    return _champ("EpciChamp", label, name, epci={"code": code, "name": name})


def mapped(data, *champs, demandeur=None):
    call = Call.objects.get(slug=REAL_CALL)
    return map_dossier(node(*champs, demandeur=demandeur), mapping.parse(data), call)


COST = text("Coût", "12000")
BASE = {"collectivity": "Porteur", "cost": "Coût"}


def test_a_commune_champ_gives_its_insee_code():
    m = mapped(BASE, commune("Porteur", "63040", "Billom"), COST)
    assert (m.applicant_kind, m.applicant_code, m.cost, m.cost_incl_vat) == (
        "commune",
        "63040",
        Decimal("12000.00"),
        Decimal("12000.00"),
    )


def test_an_epci_champ_gives_its_siren_and_a_metropole_is_one():
    assert (
        mapped(BASE, epci_champ("Porteur", "200067627", "CC Billom"), COST).applicant_kind == "epci"
    )
    m = mapped(BASE, epci_champ("Porteur", "246300701", "Clermont"), COST)
    assert (m.applicant_kind, m.applicant_code) == ("metropole", "246300701")


def test_a_siret_champ_finds_the_commune_by_its_siren_and_keeps_the_siret():
    m = mapped(BASE, siret_champ("Porteur", BILLOM_SIRET), COST)
    assert (m.applicant_kind, m.applicant_code, m.fields["siret"]) == (
        "commune",
        "63040",
        BILLOM_SIRET,
    )
    m = mapped(BASE, siret_champ("Porteur", METROPOLE_SIRET), COST)
    assert (m.applicant_kind, m.applicant_code) == ("metropole", "246300701")


def test_the_demandeur_s_siret_may_give_the_collectivity():
    m = mapped(
        {**BASE, "collectivity": {"demandeur": True}}, COST,
        demandeur={"__typename": "PersonneMorale", "siret": BILLOM_SIRET},
    )  # fmt: skip
    assert (m.applicant_code, m.fields["siret"]) == ("63040", BILLOM_SIRET)
    with pytest.raises(DossierRefused, match="n’est pas une personne morale"):
        mapped({**BASE, "collectivity": {"demandeur": True}}, COST)


def test_a_text_champ_holding_an_insee_code():
    assert mapped(BASE, text("Porteur", "63040"), COST).applicant_code == "63040"


@pytest.mark.parametrize(
    ("champ", "words"),
    [
        (siret_champ("Porteur", "21630040000014"), "Ce SIRET n’existe pas"),
        (
            siret_champ("Porteur", "44306184100047"),
            "aucune commune ni aucun EPCI du référentiel 2021 n’a le SIREN 443061841",
        ),
        (commune("Porteur", "99999", "Nulle-Part"), "99999"),
        (text("Porteur", "bonjour"), "aucune commune, aucun EPCI ni SIRET"),
    ],
)
def test_a_collectivity_that_cannot_be_found_names_the_champ(champ, words):
    with pytest.raises(DossierRefused) as exc:
        mapped(BASE, champ, COST)
    assert "« Porteur »" in str(exc.value) and words in str(exc.value)


def test_a_siret_of_another_collectivity_is_refused():
    with pytest.raises(DossierRefused, match="doit commencer par son SIREN"):
        mapped({**BASE, "siret": "SIRET"}, commune("Porteur", "63040", "Billom"), COST,
               siret_champ("SIRET", METROPOLE_SIRET))  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("12000", "12000.00"),
        ("12000.5", "12000.50"),
        ("12 000,50", "12000.50"),
        ("12 000 €", "12000.00"),
    ],
)
def test_amounts_as_ds_and_people_write_them(typed, amount):
    assert mapped(BASE, commune("Porteur", "63040", "Billom"), text("Coût", typed)).cost == Decimal(
        amount
    )


@pytest.mark.parametrize("typed", ["douze mille", "-5", "1e30"])
def test_a_malformed_amount_names_the_champ(typed):
    with pytest.raises(DossierRefused, match="champ « Coût » :"):
        mapped(BASE, commune("Porteur", "63040", "Billom"), text("Coût", typed))


def test_an_empty_cost_is_refused_and_ttc_below_ht_too():
    with pytest.raises(DossierRefused, match="le coût du projet est vide"):
        mapped(BASE, commune("Porteur", "63040", "Billom"), text("Coût", ""))
    with pytest.raises(DossierRefused, match="inférieur au coût HT"):
        mapped({**BASE, "cost_incl_vat": "TTC"}, commune("Porteur", "63040", "Billom"), COST,
               text("TTC", "11999,99"))  # fmt: skip


def test_dates_choices_emails_and_lengths():
    data = {
        **BASE, "engaged_on": "Début", "end_date": "Fin", "contact_email": "Courriel",
        "category": {"label": "Catégorie", "values": {"Formation": "2"}}, "title": "Titre",
    }  # fmt: skip
    base = [commune("Porteur", "63040", "Billom"), COST]
    m = mapped(data, *base, date("Début", "2021-09-01"), text("Fin", "31/03/2022"),
               text("Courriel", "a@b.fr"), text("Catégorie", "Formation"), text("Titre", "T"))  # fmt: skip
    assert m.fields["engagement_date"] == dt.date(2021, 9, 1)
    assert m.fields["end_date"] == dt.date(2022, 3, 31)
    assert m.fields["category"] == "2"
    good = [date("Début", "2021-09-01"), text("Fin", "2022-03-31"), text("Courriel", "a@b.fr"),
            text("Catégorie", "Formation"), text("Titre", "T")]  # fmt: skip
    for index, bad, words in [
        (1, text("Fin", "bientôt"), "« bientôt » n’est pas une date"),
        (1, text("Fin", "2021-08-31"), "précède sa date d’engagement"),
        (2, text("Courriel", "pas-une-adresse"), "n’est pas une adresse électronique"),
        (3, text("Catégorie", "Voirie"), "l’option « Voirie » n’a pas de correspondance"),
        (4, text("Titre", "x" * 201), "201 caractères, 200 au plus"),
    ]:
        champs = list(good)
        champs[index] = bad
        with pytest.raises(DossierRefused, match=words):
            mapped(data, *base, *champs)


def test_champs_are_found_by_descriptor_id_and_missing_ones_are_named_together():
    cost = text("Coût total", "9000")
    m = mapped({"collectivity": "Porteur", "cost": {"id": cost["champDescriptorId"]}},
               commune("Porteur", "63040", "Billom"), cost)  # fmt: skip
    assert m.cost == Decimal("9000.00")
    with pytest.raises(DossierRefused) as exc:
        mapped({**BASE, "title": "Titre"}, commune("Porteur", "63040", "Billom"))
    assert str(exc.value) == "champs absents du dossier : « Coût », « Titre »."


def test_an_optional_champ_may_be_absent_and_the_checksum_follows_the_values():
    data = {**BASE, "title": {"label": "Titre", "optional": True}}
    a = mapped(data, commune("Porteur", "63040", "Billom"), COST)
    assert "title" not in a.fields
    b = mapped(data, commune("Porteur", "63040", "Billom"), COST, text("Titre", "T"))
    assert a.checksum() != b.checksum()
    assert (
        b.checksum()
        == mapped(data, commune("Porteur", "63040", "Billom"), COST, text("Titre", "T")).checksum()
    )
