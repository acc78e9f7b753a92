"""The CNIL's password rules (deliberation 2022-100, password-only authentication), at their bounds."""

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from guichet.accounts.models import User
from guichet.accounts.passwords import CnilPasswordValidator, PersonalInformationValidator

cnil = CnilPasswordValidator()


def refused(password, validator=cnil, user=None):
    try:
        validator.validate(password, user)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


@pytest.mark.parametrize(
    "password",
    [
        "Abcdefgh12!x",  # 12, the four classes
        "Ab1!" * 3,
        "Éléphant-9bleu",
        "Abcdefghijk123",  # 14, no special character
        "correct cheval pile agrafe nuage vert lundi",  # 7 words
        "le-chat-de-ma-voisine-aime-lasagne",  # 7 words, hyphens
    ],
)
def test_accepted(password):
    assert refused(password) is None


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Abcdefgh1!x", "il fait 11 caractères, il en faut au moins 12"),
        ("abcdefgh12!x", "il manque une majuscule"),
        ("ABCDEFGH12!X", "il manque une minuscule"),
        ("Abcdefghij!x", "il manque un chiffre"),
        ("Abcdefghij12", "il manque un caractère spécial"),  # 12 without special: needs 14
        ("Abcdefghijk12", "il manque un caractère spécial"),  # 13 without special
        ("abcdefghijk123", "il manque une majuscule et un caractère spécial"),  # 14, no upper
        ("un deux trois quatre cinq six", "il manque"),  # 6 words only
        ("aa aa aa aa aa aa aa", "il manque"),  # 7 words, but one repeated
        ("", "il fait 0 caractère"),
    ],
)
def test_refused_with_what_is_missing(password, expected):
    message = refused(password)
    assert message is not None and expected in message
    assert "Au moins 12 caractères" in message  # the rule, in full


def test_help_text_is_french():
    assert "phrase de passe d’au moins 7 mots" in cnil.get_help_text()


@pytest.mark.parametrize(
    "password",
    ["Dominique-2026!!", "MARTIN-Billom-26!", "x-Secretariat-9!", "Dominiqué2026!!"],
)
def test_personal_information_refused(password):
    user = User(email="secretariat.mairie@billom.fr", first_name="Dominique", last_name="Martin")
    assert "contient votre adresse électronique" in refused(
        password, PersonalInformationValidator(), user
    )


def test_short_names_are_not_looked_for():
    user = User(email="li@x.fr", first_name="Li", last_name="Ba")
    assert refused("Libalibali-26!", PersonalInformationValidator(), user) is None


def test_settings_use_the_cnil_rules():
    with pytest.raises(ValidationError) as error:
        password_validation.validate_password("1Q2w3E4r5T6y7U")  # CNIL-valid, but common
    assert error.value.messages == ["Ce mot de passe est trop courant."]
    names = [v.__class__.__name__ for v in password_validation.get_default_password_validators()]
    assert names[:2] == ["CnilPasswordValidator", "PersonalInformationValidator"]
