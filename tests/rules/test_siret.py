"""The SIRET check (guichet.rules.siret, python-stdnum): each French message and its boundaries."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from guichet.rules.siret import SiretError, establishment_siret, format_siret, parse_siret

BILLOM_SIREN = "216300400"


def siret_of(siren: str, nic: str = "0001") -> str:
    """A SIRET of ``siren`` whose check digit is right, computed here independently of
    ``establishment_siret``: the NIC's last digit completes the Luhn."""
    return siren + nic + luhn.calc_check_digit(siren + nic)


def test_a_valid_siret_is_given_back_as_its_14_digits():
    number = siret_of(BILLOM_SIREN)
    assert parse_siret(number, BILLOM_SIREN) == number


@pytest.mark.parametrize("spaced", ["{} {} {} {}", "{}.{}.{}.{}", "{}\u00a0{}\u00a0{}\u00a0{}"])
def test_spaces_dots_and_no_break_spaces_are_accepted_and_removed(spaced):
    n = siret_of(BILLOM_SIREN)
    typed = spaced.format(n[:3], n[3:6], n[6:9], n[9:])
    assert parse_siret(typed, BILLOM_SIREN) == n


def test_blank_is_allowed_for_a_draft():
    assert parse_siret("   ", BILLOM_SIREN) == ""


@pytest.mark.parametrize("length", [13, 15, 9])
def test_not_14_digits_says_how_many_were_typed(length):
    typed = (siret_of(BILLOM_SIREN) + "12")[:length]
    with pytest.raises(SiretError) as exc:
        parse_siret(typed, BILLOM_SIREN)
    assert exc.value.message == f"Le SIRET compte 14 chiffres ; vous en avez saisi {length}."


@pytest.mark.parametrize(
    "typed", ["2163004000001A", "SIRET 21630040000019", "２１６３００４０００００１９"]
)
def test_letters_or_other_digits_are_refused(typed):
    with pytest.raises(SiretError) as exc:
        parse_siret(typed, BILLOM_SIREN)
    assert "ne contient que des chiffres" in exc.value.message


def test_a_wrong_check_digit_is_refused():
    good = siret_of(BILLOM_SIREN)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(SiretError) as exc:
        parse_siret(bad, BILLOM_SIREN)
    assert "clé de contrôle ne correspond pas" in exc.value.message


def test_a_valid_siret_of_another_siren_is_refused_naming_the_collectivites_siren():
    other = siret_of("200069177")  # a valid SIRET, of another collectivité
    assert parse_siret(other) == other  # valid on its own
    with pytest.raises(SiretError) as exc:
        parse_siret(other, BILLOM_SIREN)
    assert exc.value.message == (
        "Ce SIRET n’est pas celui d’un établissement de votre collectivité : il doit commencer "
        "par son SIREN, 216\u00a0300\u00a0400."
    )


def test_la_postes_establishments_follow_their_own_rule():
    # SIREN 356000000: the digit sum of the SIRET is a multiple of 5, not the Luhn (stdnum).
    assert parse_siret("35600000000048", "356000000") == "35600000000048"
    with pytest.raises(SiretError):
        parse_siret("35600000000049", "356000000")


@given(st.from_regex(r"[0-9]{8}", fullmatch=True), st.from_regex(r"[0-9]{4}", fullmatch=True))
def test_an_establishment_siret_is_valid_and_starts_with_its_siren(head, nic):
    siren = head + luhn.calc_check_digit(head)
    siret = establishment_siret(siren, nic)
    assert siret[:13] == siren + nic
    assert luhn.is_valid(siret)
    if siren != "356000000":  # La Poste numbers its establishments by another rule
        assert parse_siret(siret, siren) == siret


@pytest.mark.parametrize(("siren", "nic"), [("21630063", "0001"), ("2163006311", "0001"), ("216300401", "0001"),
                                            ("216300400", "001"), ("216300400", "0a01"),
                                            ("２16300400", "0001")])  # fmt: skip
def test_an_establishment_siret_needs_nine_and_four_digits(siren, nic):
    with pytest.raises(SiretError):
        establishment_siret(siren, nic)


def test_format_siret_groups_the_digits():
    assert format_siret("21630040000019") == "216\u00a0300\u00a0400\u00a000019"


# --- the call definition's open_data block ----------------------------------------------------

from guichet.rules.parameters import DefinitionError, _open_data  # noqa: E402

GRANTOR = {"name": "Préfecture du Puy-de-Dôme", "siret": "17630000200019"}


def test_each_call_names_its_grantor_and_haut_rhin_inherits_the_dispositif(puy_de_dome, haut_rhin):
    assert puy_de_dome.open_data.grantor_name == "Préfecture du Puy-de-Dôme"
    assert parse_siret(puy_de_dome.open_data.grantor_siret) == "17630000200019"
    assert haut_rhin.open_data.grantor_name == "Préfecture du Haut-Rhin"
    assert haut_rhin.open_data.grantor_siret != puy_de_dome.open_data.grantor_siret
    assert haut_rhin.open_data.dispositif_aide == puy_de_dome.open_data.dispositif_aide != ""


def test_spaces_in_the_grantors_siret_are_removed():
    block = {"grantor": {**GRANTOR, "siret": "176 300 002 00019"}}
    assert _open_data(block, "open_data").grantor_siret == "17630000200019"


@pytest.mark.parametrize(
    ("block", "field", "words"),
    [
        ({}, "open_data.grantor", "obligatoire"),
        ({"grantor": {"siret": "17630000200019"}}, "open_data.grantor.name", "obligatoire"),
        ({"grantor": {**GRANTOR, "siret": "17630000200018"}}, "open_data.grantor.siret", "clé"),
        ({"grantor": {**GRANTOR, "siret": "1763000020001"}}, "open_data.grantor.siret", "14"),
        ({"grantor": {**GRANTOR, "siren": "1"}}, "open_data.grantor.siren", "clé inconnue"),
        ({"grantor": GRANTOR, "dispositif_aide": 3}, "open_data.dispositif_aide", "texte"),
        ({"grantor": GRANTOR, "publish": True}, "open_data.publish", "clé inconnue"),
    ],
)
def test_a_wrong_open_data_block_names_its_field(block, field, words):
    with pytest.raises(DefinitionError) as caught:
        _open_data(block, "open_data")
    assert caught.value.path == field
    assert words in caught.value.message
