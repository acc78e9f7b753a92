"""Users sign in with their e-mail address. Roles and memberships come with the back-office.

An applicant's agent declares, on their account, the collectivité they act for: its kind and
code in one reference vintage, with its name copied at that moment (a snapshot, not a foreign
key: reference rows are replaced when a vintage is reloaded). ``user.collectivity`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice


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
        """An authenticator application is confirmed (``guichet.accounts.two_factor``)."""
        return TOTPDevice.objects.filter(user=self, confirmed=True).exists()

    @property
    def profile_complete(self) -> bool:
        """An applicant's agent needs names, a function and a collectivité to apply."""
        return bool(self.first_name and self.last_name and self.function and self.collectivity)

    def call_roles(self) -> list[Any]:
        """This account's roles on calls (``review.AgentRole``), each with its call, read in one
        query the first time a request asks: the two-factor policy, the rights of the page
        (``review.permissions.roles``), the calls it lists and its header
        (``user.agent_roles.exists``) share it."""
        role = self._meta.get_field("agent_roles").related_model  # review depends on accounts
        prefetch_related_objects(
            [self], Prefetch("agent_roles", queryset=role.objects.select_related("call"))
        )
        return list(self.agent_roles.all())  # type: ignore[attr-defined]


class AccountEvent(models.Model):
    """One line of an account's history: who did what to it, when, and what changed.

    Recorded by the services of ``guichet.accounts`` in the transaction of the change. The actor
    is kept (``PROTECT``: an account with a history is deactivated, not deleted) and its name and
    address are copied at that moment (``actor_label``), so the line still reads right after the
    actor's account changes. ``before`` and ``after`` hold the changed values only; never a
    password, a key or a code.
    """

    class Action(models.TextChoices):
        PROFILE_CHANGED = "profile_changed", "Profil modifié"
        COLLECTIVITY_CHANGED = "collectivity_changed", "Collectivité modifiée"
        PASSWORD_CHANGED = "password_changed", "Mot de passe modifié"
        PASSWORD_RESET = "password_reset", "Mot de passe réinitialisé par courriel"
        TWO_FACTOR_ENABLED = "two_factor_enabled", "Double authentification activée"
        TWO_FACTOR_DISABLED = "two_factor_disabled", "Double authentification désactivée"
        RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", "Codes de secours renouvelés"
        RECOVERY_CODE_USED = "recovery_code_used", "Code de secours utilisé"
        API_TOKEN_CREATED = "api_token_created", "Jeton d’API créé"
        API_TOKEN_REVOKED = "api_token_revoked", "Jeton d’API révoqué"

    subject = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="account_events", verbose_name="compte"
    )
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
        help_text="Vide pour une action du système.",
    )
    actor_label = models.CharField("auteur (au moment de l’action)", max_length=320, blank=True)
    action = models.CharField("action", max_length=40, choices=Action.choices)
    before = models.JSONField("avant", default=dict, blank=True)
    after = models.JSONField("après", default=dict, blank=True)
    at = models.DateTimeField("le")

    class Meta:
        verbose_name = "événement du compte"
        verbose_name_plural = "historique des comptes"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["subject", "-at"], name="account_event_subject_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.subject} ({self.at:%Y-%m-%d %H:%M})"

    @property
    def changed(self) -> str:
        """« fonction, téléphone »: what a profile change touched, in the fields' French names."""
        if self.action != self.Action.PROFILE_CHANGED:
            return ""
        names = []
        for key in self.after:
            try:
                names.append(str(User._meta.get_field(key).verbose_name))
            except FieldDoesNotExist:
                names.append(key)
        return ", ".join(names)
