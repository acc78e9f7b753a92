"""« Double authentification »: setting TOTP up, the sign-in's second step, turning it off.

Sign-in with a password, for an account whose TOTP is confirmed, stops after the password: the
session keeps the pending account for ``PENDING_SECONDS`` and ``MAX_ATTEMPTS`` codes, and the
account is signed in only once a valid code is typed (``login_code``). Wrong codes are also
counted per account in ``guichet.accounts.throttling`` (whatever the IP address: a code has only
a million values), so that starting the password step again does not give more tries.

Programme managers must have TOTP: ``ManagerTotpMiddleware`` sends a manager without it to the
set-up page before any back-office page.

ProConnect sign-ins skip the code step, and count as strong authentication for the managers'
requirement: the agent has just authenticated with their administration's identity provider,
which is where multi-factor authentication of State agents belongs (``PROCONNECT_ACR_VALUES``
can require it from ProConnect). The session records how it was opened (``SECOND_FACTOR``).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from guichet import clock
from guichet.accounts import throttling, totp
from guichet.accounts.models import User

from .redirects import safe_next

PENDING = "accounts:totp-pending"
SETUP_SECRET = "accounts:totp-setup-secret"
SECOND_FACTOR = "accounts:second-factor"  # "totp" or "proconnect", set when signing in
PENDING_SECONDS = 5 * 60
MAX_ATTEMPTS = 5

WRONG_CODE = (
    "Ce code n’est pas valide ou a déjà été utilisé. Saisissez le code à 6 chiffres affiché en "
    "ce moment par votre application, puis validez sans attendre."
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code de vérification",
        max_length=20,
        strip=True,
        error_messages={
            "required": "Saisissez le code à 6 chiffres affiché par votre application.",
            "max_length": "Le code est composé de 6 chiffres.",
        },
    )

    def clean_code(self) -> str:
        code = totp.clean_code(self.cleaned_data["code"])
        if len(code) != totp.DIGITS or not (code.isascii() and code.isdigit()):
            raise forms.ValidationError(
                "Le code est composé de 6 chiffres, sans lettre. Par exemple : 123456."
            )
        return code


def _throttle_key(user: User) -> str:
    return f"totp|{user.pk}"


def _locked_message(user: User) -> str | None:
    lock = throttling.check(_throttle_key(user), "")
    if lock is None:
        return None
    minutes = max(1, math.ceil(lock.seconds / 60))
    return (
        f"Trop de codes erronés pour ce compte. Par sécurité, patientez {minutes} "
        f"minute{'s' if minutes > 1 else ''} avant de réessayer."
    )


def _accept(user: User, code: str) -> bool:
    """Check ``code`` for ``user`` and record its step; False if wrong or already used.

    The step is recorded by a conditional UPDATE: of two requests with the same code at the same
    moment, only one succeeds.
    """
    step = totp.verify(user.totp_secret, code, clock.now(), last_step=user.totp_last_step)
    if step is None:
        return False
    updated = (
        User.objects.filter(pk=user.pk)
        .filter(Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step))
        .update(totp_last_step=step)
    )
    if updated:
        user.totp_last_step = step
    return bool(updated)


def _check(form: CodeForm, user: User) -> bool:
    """Validate the form's code for ``user``, with the throttling; errors go to the field."""
    if not form.is_valid():
        return False
    locked = _locked_message(user)
    if locked:
        form.add_error("code", locked)
        return False
    if _accept(user, form.cleaned_data["code"]):
        throttling.reset(_throttle_key(user), "")
        return True
    throttling.record_failure(_throttle_key(user), "")
    form.add_error("code", WRONG_CODE)
    return False


def is_manager(user: Any) -> bool:
    from guichet.review.models import AgentRole, Role

    return AgentRole.objects.filter(user=user, role=Role.MANAGER).exists()


def must_set_up(request: HttpRequest) -> bool:
    """A programme manager signed in without TOTP (and not through ProConnect)."""
    user = request.user
    return (
        user.is_authenticated
        and not user.totp_enabled  # type: ignore[union-attr]
        and request.session.get(SECOND_FACTOR) != "proconnect"
        and is_manager(user)
    )


def setup_url(next_url: str = "") -> str:
    url = reverse("accounts:totp")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _page(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "breadcrumb": [
            {"url": reverse("public:home"), "title": "Accueil"},
            {"url": reverse("accounts:account"), "title": "Mon compte"},
            {"title": title},
        ],
        **extra,
    }


# --------------------------------------------------------------------------------------------
# The sign-in's second step


def begin(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """After a correct password: keep the account pending and ask for the code."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "until": clock.now().timestamp() + PENDING_SECONDS,
        "next": next_url,
        "attempts": 0,
    }
    return redirect("accounts:login-code")


def signed_in(request: HttpRequest, how: str) -> None:
    """Record how the session was authenticated (see ``must_set_up``)."""
    request.session[SECOND_FACTOR] = how


def _restart(request: HttpRequest, message: str) -> HttpResponse:
    request.session.pop(PENDING, None)
    messages.error(request, message)
    return redirect("accounts:login")


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("accounts:login")
    if clock.now().timestamp() > pending["until"]:
        return _restart(
            request,
            "Le délai pour saisir le code de vérification est dépassé : saisissez à nouveau "
            "votre adresse électronique et votre mot de passe.",
        )
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or not user.totp_enabled:
        return _restart(request, "Reconnectez-vous.")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _check(form, user):
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            signed_in(request, "totp")
            return redirect(pending["next"] or "applicant:dossiers")
        pending["attempts"] += 1
        request.session[PENDING] = pending
        if pending["attempts"] >= MAX_ATTEMPTS:
            return _restart(
                request,
                "Trop de codes erronés : saisissez à nouveau votre adresse électronique et votre "
                "mot de passe.",
            )
        status = 429 if _locked_message(user) else 200
    return render(
        request,
        "accounts/totp_login.html",
        {
            "title": "Code de vérification",
            "form": form,
            "remaining": MAX_ATTEMPTS - pending["attempts"],
        },
        status=status,
    )


# --------------------------------------------------------------------------------------------
# « Double authentification » in « Mon compte »


def _safe_next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    next_url = _safe_next(request)
    if user.totp_enabled:
        return _status_page(request, user, CodeForm())
    secret = request.session.get(SETUP_SECRET)
    if not secret:
        secret = request.session[SETUP_SECRET] = totp.generate_secret()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = totp.verify(secret, form.cleaned_data["code"], clock.now())
        if step is None:
            form.add_error(
                "code",
                "Ce code ne correspond pas à la clé affichée. Vérifiez que l’heure de votre "
                "téléphone est juste, puis saisissez le code affiché en ce moment.",
            )
        else:
            user.totp_secret = secret
            user.totp_confirmed_at = clock.now()
            user.totp_last_step = step
            user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
            request.session.pop(SETUP_SECRET, None)
            signed_in(request, "totp")
            messages.success(
                request,
                "La double authentification est activée : à chaque connexion par mot de passe, "
                "un code de votre application vous sera demandé.",
            )
            return redirect(next_url or "accounts:totp")
    return render(
        request,
        "accounts/totp_setup.html",
        _page(
            "Double authentification",
            form=form,
            secret=totp.grouped(secret),
            uri=totp.provisioning_uri(secret, user.email),
            issuer=totp.ISSUER,
            next=next_url,
            required=is_manager(user),
        ),
        status=422 if form.errors else 200,
    )


def _status_page(request: HttpRequest, user: User, form: CodeForm, status: int = 200):
    return render(
        request,
        "accounts/totp_status.html",
        _page("Double authentification", form=form, required=is_manager(user)),
        status=status,
    )


@sensitive_post_parameters("code")
@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not user.totp_enabled:
        return redirect("accounts:totp")
    form = CodeForm(request.POST)
    if is_manager(user):
        form.is_valid()
        form.add_error(
            "code",
            "Les gestionnaires d’un appel doivent garder la double authentification : elle ne "
            "peut pas être désactivée.",
        )
        return _status_page(request, user, form, status=422)
    if not _check(form, user):
        return _status_page(request, user, form, status=422)
    user.totp_secret, user.totp_confirmed_at, user.totp_last_step = "", None, None
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    request.session.pop(SECOND_FACTOR, None)
    messages.success(request, "La double authentification est désactivée.")
    return redirect("accounts:totp")
