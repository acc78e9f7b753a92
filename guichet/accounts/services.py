"""Account services: confirmation links, account e-mails, the declared collectivité."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from guichet.notifications import send_email
from guichet.territories import services as territories
from guichet.territories.models import Commune, Epci
from guichet.territories.text import normalize_name

from .models import Collectivity, User

COLLECTIVITY_KINDS = {"commune", "epci", "metropole", "departement", "region"}

CONFIRMATION_SALT = "guichet.accounts.confirm-email"
CONFIRMATION_DAYS = 3
CONFIRMATION_MAX_AGE = CONFIRMATION_DAYS * 24 * 3600


# --------------------------------------------------------------------------------------------
# E-mail confirmation


class ConfirmationError(Exception):
    """A confirmation link that cannot be used; ``expired`` tells which French page to show."""

    def __init__(self, expired: bool) -> None:
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


def confirmation_token(user: User) -> str:
    # The e-mail is signed with the id: a link stops working if the address changes.
    return signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRMATION_SALT, compress=True)


def user_from_confirmation_token(token: str) -> User:
    try:
        data = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ConfirmationError(expired=True) from None
    except signing.BadSignature:
        raise ConfirmationError(expired=False) from None
    user = User.objects.filter(pk=data.get("u"), email=data.get("e"), is_active=True).first()
    if user is None:
        raise ConfirmationError(expired=False)
    return user


def confirm_email(user: User) -> bool:
    """Mark the address confirmed; False when it already was."""
    if user.email_confirmed_at is not None:
        return False
    user.email_confirmed_at = timezone.now()
    user.save(update_fields=["email_confirmed_at"])
    return True


def _absolute(request: HttpRequest, name: str, *args: str) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def send_confirmation_email(request: HttpRequest, user: User, *, next_url: str = "") -> None:
    """``next_url``: where the link leads once the address is confirmed (through sign-in)."""
    confirm_url = _absolute(request, "accounts:confirm", confirmation_token(user))
    if next_url:
        confirm_url += "?" + urlencode({"next": next_url})
    send_email(
        [user.email],
        "accounts/confirm_email",
        {
            "user": user,
            "confirm_url": confirm_url,
            "valid_days": CONFIRMATION_DAYS,
        },
    )


def send_account_exists_email(request: HttpRequest, user: User) -> None:
    """Someone tried to sign up again with this address: tell its owner, not the screen."""
    send_email(
        [user.email],
        "accounts/account_exists",
        {
            "user": user,
            "login_url": _absolute(request, "accounts:login"),
            "reset_url": _absolute(request, "accounts:password_reset"),
            "confirm_url": (
                _absolute(request, "accounts:confirm", confirmation_token(user))
                if not user.email_confirmed
                else ""
            ),
            "valid_days": CONFIRMATION_DAYS,
        },
    )


# --------------------------------------------------------------------------------------------
# The declared collectivité


def current_vintage() -> str:
    """The latest reference vintage: the one a collectivité is declared in."""
    return max(territories.vintages(), default="")


@dataclass(frozen=True)
class Found:
    """The outcome of looking the typed collectivité up: one chosen, several, or none."""

    chosen: territories.SearchResult | None
    candidates: list[territories.SearchResult]


def find_collectivity(query: str, vintage: str, limit: int = 8) -> Found:
    found = territories.search(query[:100], vintage, limit=limit)
    exact = [r for r in found if normalize_name(r.name) == normalize_name(query)]
    if len(found) == 1:
        return Found(found[0], [])
    if len(exact) == 1:
        return Found(exact[0], [])
    return Found(None, found)


def collectivity_by_ref(ref: str, vintage: str) -> Collectivity | None:
    """``"commune:63040"`` → that collectivité in ``vintage``, or None when unknown."""
    kind, _, code = (ref or "").partition(":")
    if kind not in COLLECTIVITY_KINDS or not code or len(code) > 9:
        return None
    try:
        applicant = territories.to_applicant(kind, code, vintage)
    except territories.UnknownCollectivity:
        return None
    return Collectivity(str(applicant.kind), applicant.code, applicant.name, vintage)


def collectivity_from_result(result: territories.SearchResult, vintage: str) -> Collectivity:
    return Collectivity(result.kind, result.code, result.name, vintage)


def collectivity_by_siren(siren: str, vintage: str) -> Collectivity | None:
    """A commune or an EPCI of ``vintage`` by SIREN (a SIRET's first 9 digits), or None."""
    if len(siren) != 9 or not siren.isdigit():
        return None
    epci = Epci.objects.filter(vintage=vintage, siren=siren).first()
    if epci is not None:
        kind = "metropole" if epci.is_metropole else "epci"
        return Collectivity(kind, epci.siren, epci.name, vintage)
    commune = Commune.objects.filter(vintage=vintage, siren=siren).first()
    if commune is not None:
        return Collectivity("commune", commune.insee_code, commune.name, vintage)
    return None
