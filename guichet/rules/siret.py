"""The SIRET of an establishment (14 digits: its SIREN, then a 5-digit NIC), checked with
python-stdnum (Luhn on the SIREN and on the whole number; La Poste's exception, SIREN 356000000,
whose establishments are numbered with a digit sum divisible by 5, is stdnum's).

Pure: no Django. ``parse_siret`` returns the 14 digits without spaces or raises ``SiretError``
with a French message meant for the form field.
"""

from __future__ import annotations

from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import siret as _siret

LENGTH = 14


class SiretError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def compact(text: str) -> str:
    """Spaces (also no-break ones), dots and hyphens removed."""
    return "".join(ch for ch in text if ch not in " \u00a0\u202f.-\t")


def parse_siret(text: str, siren: str = "") -> str:
    """The SIRET typed, as 14 digits; ``siren`` (9 digits) when known: the collectivité's, which
    the SIRET must start with. A blank text gives ''."""
    number = compact(text)
    if not number:
        return ""
    if not (number.isascii() and number.isdigit()):
        raise SiretError("Le SIRET ne contient que des chiffres : 14 chiffres, espaces permis.")
    if len(number) != LENGTH:
        count = len(number)
        raise SiretError(f"Le SIRET compte 14 chiffres ; vous en avez saisi {count}.")
    try:
        _siret.validate(number)
    except (InvalidChecksum, InvalidFormat, InvalidLength, ValidationError):
        raise SiretError(
            "Ce SIRET n’existe pas : un chiffre est faux (sa clé de contrôle ne correspond pas). "
            "Recopiez-le depuis l’avis de situation au répertoire SIRENE."
        ) from None
    if siren and number[:9] != siren:
        raise SiretError(
            f"Ce SIRET n’est pas celui d’un établissement de votre collectivité : il doit "
            f"commencer par son SIREN, {format_siren(siren)}."
        )
    return number


def establishment_siret(siren: str, nic: str = "0001") -> str:
    """The SIRET of the establishment ``nic`` (its first four digits) of ``siren``, completed with
    the Luhn digit that makes it valid: what the demo and the tests give as a collectivité's
    SIRET. Not a lookup in SIRENE: a real collectivité's establishment may have another NIC."""
    if not (len(siren) == 9 and siren.isascii() and siren.isdigit() and luhn.is_valid(siren)):
        raise SiretError("Un SIREN compte 9 chiffres, dont le dernier est sa clé de Luhn.")
    if not (len(nic) == 4 and nic.isascii() and nic.isdigit()):
        raise SiretError("Les quatre premiers chiffres du NIC sont attendus.")
    head = siren + nic
    return head + luhn.calc_check_digit(head)


def is_valid_siret(text: str) -> bool:
    return _siret.is_valid(text)


def format_siren(siren: str) -> str:
    """« 216 300 631 » (no-break spaces)."""
    return "\u00a0".join((siren[:3], siren[3:6], siren[6:9]))


def format_siret(number: str) -> str:
    """« 216 300 631 00011 »."""
    return f"{format_siren(number[:9])}\u00a0{number[9:]}" if len(number) == LENGTH else number
