"""Building the rules' Applicant from the reference data."""

import pytest

from guichet.rules.applicant import Applicant, ApplicantKind
from guichet.territories.services import UnknownCollectivity, to_applicant

pytestmark = pytest.mark.django_db


def test_commune():
    billom = to_applicant("commune", "63040", "2021")
    assert billom == Applicant(
        kind=ApplicantKind.COMMUNE,
        code="63040",
        name="Billom",
        population=4777,
        vintage="2021",
        departements=frozenset({"63"}),
    )
    assert to_applicant("commune", "63113", "2021").population == 147865
    assert to_applicant("commune", "2a004", "2026").code == "2A004"


def test_metropole_by_epci_or_metropole_kind():
    for kind in ("epci", "metropole"):
        metro = to_applicant(kind, "246300701", "2021")
        assert metro.kind is ApplicantKind.METROPOLE
        assert metro.epci_type == "METRO"
        assert metro.name == "Clermont Auvergne Métropole"
        assert metro.population == 294127
        assert metro.departements == frozenset({"63"})
        assert metro.vintage == "2021"


def test_epci_across_departements():
    cc = to_applicant("epci", "200066587", "2026")  # CC des Monts du Lyonnais
    assert cc.kind is ApplicantKind.EPCI
    assert cc.epci_type == "CC"
    assert cc.departements == frozenset({"42", "69"})


def test_departement():
    dept = to_applicant("departement", "63", "2021")
    assert dept.kind is ApplicantKind.DEPARTEMENT
    assert dept.name == "Puy-de-Dôme"
    assert dept.departements == frozenset({"63"})
    assert dept.population == 662152  # sum of its communes' populations


def test_region():
    region = to_applicant("region", "84", "2026")
    assert region.kind is ApplicantKind.REGION
    assert region.name == "Auvergne-Rhône-Alpes"
    assert region.departements == frozenset(
        {"01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"}
    )
    assert region.population > 8_000_000


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("commune", "99999", "Aucune commune de code INSEE 99999 dans le référentiel 2021."),
        ("epci", "123456789", "Aucun EPCI de SIREN 123456789 dans le référentiel 2021."),
        ("metropole", "123456789", "Aucune métropole de SIREN 123456789 dans le référentiel 2021."),
        ("departement", "00", "Aucun département de code 00 dans le référentiel 2021."),
        ("region", "99", "Aucune région de code 99 dans le référentiel 2021."),
    ],
)
def test_unknown_codes(kind, code, message):
    with pytest.raises(UnknownCollectivity) as exc:
        to_applicant(kind, code, "2021")
    assert str(exc.value) == message


def test_unknown_vintage():
    with pytest.raises(UnknownCollectivity, match="référentiel 1999"):
        to_applicant("commune", "63113", "1999")


def test_commune_gone_between_vintages():
    # A Puy-de-Dôme commune of 2021 merged away by 2026.
    from guichet.territories.models import Commune

    codes_2021 = set(
        Commune.objects.filter(vintage="2021", departement_code="63").values_list(
            "insee_code", flat=True
        )
    )
    codes_2026 = set(
        Commune.objects.filter(vintage="2026", departement_code="63").values_list(
            "insee_code", flat=True
        )
    )
    gone = sorted(codes_2021 - codes_2026)
    assert gone
    assert to_applicant("commune", gone[0], "2021").kind is ApplicantKind.COMMUNE
    with pytest.raises(UnknownCollectivity):
        to_applicant("commune", gone[0], "2026")


@pytest.mark.parametrize("kind", ["association", "entreprise", "syndicat"])
def test_other_kinds_are_not_looked_up(kind, django_assert_num_queries):
    with django_assert_num_queries(0):
        applicant = to_applicant(kind, "W631000001", "2021")
    assert applicant == Applicant(
        kind=ApplicantKind.OTHER,
        code="W631000001",
        name=f"{kind} W631000001",
        other_label=kind,
    )
    assert applicant.kind_label == kind


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("association", "Une association"),
        ("entreprise", "Une entreprise"),
        ("syndicat", "Un syndicat"),
    ],
)
def test_a_structure_without_identifier_has_a_readable_name(kind, name):
    # The simulator's shortcuts give « association:structure »: no « association STRUCTURE ».
    assert to_applicant(kind, "structure", "2026").name == name
    assert to_applicant(kind, "STRUCTURE", "2026").name == name
    assert to_applicant("fondation", "structure", "2026").name == "Structure « fondation »"
