"""The reference data loaded by tests/conftest.py: counts, known figures, loader behaviour."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from guichet.territories.loader import DATA_DIR, shipped_vintages
from guichet.territories.models import (
    Arrondissement,
    Commune,
    CommunePostcode,
    Departement,
    Epci,
    Region,
)
from guichet.territories.services import vintages
from guichet.territories.text import normalize_name

pytestmark = pytest.mark.django_db


def counts(vintage: str) -> dict[str, int]:
    models = (Region, Departement, Arrondissement, Commune, CommunePostcode, Epci)
    return {m.__name__: m.objects.filter(vintage=vintage).count() for m in models}


def test_both_vintages_are_shipped_and_loaded():
    assert shipped_vintages() == ["2021", "2026"]
    assert vintages() == ["2021", "2026"]


@pytest.mark.parametrize(("vintage", "expected"), [("2021", 464), ("2026", 463)])
def test_communes_of_puy_de_dome(vintage, expected):
    assert Commune.objects.filter(vintage=vintage, departement_code="63").count() == expected


@pytest.mark.parametrize("vintage", ["2021", "2026"])
def test_arrondissements_of_puy_de_dome(vintage):
    names = Arrondissement.objects.filter(vintage=vintage, departement_code="63").values_list(
        "name", flat=True
    )
    assert sorted(names) == ["Ambert", "Clermont-Ferrand", "Issoire", "Riom", "Thiers"]


def test_counts_match_source_json():
    for vintage in ("2021", "2026"):
        source = json.loads((DATA_DIR / vintage / "SOURCE.json").read_text(encoding="utf-8"))
        assert source["package"] == "@etalab/decoupage-administratif"
        assert source["license"] == "MIT"
        got = counts(vintage)
        assert got["Region"] == source["rows"]["regions"]
        assert got["Departement"] == source["rows"]["departements"]
        assert got["Arrondissement"] == source["rows"]["arrondissements"]
        assert got["Commune"] == source["rows"]["communes"]
        assert got["Epci"] == source["rows"]["epci"]
    assert counts("2021")["Commune"] == 35059
    assert counts("2026")["Commune"] == 34969


def test_billom_2021_is_under_5000():
    billom = Commune.objects.get(vintage="2021", insee_code="63040")
    assert billom.name == "Billom"
    assert billom.population == 4777


def test_clermont_ferrand_2021():
    cf = Commune.objects.get(vintage="2021", insee_code="63113")
    assert cf.name == "Clermont-Ferrand"
    assert cf.population == 147865
    assert cf.siren == "216301135"
    assert set(cf.postcode_list) == {"63000", "63100"}
    assert cf.arrondissement_code == "632"
    assert (cf.departement_code, cf.region_code) == ("63", "84")
    assert cf.epci_siren == "246300701"
    assert cf.epci.name == "Clermont Auvergne Métropole"


def test_clermont_auvergne_metropole():
    for vintage in ("2021", "2026"):
        metro = Epci.objects.get(vintage=vintage, siren="246300701")
        assert metro.epci_type == "METRO"
        assert metro.is_metropole
        assert metro.departement_list == ["63"]
        # Approximate seat: the most populous member.
        assert metro.seat_insee == "63113"
        assert metro.members.filter(insee_code="63075").exists()  # Chamalières
        assert metro.members.count() == 21


def test_siren_2021_comes_from_epci_members():
    # 1.1.1 communes have no SIREN: it is taken from the EPCI members (and 6.0.0 as fallback).
    assert Commune.objects.get(vintage="2021", insee_code="63075").siren == "216300756"
    with_siren = Commune.objects.filter(vintage="2021").exclude(siren="").count()
    assert with_siren == 34965  # 34 961 EPCI members + 4 island communes from 6.0.0
    # Only overseas collectivités (COM) are left without SIREN.
    missing = Commune.objects.filter(vintage="2021", siren="")
    assert all(c.insee_code[:2] in {"97", "98"} for c in missing)


def test_departement_population_is_the_sum_of_its_communes():
    for vintage in ("2021", "2026"):
        total = Commune.objects.filter(vintage=vintage, departement_code="63").aggregate(
            s=Sum("population")
        )["s"]
        assert Departement.objects.get(vintage=vintage, code="63").population == total


def test_search_names_are_normalized():
    assert Commune.objects.get(vintage="2026", insee_code="63075").search_name == "chamalieres"
    sgc = Commune.objects.get(vintage="2026", insee_code="63345")
    assert sgc.search_name == "saint genes champanelle"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Chamalières", "chamalieres"),
        ("Saint-Genès-Champanelle", "saint genes champanelle"),
        ("L'Abergement-Clémenciat", "l abergement clemenciat"),
        ("Provence-Alpes-Côte d’Azur", "provence alpes cote d azur"),
        ("  Œuilly  ", "oeuilly"),
        ("CC du Pays d'Ambert (CCPA)", "cc du pays d ambert ccpa"),
    ],
)
def test_normalize_name(name, expected):
    assert normalize_name(name) == expected


def test_loader_is_idempotent_and_replaces_the_vintage():
    before = {v: counts(v) for v in ("2021", "2026")}
    # A stale row that is not in the shipped files must disappear on reload.
    Region.objects.create(vintage="2021", code="XX", name="Périmée", search_name="perimee")
    out = StringIO()
    call_command("load_territories", "--vintage", "2021", stdout=out)
    call_command("load_territories", "--vintage", "2021", stdout=out)
    assert {v: counts(v) for v in ("2021", "2026")} == before
    assert not Region.objects.filter(vintage="2021", code="XX").exists()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Référentiel 2021 (decoupage-administratif 1.1.1) chargé en ")
    assert "35\u00a0059 communes" in lines[0]


def test_unknown_vintage_is_a_french_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Millésime 1999 absent"):
        call_command("load_territories", "--vintage", "1999")


@pytest.mark.parametrize("model", ["region", "departement", "arrondissement", "commune", "epci"])
def test_admin_is_read_only_and_searchable(admin_client, model):
    url = f"/admin/territories/{model}/"
    response = admin_client.get(url, {"q": "clermont", "vintage__exact": "2021"})
    assert response.status_code == 200
    assert admin_client.get(f"{url}add/").status_code == 403


def test_admin_epci_page_lists_members(admin_client, settings):
    # FORM_RENDERER = TemplatesSetting needs "django.forms" in INSTALLED_APPS, which the
    # settings lack for now (admin change pages fail with TemplateDoesNotExist django/forms/…).
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    metro = Epci.objects.get(vintage="2021", siren="246300701")
    response = admin_client.get(f"/admin/territories/epci/{metro.pk}/change/")
    assert response.status_code == 200
    assert "Chamalières" in response.content.decode()


def test_gzipped_files_are_read_too(tmp_path):
    import gzip
    import shutil

    from guichet.territories.loader import _rows

    plain = DATA_DIR / "2021" / "regions.csv"
    with plain.open("rb") as src, gzip.open(tmp_path / "regions.csv.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    rows = list(_rows(tmp_path, "regions"))
    assert len(rows) == 18
    assert {"code": "84", "name": "Auvergne-Rhône-Alpes"} in rows
