"""Password rules of the CNIL for password-only authentication.

Recommendation of the CNIL on passwords, deliberation n° 2022-100 of 21 July 2022, case n° 1
(authentication by a password alone): at least 80 bits of entropy. Its three examples are the
three ways a password is accepted here:

1. at least 12 characters mixing upper case, lower case, digits and special characters;
2. at least 14 characters mixing upper case, lower case and digits (no special character);
3. a passphrase of at least 7 words.

Sign-in failures are also slowed down (see ``guichet.accounts.throttling``), which the CNIL asks
for in its other cases; this validator keeps the stricter rule of case n° 1 anyway.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

MIN_LENGTH = 12
MIN_LENGTH_WITHOUT_SPECIAL = 14
MIN_PASSPHRASE_WORDS = 7
MIN_WORD_LENGTH = 2

RULE_TEXT = (
    "Au moins 12 caractères dont une majuscule, une minuscule, un chiffre et un caractère "
    "spécial ; ou au moins 14 caractères avec majuscules, minuscules et chiffres ; ou une "
    "phrase de passe d’au moins 7 mots."
)


def _classes(password: str) -> dict[str, bool]:
    return {
        "upper": any(c.isupper() for c in password),
        "lower": any(c.islower() for c in password),
        "digit": any(c.isdigit() for c in password),
        "special": any(not c.isalnum() and not c.isspace() for c in password)
        or any(c.isspace() for c in password.strip()),
    }


def passphrase_words(password: str) -> list[str]:
    """The words of a passphrase: runs of letters or digits of at least 2 characters."""
    return [w for w in re.split(r"[\W_]+", password) if len(w) >= MIN_WORD_LENGTH]


def is_passphrase(password: str) -> bool:
    words = passphrase_words(password)
    distinct = {w.lower() for w in words}
    return len(words) >= MIN_PASSPHRASE_WORDS and len(distinct) >= MIN_PASSPHRASE_WORDS


class CnilPasswordValidator:
    """Accepts a password that follows one of the CNIL's three examples (see the module)."""

    def validate(self, password: str, user=None) -> None:
        if is_passphrase(password):
            return
        has = _classes(password)
        if len(password) >= MIN_LENGTH and all(has.values()):
            return
        without_special = has["upper"] and has["lower"] and has["digit"]
        if len(password) >= MIN_LENGTH_WITHOUT_SPECIAL and without_special:
            return
        raise ValidationError(self._message(password, has), code="password_cnil")

    def _message(self, password: str, has: dict[str, bool]) -> str:
        missing = [
            label
            for key, label in (
                ("upper", "une majuscule"),
                ("lower", "une minuscule"),
                ("digit", "un chiffre"),
                ("special", "un caractère spécial"),
            )
            if not has[key]
        ]
        parts = []
        if len(password) < MIN_LENGTH:
            n = len(password)
            parts.append(f"il fait {n} caractère{'s' if n > 1 else ''}, il en faut au moins 12")
        if missing:
            parts.append("il manque " + _join(missing))
        return f"Ce mot de passe n’est pas assez robuste : {' ; '.join(parts)}. {RULE_TEXT}"

    def get_help_text(self) -> str:
        return RULE_TEXT


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def _fold(text: str) -> str:
    """Lower case, without accents or separators: « Hélène-Marie » → « helenemarie »."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[\W_]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


class PersonalInformationValidator:
    """Refuses a password containing the user's e-mail address (its name part) or names."""

    MIN_PART = 3  # shorter names ("Li", "Ba") are too likely to appear by chance

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        folded = _fold(password)
        email = getattr(user, "email", "") or ""
        local = email.split("@")[0]
        parts = [local, *re.split(r"[._+\-]+", local)]
        parts += [getattr(user, "first_name", "") or "", getattr(user, "last_name", "") or ""]
        for part in parts:
            for piece in [part, *re.split(r"[\s\-']+", part)]:
                needle = _fold(piece)
                if len(needle) >= self.MIN_PART and needle in folded:
                    raise ValidationError(
                        "Ce mot de passe contient votre adresse électronique, votre nom ou votre "
                        "prénom : choisissez-en un qui ne contienne aucun des trois.",
                        code="password_personal",
                    )

    def get_help_text(self) -> str:
        return "Il ne doit contenir ni votre adresse électronique, ni votre nom, ni votre prénom."
