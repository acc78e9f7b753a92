"""Account services: sign-up, confirmation links, account e-mails, the profile and the declared
collectivité, the services an agent belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from guichet.notifications import send_email
from guichet.territories import services as territories
from guichet.territories.models import Arrondissement, Commune, Epci
from guichet.territories.text import normalize_name

from . import history
from .models import AccountEvent, Collectivity, User

COLLECTIVITY_KINDS = {"commune", "epci", "metropole", "departement", "region"}

RESEND_EVERY = 60  # seconds between two e-mails of one kind to one address

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
    if len(siren) != 9 or not (siren.isascii() and siren.isdigit()):
        return None
    epci = Epci.objects.filter(vintage=vintage, siren=siren).first()
    if epci is not None:
        kind = "metropole" if epci.is_metropole else "epci"
        return Collectivity(kind, epci.siren, epci.name, vintage)
    commune = Commune.objects.filter(vintage=vintage, siren=siren).first()
    if commune is not None:
        return Collectivity("commune", commune.insee_code, commune.name, vintage)
    return None


# --------------------------------------------------------------------------------------------
# Sign-up and the profile


def sign_up(request: HttpRequest, form: Any, *, next_url: str = "") -> None:
    """A new account from a valid ``SignUpForm``, or, for an address that has one, an e-mail to
    its owner. Both paths hash the password typed, so that the answer takes the same time and
    does not tell whether the address has an account."""
    existing = form.existing_user
    with transaction.atomic():
        if existing is None:
            user = form.build_user()  # hashes the password
            user.terms_accepted_at = timezone.now()
            user.save()
            send_confirmation_email(request, user, next_url=next_url)
            return
        make_password(form.cleaned_data["password1"])  # the same work as for a new account
        if cache.add(f"accounts:exists-sent:{existing.pk}", True, RESEND_EVERY):
            send_account_exists_email(request, existing)


PROFILE_FIELDS = ["first_name", "last_name", "function", "phone"]


def profile_snapshot(user: User) -> dict[str, str]:
    """What the account's history compares before and after a profile change (the forms take
    it when they are made, ``save_profile`` after saving)."""
    c = user.collectivity
    return {
        **{name: getattr(user, name) for name in PROFILE_FIELDS},
        "collectivity": f"{c.name} ({c.ref})" if c is not None else "",
    }


def save_profile(form: Any, actor: User) -> User:
    """Save a valid ``ProfileForm`` or ``AgentProfileForm`` and record what changed in the
    account's history."""
    with transaction.atomic():
        user = form.save()
        before, after = form.before, profile_snapshot(user)
        changed = [name for name in PROFILE_FIELDS if before[name] != after[name]]
        if changed:
            history.record(
                user,
                actor,
                AccountEvent.Action.PROFILE_CHANGED,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
        if before["collectivity"] != after["collectivity"]:
            history.record(
                user,
                actor,
                AccountEvent.Action.COLLECTIVITY_CHANGED,
                before={"collectivity": before["collectivity"]},
                after={"collectivity": after["collectivity"]},
            )
    return user


# --------------------------------------------------------------------------------------------
# The services an agent of the State belongs to


@dataclass(frozen=True)
class AgentService:
    """One role of an agent, as « Mon compte » shows it: the call's service (the préfecture),
    the call, the role, and the arrondissements a reviewer covers (empty: the whole call)."""

    service: str
    call_title: str
    role: str
    arrondissements: list[str]


def is_agent(user: User) -> bool:
    """An agent of the State: a role on a call, or a staff account. They declare no collectivité."""
    return bool(user.is_staff) or user.agent_roles.exists()


def agent_services(user: User) -> list[AgentService]:
    services = []
    for role in user.agent_roles.select_related("call").order_by("call__title", "role"):
        names = dict(
            Arrondissement.objects.filter(
                vintage=role.call.reference_vintage, code__in=role.arrondissements or []
            ).values_list("code", "name")
        )
        services.append(
            AgentService(
                service=role.call.service,
                call_title=role.call.title,
                role=role.get_role_display(),
                arrondissements=[names.get(code, code) for code in role.arrondissements or []],
            )
        )
    return services
