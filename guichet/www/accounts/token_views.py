"""« Mon compte »'s API tokens: create one for a call (its secret shown once, on the answer to
the form), revoke one (a ticked confirmation). The rules are ``guichet.api.tokens``'s."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from guichet.accounts import two_factor
from guichet.api import tokens

from .totp_views import setup_url

PREFIX = "jeton"


class TokenForm(forms.Form):
    name = forms.CharField(label="Nom du jeton", max_length=tokens.NAME_MAX)
    call = forms.ChoiceField(label="Appel à projets")

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix=PREFIX, **kwargs)
        self.calls = {c.slug: c for c in tokens.calls_for_tokens(user)}
        self.fields["call"].choices = [(slug, c.title) for slug, c in self.calls.items()]
        self.fields["call"].error_messages["invalid_choice"] = (
            "Choisissez un appel à projets où vous avez un rôle."
        )
        self.fields["name"].error_messages["required"] = (
            "Donnez un nom au jeton, par exemple « Tableau de bord »."
        )


class RevokeForm(forms.Form):
    confirm = forms.BooleanField(
        error_messages={"required": "Cochez la case pour confirmer la révocation."}
    )


def section(
    request: HttpRequest,
    *,
    form: TokenForm | None = None,
    created: Any = None,
    secret: str = "",
    revoke_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What « Mon compte » shows of the agent's tokens."""
    user = request.user
    form = form or TokenForm(user)
    listed = list(tokens.tokens_of(user))  # type: ignore[arg-type]
    for token in listed:
        token.revoke_error = (revoke_errors or {}).get(str(token.uuid), "")  # type: ignore[attr-defined]
    return {
        "api_tokens": listed,
        "token_form": form,
        "token_calls": bool(form.calls),
        "new_token": created,
        "new_secret": secret,
    }


def _here() -> str:
    return reverse("accounts:account") + "#api-tokens"


def _account(request: HttpRequest, **tokens_context: Any) -> HttpResponse:
    from . import views  # the page's view renders the whole page; it imports this module

    return views._profile(request, completing=False, tokens=tokens_context)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    if two_factor.must_set_up(request):
        # As for the back-office's pages: a programme manager sets up a second factor first.
        return redirect(setup_url(_here()))
    form = TokenForm(request.user, request.POST)
    if form.is_valid():
        try:
            token, secret = tokens.create(
                request.user,  # type: ignore[arg-type]
                call=form.calls.get(form.cleaned_data["call"]),
                name=form.cleaned_data["name"],
            )
        except tokens.TokenRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, str(refused))
        else:
            return _account(request, created=token, secret=secret)
    return _account(request, form=form)


@login_required
@require_POST
def token_revoke(request: HttpRequest, uuid: Any) -> HttpResponse:
    form = RevokeForm(request.POST)
    if not form.is_valid():
        if not tokens.tokens_of(request.user).filter(uuid=uuid).exists():  # type: ignore[arg-type]
            raise Http404("Jeton introuvable")
        return _account(request, revoke_errors={str(uuid): form.errors["confirm"][0]})
    try:
        tokens.revoke(request.user, uuid)  # type: ignore[arg-type]
    except tokens.TokenNotFound:
        raise Http404("Jeton introuvable") from None
    messages.success(request, "Le jeton est révoqué : il n’ouvre plus l’API.")
    return redirect(_here())
