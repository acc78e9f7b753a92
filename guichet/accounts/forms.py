"""Account forms. Every message is French and attached to the field it is about."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from guichet.notifications import send_email

from . import history, services, throttling
from .models import AccountEvent, Collectivity, User
from .services import PROFILE_FIELDS, RESEND_EVERY, profile_snapshot

MAX_NAME = 150


def _text(label: str, required_message: str = "", max_length: int = MAX_NAME) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        strip=True,
        error_messages={
            "required": required_message or f"Indiquez votre {label.lower()}.",
            "max_length": f"{label} : {max_length} caractères au plus.",
        },
    )


PHONE = re.compile(r"^(?:(?:\+|00)33|0)[1-9]\d{8}$|^(?:\+|00)(?!33)\d{6,15}$")


def clean_phone(value: str) -> str:
    compact = re.sub(r"[\s.\-()]", "", value or "")
    if not compact:
        return ""
    if not PHONE.match(compact):
        raise ValidationError(
            "Ce numéro de téléphone n’est pas valide. Par exemple : 04 73 68 39 85 ou "
            "+33 4 73 68 39 85."
        )
    if compact.startswith("0033"):
        compact = "+" + compact[2:]
    if compact.startswith("+33"):
        compact = "0" + compact[3:]
    if len(compact) == 10 and compact.startswith("0"):
        return " ".join(compact[i : i + 2] for i in range(0, 10, 2))
    return compact


def new_password_field() -> forms.CharField:
    """A new password, checked by the CNIL validators in the form's clean()."""
    return forms.CharField(
        label="Mot de passe",
        strip=False,
        max_length=200,
        error_messages={
            "required": "Choisissez un mot de passe.",
            "max_length": "Mot de passe : 200 caractères au plus.",
        },
    )


def password_confirmation_field() -> forms.CharField:
    return forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        max_length=200,
        error_messages={
            "required": "Saisissez à nouveau votre mot de passe.",
            "max_length": "Mot de passe : 200 caractères au plus.",
        },
    )


def email_field(label: str, required: str, example: str) -> forms.EmailField:
    """An e-mail address field with French messages (the example shows the expected shape)."""
    return forms.EmailField(
        label=label,
        max_length=254,
        error_messages={
            "required": required,
            "invalid": f"Cette adresse électronique n’est pas valide. Par exemple : {example}",
            "max_length": "Adresse électronique : 254 caractères au plus.",
        },
    )


class CollectivityMixin(forms.Form):
    """The declared collectivité: typed text (``collectivity_q``) and, when chosen from the
    suggestions or the list of candidates, its reference (``collectivity``, "commune:63040").

    Without JavaScript the server searches the typed text: one match (or one exact name) is
    taken; several become ``self.candidates``, offered as radio buttons under the field.
    """

    collectivity_q = forms.CharField(
        label="Votre collectivité",
        max_length=200,
        required=False,
        strip=True,
        error_messages={"max_length": "Votre collectivité : 200 caractères au plus."},
    )
    collectivity = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    candidates: list

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = []
        self.vintage = services.current_vintage()

    def clean_collectivity_fields(self) -> Collectivity | None:
        data = self.cleaned_data
        ref = (data.get("collectivity") or "").strip()
        query = (data.get("collectivity_q") or "").strip()
        if ref:
            chosen = services.collectivity_by_ref(ref, self.vintage)
            if chosen is None:
                self.add_error(
                    "collectivity_q",
                    "Cette collectivité n’est pas dans le référentiel : choisissez-la à nouveau "
                    "dans la liste.",
                )
            return chosen
        if "collectivity_q" in self.errors:
            return None
        if not query:
            self.add_error(
                "collectivity_q",
                "Indiquez la collectivité pour laquelle vous agissez (nom, code postal, code "
                "INSEE ou SIREN), puis choisissez-la dans la liste.",
            )
            return None
        found = services.find_collectivity(query, self.vintage)
        if found.chosen is not None:
            return services.collectivity_from_result(found.chosen, self.vintage)
        if not found.candidates:
            self.add_error(
                "collectivity_q",
                f"Aucune collectivité ne correspond à « {query} ». Seules les communes, EPCI, "
                "métropoles, départements et régions peuvent avoir un compte.",
            )
            return None
        self.candidates = found.candidates
        self.add_error(
            "collectivity_q",
            f"Plusieurs collectivités correspondent à « {query} » : choisissez la vôtre dans "
            "la liste ci-dessous.",
        )
        return None


class SignUpForm(CollectivityMixin):
    email = email_field(
        "Adresse électronique professionnelle",
        "Indiquez votre adresse électronique.",
        "secretariat@mairie-billom.fr",
    )
    first_name = _text("Prénom")
    last_name = _text("Nom")
    function = _text("Fonction", "Indiquez votre fonction. Par exemple : secrétaire de mairie.")
    password1 = new_password_field()
    password2 = password_confirmation_field()
    consent = forms.BooleanField(
        label="J’atteste agir pour le compte de cette collectivité et j’accepte que les "
        "informations saisies soient utilisées pour instruire ses candidatures.",
        error_messages={"required": "Cochez cette case pour créer votre compte."},
    )

    field_order = [
        "email", "first_name", "last_name", "function", "collectivity_q", "collectivity",
        "password1", "password2", "consent",
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_user: User | None = None

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        collectivity = self.clean_collectivity_fields()
        data["collectivity_found"] = collectivity
        if collectivity is not None:
            data["collectivity_q"] = collectivity.name
        password1, password2 = data.get("password1"), data.get("password2")
        if password1:
            candidate = User(
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
            if password2 and password1 != password2:
                self.add_error("password2", "Les deux mots de passe ne sont pas identiques.")
        if data.get("email"):
            self.existing_user = User.objects.filter(email__iexact=data["email"]).first()
        return data

    def build_user(self) -> User:
        d = self.cleaned_data
        user = User(
            email=d["email"], first_name=d["first_name"], last_name=d["last_name"],
            function=d["function"],
        )  # fmt: skip
        c = d["collectivity_found"]
        user.set_collectivity(c.kind, c.code, c.name, c.vintage)
        user.set_password(d["password1"])
        return user


class ProfileForm(CollectivityMixin, forms.ModelForm):
    """« Mon compte », and the completion page after a first ProConnect sign-in."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "function", "phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in [
            ("first_name", "Indiquez votre prénom."),
            ("last_name", "Indiquez votre nom."),
            ("function", "Indiquez votre fonction. Par exemple : secrétaire de mairie."),
        ]:
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message
        self.fields["phone"].label = "Téléphone professionnel"
        self.fields["phone"].max_length = 30
        for field in self.fields.values():
            if getattr(field, "max_length", None):
                field.error_messages["max_length"] = (
                    f"{field.label} : {field.max_length} caractères au plus."
                )
        self.before = profile_snapshot(self.instance)
        current = self.instance.collectivity
        if current is not None and not self.is_bound:
            self.initial.setdefault("collectivity_q", current.name)
            self.initial.setdefault("collectivity", current.ref)

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("phone", ""))

    def clean(self):
        data = super().clean()
        collectivity = self.clean_collectivity_fields()
        data["collectivity_found"] = collectivity
        if collectivity is not None:
            data["collectivity_q"] = collectivity.name
        return data

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        c = self.cleaned_data["collectivity_found"]
        current = user.collectivity
        if current is None or current.ref != c.ref:  # keep the name snapshot if unchanged
            user.set_collectivity(c.kind, c.code, c.name, c.vintage)
        if commit:
            user.save()
        return user


class LoginForm(AuthenticationForm):
    """Sign-in with the CNIL's delay after repeated failures, refused until the e-mail is confirmed."""

    error_messages = {
        "invalid_login": "Adresse électronique ou mot de passe incorrect. Vérifiez votre saisie "
        "(majuscules comprises).",
        "inactive": "Ce compte est désactivé. Contactez la préfecture.",
        "unconfirmed": "Votre adresse électronique n’est pas encore confirmée : ouvrez le lien "
        "que nous vous avons envoyé par courriel. Vous ne le trouvez pas ? Demandez-en un "
        "nouveau ci-dessous.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Adresse électronique"
        self.fields["username"].error_messages["required"] = "Indiquez votre adresse électronique."
        self.fields["password"].error_messages["required"] = "Indiquez votre mot de passe."
        self.unconfirmed = False
        self.locked: throttling.Lock | None = None

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        password = self.cleaned_data.get("password")
        if email:
            self.cleaned_data["username"] = email
        ip = throttling.client_ip(self.request)
        if email and password:
            self.locked = throttling.check(email, ip)
            if self.locked:
                raise ValidationError(self.locked.message, code="throttled")
            try:
                data = super().clean()
            except ValidationError:
                throttling.record_failure(email, ip)
                raise
            throttling.reset(email, ip)
            return data
        return self.cleaned_data

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.email_confirmed_at is None:
            self.unconfirmed = True
            raise ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")


class EmailForm(forms.Form):
    email = email_field(
        "Adresse électronique",
        "Indiquez votre adresse électronique.",
        "secretariat@mairie-billom.fr",
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class ResetForm(PasswordResetForm):
    """Django's reset, with French messages and our e-mail layer (text + HTML)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "Adresse électronique"
        field.error_messages.update(EmailForm.base_fields["email"].error_messages)

    def get_users(self, email):
        # Unlike Django's, accounts without a usable password (made through ProConnect) may set
        # one: the link proves the address. One e-mail a minute per address at most, whoever
        # asks (the page says the same either way).
        for user in User.objects.filter(email__iexact=email.strip(), is_active=True):
            if cache.add(f"accounts:reset-sent:{user.pk}", True, RESEND_EVERY):
                yield user

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):  # fmt: skip
        send_email([to_email], "accounts/password_reset", context)


class NewPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Nouveau mot de passe"
        self.fields["new_password2"].label = "Confirmation du nouveau mot de passe"
        self.fields["new_password1"].error_messages["required"] = "Choisissez un mot de passe."
        self.fields["new_password2"].error_messages["required"] = (
            "Saisissez à nouveau votre mot de passe."
        )
        self.error_messages = {
            **self.error_messages,
            "password_mismatch": "Les deux mots de passe ne sont pas identiques.",
        }

    def save(self, commit: bool = True):
        # Following the link proved the address: an unconfirmed account becomes confirmed.
        if self.user.email_confirmed_at is None:
            self.user.email_confirmed_at = timezone.now()
        if not commit:
            return super().save(commit)
        with transaction.atomic():
            user = super().save(commit)
            history.record(user, user, AccountEvent.Action.PASSWORD_RESET)
        return user


class AgentProfileForm(forms.ModelForm):
    """« Mon compte » of an agent of the State (a role on a call, or staff): no collectivité, their
    service is shown instead (``services.agent_services``)."""

    class Meta:
        model = User
        fields = PROFILE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.before = profile_snapshot(self.instance)
        for name, message in [
            ("first_name", "Indiquez votre prénom."),
            ("last_name", "Indiquez votre nom."),
        ]:
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message
        self.fields["function"].label = "Fonction"
        self.fields["phone"].label = "Téléphone professionnel"
        self.fields["phone"].max_length = 30
        for field in self.fields.values():
            if getattr(field, "max_length", None):
                field.error_messages["max_length"] = (
                    f"{field.label} : {field.max_length} caractères au plus."
                )

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("phone", ""))
