"""The pages of a call's agents, for its programme managers (``Do.MANAGE_AGENTS``), and the
invitee's page. Anybody else gets a 404.

These views only translate requests: the changes, their history and the invitation links are
``guichet.review.agents``; the forms are in ``forms.py``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from guichet.accounts.models import User
from guichet.accounts.passwords import RULE_TEXT
from guichet.calls.models import Call
from guichet.review import agents
from guichet.review.models import AgentRole, Role
from guichet.review.permissions import Do, can_in_call

from .forms import InviteForm, NewAgentForm, ScopeForm


def _managed_call(request: HttpRequest, slug: str) -> Call:
    call = Call.objects.filter(slug=slug).first()
    if call is None or not can_in_call(request.user, Do.MANAGE_AGENTS, call):  # type: ignore[arg-type]
        raise Http404("Page introuvable")
    return call


def _role_of(call: Call, role_id: int) -> AgentRole:
    role = agents.role_of(call, role_id)
    if role is None:
        raise Http404("Agent introuvable")
    return role


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


# --------------------------------------------------------------------------------------------
# The manager's pages


@login_required
def agent_list(request: HttpRequest, slug: str) -> HttpResponse:
    call = _managed_call(request, slug)
    names = agents.arrondissements_of(call)
    pending = [
        {
            "invitation": i,
            "scope": agents.role_scope_label(i.role, i.arrondissements, names),
            "expires": agents.expires(i),
        }
        for i in agents.pending_invitations(call)
    ]
    return render(
        request,
        "backoffice/agents.html",
        {
            "title": "Agents de l’appel",
            "call": call,
            "rows": agents.agent_rows(call, names),
            "pending": pending,
            "history": agents.history(call),
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
        invitation = agents.invite(
            call,
            request.user,  # type: ignore[arg-type]
            email=data["email"],
            role=data["role"],
            scope=data["scope"],
            link=lambda token: request.build_absolute_uri(
                reverse("backoffice:agent-invitation", args=[call.slug, token])
            ),
        )
        messages.success(
            request,
            f"L’invitation est envoyée à {invitation.email}. Le lien est valable "
            f"{agents.INVITATION_DAYS} jours.",
        )
        return redirect("backoffice:agents", call.slug)
    return render(
        request,
        "backoffice/agents_invite.html",
        _context(call, "Inviter un agent", form=form),
        status=422 if form.errors else 200,
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
        agents.change_scope(role, request.user, form.cleaned_data["scope"])  # type: ignore[arg-type]
        messages.success(
            request,
            f"{role.user} instruit désormais : "
            f"{agents.scope_label(role.arrondissements, form.names)}.",
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
def agent_chair(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    call = _managed_call(request, slug)
    try:
        role = agents.set_chair(call, request.user, role_id)  # type: ignore[arg-type]
    except agents.AgentsRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"{role.user} préside désormais le comité de sélection.")
    return redirect("backoffice:agents", call.slug)


@login_required
@require_POST
def agent_remove(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    call = _managed_call(request, slug)
    try:
        role = agents.remove_role(call, request.user, role_id)  # type: ignore[arg-type]
    except agents.AgentsRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("backoffice:agents", call.slug)
    if role is None:
        raise Http404("Agent introuvable")
    messages.success(request, f"Le rôle « {role.get_role_display()} » de {role.user} est retiré.")
    request.user._agent_roles = None  # type: ignore[attr-defined]
    if not can_in_call(request.user, Do.MANAGE_AGENTS, call):  # type: ignore[arg-type]
        return redirect("backoffice:dossiers")
    return redirect("backoffice:agents", call.slug)


# --------------------------------------------------------------------------------------------
# The invitee's page


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
        invitation = agents.invitation_from(slug, token)
    except agents.InvitationUnusable as error:
        return page(400, error=str(error))
    back_office = reverse("backoffice:dossiers")
    names = agents.arrondissements_of(invitation.call)
    context = {
        "invitation": invitation,
        "scope": agents.scope_label(invitation.arrondissements, names)
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
            agents.accept(invitation, account, form.cleaned_data if form is not None else {})
        except (agents.AlreadyAccepted, IntegrityError):  # a second click, or two tabs
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
