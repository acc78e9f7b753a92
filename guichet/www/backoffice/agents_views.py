"""The agents of a call, managed by its programme managers (``Do.MANAGE_AGENTS``).

A manager lists the call's agents, invites someone by e-mail with a role (and, for a reviewer,
arrondissements of the call's département in its reference vintage, or the whole département),
changes a reviewer's arrondissements and removes a role, never the call's last manager. Anybody
else gets a 404.

The invitation e-mail carries a signed link valid ``INVITATION_DAYS`` days, used once: an
existing account gets the role on accepting (the link proves the address); a new person chooses
their name and password on the link's page, then signs in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from guichet import clock
from guichet.accounts.forms import new_password_field, password_confirmation_field
from guichet.accounts.models import User
from guichet.accounts.passwords import RULE_TEXT
from guichet.calls.models import Call
from guichet.notifications import send_email
from guichet.review.models import AgentInvitation, AgentRole, Role
from guichet.review.permissions import Do, can_in_call
from guichet.territories.models import Arrondissement

INVITATION_SALT = "guichet.review.agent-invitation"
INVITATION_DAYS = 7


# --------------------------------------------------------------------------------------------
# Forms


def arrondissements_of(call: Call) -> dict[str, str]:
    """Code → name of the arrondissements of the call's département, in its reference vintage."""
    rows = Arrondissement.objects.filter(
        vintage=call.reference_vintage, departement_code=call.departement_code
    ).order_by("code")
    return {a.code: a.name for a in rows}


class ScopeForm(forms.Form):
    """Which dossiers a reviewer covers: some arrondissements, or the whole département."""

    whole = forms.BooleanField(
        label="Tout le département",
        required=False,
        help_text="Y compris les dossiers des départements et régions, traités par la préfecture.",
    )
    arrondissements = forms.MultipleChoiceField(
        label="Arrondissements",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "« %(value)s » n’est pas un arrondissement de l’appel."},
    )

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        self.names = arrondissements_of(call)
        self.fields["arrondissements"].choices = [
            (code, f"{name} ({code})") for code, name in self.names.items()
        ]

    def role_value(self) -> str:
        return Role.REVIEWER

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        whole, chosen = data.get("whole"), data.get("arrondissements") or []
        if "arrondissements" in self.errors:
            return data
        if self.role_value() == Role.REVIEWER:
            if whole and chosen:
                self.add_error(
                    "arrondissements",
                    "Cochez des arrondissements ou « Tout le département », pas les deux.",
                )
            elif not whole and not chosen:
                self.add_error(
                    "arrondissements",
                    "Choisissez les arrondissements que couvre cet instructeur, ou « Tout le "
                    "département ».",
                )
        elif chosen:
            self.add_error(
                "arrondissements",
                "Ce rôle porte sur tout l’appel : ne cochez pas d’arrondissement (ils ne "
                "concernent que les instructeurs).",
            )
        data["scope"] = sorted(chosen) if not whole else []
        return data


class InviteForm(ScopeForm):
    email = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        error_messages={
            "required": "Indiquez l’adresse électronique de la personne à inviter.",
            "invalid": "Cette adresse électronique n’est pas valide. Par exemple : "
            "prenom.nom@puy-de-dome.gouv.fr",
            "max_length": "Adresse électronique : 254 caractères au plus.",
        },
    )
    role = forms.ChoiceField(
        label="Rôle",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez un rôle.",
            "invalid_choice": "Choisissez un des rôles proposés.",
        },
    )

    field_order = ["email", "role", "whole", "arrondissements"]

    def role_value(self) -> str:
        return self.cleaned_data.get("role", "")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        email, role = data.get("email"), data.get("role")
        if email and role:
            existing = AgentRole.objects.filter(
                call=self.call, role=role, user__email__iexact=email
            ).exists()
            if existing:
                self.add_error(
                    "email",
                    f"Cette personne est déjà « {Role(role).label} » de cet appel : modifiez "
                    "ses arrondissements dans la liste des agents.",
                )
        return data


class NewAgentForm(forms.Form):
    """A new person's account, made on the invitation's page."""

    first_name = forms.CharField(
        label="Prénom", max_length=150, error_messages={"required": "Indiquez votre prénom."}
    )
    last_name = forms.CharField(
        label="Nom", max_length=150, error_messages={"required": "Indiquez votre nom."}
    )
    password1 = new_password_field()
    password2 = password_confirmation_field()

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1:
            candidate = User(
                email=self.email,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
            if password2 and password1 != password2:
                self.add_error("password2", "Les deux mots de passe ne sont pas identiques.")
        return data


# --------------------------------------------------------------------------------------------
# Helpers


def _managed_call(request: HttpRequest, slug: str) -> Call:
    call = Call.objects.filter(slug=slug).first()
    if call is None or not can_in_call(request.user, Do.MANAGE_AGENTS, call):  # type: ignore[arg-type]
        raise Http404("Page introuvable")
    return call


def _role_of(call: Call, role_id: int) -> AgentRole:
    role = AgentRole.objects.select_related("user").filter(call=call, pk=role_id).first()
    if role is None:
        raise Http404("Agent introuvable")
    return role


def scope_label(arrondissements: list[str], names: dict[str, str]) -> str:
    if not arrondissements:
        return "Tout le département"
    return ", ".join(f"{names.get(code, code)} ({code})" for code in sorted(arrondissements))


def _context(call: Call, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "call": call,
        "breadcrumb": [
            {"url": reverse("backoffice:dossiers"), "title": "Instruction"},
            {"url": reverse("backoffice:agents", args=[call.slug]), "title": "Agents de l’appel"},
            {"title": title},
        ],
        **extra,
    }


def invitation_token(invitation: AgentInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=INVITATION_SALT)


def _expires(invitation: AgentInvitation) -> dt.datetime:
    return invitation.invited_at + dt.timedelta(days=INVITATION_DAYS)


# --------------------------------------------------------------------------------------------
# The manager's pages


@login_required
def agent_list(request: HttpRequest, slug: str) -> HttpResponse:
    call = _managed_call(request, slug)
    names = arrondissements_of(call)
    roles = list(
        AgentRole.objects.filter(call=call)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email", "role")
    )
    managers = sum(1 for r in roles if r.role == Role.MANAGER)
    rows = [
        {
            "role": r,
            "scope": scope_label(r.arrondissements, names)
            if r.role == Role.REVIEWER
            else "Tout l’appel",
            "editable": r.role == Role.REVIEWER,
            "removable": not (r.role == Role.MANAGER and managers <= 1),
        }
        for r in roles
    ]
    pending = [
        {
            "invitation": i,
            "scope": scope_label(i.arrondissements, names)
            if i.role == Role.REVIEWER
            else "Tout l’appel",
            "expires": _expires(i),
        }
        for i in AgentInvitation.objects.filter(
            call=call,
            accepted_at__isnull=True,
            invited_at__gte=clock.now() - dt.timedelta(days=INVITATION_DAYS),
        ).select_related("invited_by")
    ]
    return render(
        request,
        "backoffice/agents.html",
        {
            "title": "Agents de l’appel",
            "call": call,
            "rows": rows,
            "pending": pending,
            "breadcrumb": [
                {"url": reverse("backoffice:dossiers"), "title": "Instruction"},
                {"title": "Agents de l’appel"},
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def agent_invite(request: HttpRequest, slug: str) -> HttpResponse:
    call = _managed_call(request, slug)
    form = InviteForm(request.POST or None, call=call)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            invitation = AgentInvitation.objects.create(
                call=call,
                email=data["email"],
                role=data["role"],
                arrondissements=data["scope"],
                invited_by=request.user,
            )
            _send_invitation(request, invitation, form.names)
        messages.success(
            request,
            f"L’invitation est envoyée à {invitation.email}. Le lien est valable "
            f"{INVITATION_DAYS} jours.",
        )
        return redirect("backoffice:agents", call.slug)
    return render(
        request,
        "backoffice/agents_invite.html",
        _context(call, "Inviter un agent", form=form),
        status=422 if form.errors else 200,
    )


def _send_invitation(
    request: HttpRequest, invitation: AgentInvitation, names: dict[str, str]
) -> None:
    url = request.build_absolute_uri(
        reverse(
            "backoffice:agent-invitation", args=[invitation.call.slug, invitation_token(invitation)]
        )
    )
    send_email(
        [invitation.email],
        "review/agent_invitation",
        {
            "invitation": invitation,
            "call": invitation.call,
            "role": invitation.get_role_display(),
            "scope": scope_label(invitation.arrondissements, names)
            if invitation.role == Role.REVIEWER
            else "",
            "url": url,
            "valid_days": INVITATION_DAYS,
            "has_account": User.objects.filter(email__iexact=invitation.email).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def agent_edit(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    call = _managed_call(request, slug)
    role = _role_of(call, role_id)
    if role.role != Role.REVIEWER:
        raise Http404("Seuls les instructeurs ont des arrondissements.")
    initial = {"whole": role.whole_departement, "arrondissements": role.arrondissements}
    form = ScopeForm(request.POST or None, call=call, initial=initial)
    if request.method == "POST" and form.is_valid():
        role.arrondissements = form.cleaned_data["scope"]
        role.save(update_fields=["arrondissements"])
        messages.success(
            request,
            f"{role.user} instruit désormais : {scope_label(role.arrondissements, form.names)}.",
        )
        return redirect("backoffice:agents", call.slug)
    return render(
        request,
        "backoffice/agents_edit.html",
        _context(call, f"Arrondissements de {role.user}", form=form, agent_role=role),
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def agent_remove(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    call = _managed_call(request, slug)
    with transaction.atomic():
        # Locking the call serialises two managers removing each other at the same moment.
        Call.objects.select_for_update().filter(pk=call.pk).first()
        role = _role_of(call, role_id)
        if (
            role.role == Role.MANAGER
            and AgentRole.objects.filter(call=call, role=Role.MANAGER).count() <= 1
        ):
            messages.error(
                request,
                f"{role.user} est le dernier gestionnaire de l’appel : invitez un autre "
                "gestionnaire avant de retirer ce rôle.",
            )
            return redirect("backoffice:agents", call.slug)
        label, person = role.get_role_display(), role.user
        role.delete()
    messages.success(request, f"Le rôle « {label} » de {person} est retiré.")
    request.user._agent_roles = None  # type: ignore[attr-defined]
    if not can_in_call(request.user, Do.MANAGE_AGENTS, call):  # type: ignore[arg-type]
        return redirect("backoffice:dossiers")
    return redirect("backoffice:agents", call.slug)


# --------------------------------------------------------------------------------------------
# The invitee's page


class InvitationUnusable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def _invitation_from(slug: str, token: str) -> AgentInvitation:
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_DAYS * 24 * 3600)
    except signing.SignatureExpired:
        raise InvitationUnusable(_EXPIRED) from None
    except signing.BadSignature:
        raise InvitationUnusable(_INVALID) from None
    invitation = (
        AgentInvitation.objects.select_related("call", "invited_by")
        .filter(pk=data.get("i"), email=data.get("e"), call__slug=slug)
        .first()
    )
    if invitation is None:
        raise InvitationUnusable(_INVALID)
    if invitation.accepted_at is None and clock.now() > _expires(invitation):
        raise InvitationUnusable(_EXPIRED)
    return invitation


_INVALID = (
    "Ce lien d’invitation n’est pas valide. Vérifiez que vous l’avez copié en entier, ou "
    "demandez une nouvelle invitation au gestionnaire de l’appel."
)
_EXPIRED = (
    f"Ce lien d’invitation a expiré (il est valable {INVITATION_DAYS} jours) : demandez une "
    "nouvelle invitation au gestionnaire de l’appel."
)


class AlreadyAccepted(Exception):
    pass


def grant(invitation: AgentInvitation, user: User) -> AgentRole:
    """Give ``user`` the invitation's role, once; with a role already held, the scopes merge."""
    with transaction.atomic():
        locked = AgentInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise AlreadyAccepted
        role, created = AgentRole.objects.get_or_create(
            user=user,
            call_id=locked.call_id,
            role=locked.role,
            defaults={"arrondissements": locked.arrondissements, "created_by": locked.invited_by},
        )
        if not created and role.arrondissements:
            role.arrondissements = (
                sorted(set(role.arrondissements) | set(locked.arrondissements))
                if locked.arrondissements
                else []
            )
            role.save(update_fields=["arrondissements"])
        if user.email_confirmed_at is None:
            user.email_confirmed_at = clock.now()  # the link proves the address
            user.save(update_fields=["email_confirmed_at"])
        locked.accepted_at, locked.accepted_by = clock.now(), user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    return role


def _login_url(next_url: str) -> str:
    return f"{reverse('accounts:login')}?{urlencode({'next': next_url})}"


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def agent_invitation(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    def page(status: int = 200, **extra: Any) -> HttpResponse:
        return render(
            request,
            "backoffice/agents_invitation.html",
            {
                "title": "Invitation à rejoindre un appel à projets",
                "password_rules": f"{RULE_TEXT} Ni votre adresse électronique, ni votre nom.",
                **extra,
            },
            status=status,
        )

    try:
        invitation = _invitation_from(slug, token)
    except InvitationUnusable as error:
        return page(400, error=str(error))
    back_office = reverse("backoffice:dossiers")
    names = arrondissements_of(invitation.call)
    context = {
        "invitation": invitation,
        "scope": scope_label(invitation.arrondissements, names)
        if invitation.role == Role.REVIEWER
        else "",
        "login_url": _login_url(back_office),
    }
    if invitation.accepted_at is not None:
        return page(already=True, **context)
    account = User.objects.filter(email__iexact=invitation.email).first()
    if account is not None and not account.is_active:
        return page(403, error="Le compte de cette adresse est désactivé. Contactez la préfecture.")
    if request.user.is_authenticated and request.user != account:
        return page(other_user=True, **context)
    form = (
        None if account is not None else NewAgentForm(request.POST or None, email=invitation.email)
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            with transaction.atomic():
                if account is None:
                    assert form is not None
                    d = form.cleaned_data
                    account = User.objects.create_user(
                        invitation.email,
                        d["password1"],
                        first_name=d["first_name"].strip(),
                        last_name=d["last_name"].strip(),
                        email_confirmed_at=clock.now(),
                    )
                grant(invitation, account)
        except (AlreadyAccepted, IntegrityError):  # a second click, or two tabs
            return page(already=True, **context)
        messages.success(
            request,
            f"Vous êtes désormais « {invitation.get_role_display()} » de l’appel "
            f"« {invitation.call.title} ».",
        )
        if request.user.is_authenticated:
            return redirect(back_office)
        messages.info(request, "Connectez-vous pour accéder à l’espace d’instruction.")
        return redirect(_login_url(back_office))
    return page(
        422 if form is not None and form.errors else 200,
        form=form,
        has_account=account is not None,
        **context,
    )
