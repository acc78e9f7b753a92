"""Users sign in with their e-mail address. Roles and memberships come with the back-office.

An applicant's agent declares, on their account, the collectivité they act for: its kind and
code in one reference vintage, with its name copied at that moment (a snapshot, not a foreign
key: reference rows are replaced when a vintage is reloaded). ``user.collectivity`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("Une adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        fields.setdefault("email_confirmed_at", timezone.now())
        return self._create(email, password, **fields)


@dataclass(frozen=True)
class Collectivity:
    """The collectivité an agent acts for, as declared on their account.

    ``kind``: "commune", "epci", "metropole", "departement" or "region"; ``code``: INSEE code,
    SIREN or code, as in ``guichet.territories.services``; ``name``: as it was when declared.
    ``guichet.territories.services.to_applicant(c.kind, c.code, vintage)`` gives the rules'
    Applicant in any vintage.
    """

    kind: str
    code: str
    name: str
    vintage: str

    @property
    def ref(self) -> str:
        """``"commune:63040"``: the form the simulator and the CLI take."""
        return f"{self.kind}:{self.code}"

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField("adresse électronique", unique=True)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)

    # The agent's profile.
    function = models.CharField(
        "fonction", max_length=150, blank=True, help_text="Par exemple : secrétaire de mairie."
    )
    phone = models.CharField("téléphone", max_length=30, blank=True)
    collectivity_kind = models.CharField("type de collectivité", max_length=20, blank=True)
    collectivity_code = models.CharField("code de la collectivité", max_length=9, blank=True)
    collectivity_vintage = models.CharField("millésime du référentiel", max_length=8, blank=True)
    collectivity_name = models.CharField("collectivité", max_length=150, blank=True)

    email_confirmed_at = models.DateTimeField("adresse confirmée le", null=True, blank=True)
    terms_accepted_at = models.DateTimeField("conditions acceptées le", null=True, blank=True)
    proconnect_sub = models.CharField(
        "identifiant ProConnect", max_length=255, blank=True, help_text="« sub » de ProConnect."
    )

    # Two-factor authentication (guichet.accounts.totp). The secret is kept in clear: encrypting
    # it at rest, with a key outside the database, is a production concern.
    totp_secret = models.CharField("secret TOTP", max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(
        "double authentification activée le", null=True, blank=True
    )
    totp_last_step = models.BigIntegerField(
        "dernier pas TOTP accepté",
        null=True,
        blank=True,
        help_text="Un code n’est jamais accepté deux fois, ni un code plus ancien.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "utilisateur"

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def collectivity(self) -> Collectivity | None:
        """The collectivité this agent declared, or None (staff, unfinished ProConnect profile)."""
        if not (self.collectivity_kind and self.collectivity_code):
            return None
        return Collectivity(
            kind=self.collectivity_kind,
            code=self.collectivity_code,
            name=self.collectivity_name,
            vintage=self.collectivity_vintage,
        )

    def set_collectivity(self, kind: str, code: str, name: str, vintage: str) -> None:
        self.collectivity_kind, self.collectivity_code = kind, code
        self.collectivity_name, self.collectivity_vintage = name, vintage

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_confirmed_at and self.totp_secret)

    @property
    def profile_complete(self) -> bool:
        """An applicant's agent needs names, a function and a collectivité to apply."""
        return bool(self.first_name and self.last_name and self.function and self.collectivity)
