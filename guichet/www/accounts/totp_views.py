"""« Double authentification » pages: the sign-in's second step, set-up, recovery codes, turning
it off. The policy and the checks are ``guichet.accounts.two_factor``'s; these views translate.

Sign-in with a password, for an account with an authenticator application, stops after the
password: the session keeps the pending account for ``PENDING_SECONDS`` and ``MAX_ATTEMPTS``
codes, and the account is signed in (and its session verified, ``django_otp.login``) only once a
valid code or recovery code is typed (``login_code``). A signed-in account whose session is not
verified (ProConnect) goes through the same step before the admin (``verify``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet import clock
from guichet.accounts import two_factor
from guichet.accounts.models import User

from .redirects import landing_url, safe_next

PENDING = "accounts:totp-pending"
SETUP_KEY = "accounts:totp-setup-key"
SECOND_FACTOR = two_factor.SECOND_FACTOR
PENDING_SECONDS = 5 * 60
MAX_ATTEMPTS = 5


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

    def __init__(self, *args: Any, recovery: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recovery = recovery

    def clean_code(self) -> str:
        code = two_factor.clean_code(self.cleaned_data["code"])
        if two_factor.is_totp_code(code):
            return code
        if self.recovery and two_factor.is_recovery_code(code):
            return code
        raise forms.ValidationError(
            "Le code est composé de 6 chiffres, sans lettre. Par exemple : 123456."
            + (" Un code de secours a 8 lettres et chiffres." if self.recovery else "")
        )


def _check(form: CodeForm, user: User) -> two_factor.Check | None:
    """The form's code checked for ``user``; errors go to the field. None when refused."""
    if not form.is_valid():
        return None
    check = two_factor.verify(user, form.cleaned_data["code"], recovery=form.recovery)
    if not check.accepted:
        form.add_error("code", check.message)
        return None
    return check


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
        "next": safe_next(request, next_url),
        "attempts": 0,
    }
    return redirect("accounts:login-code")


def signed_in(request: HttpRequest, how: str) -> None:
    """Record how the session was authenticated (see ``two_factor.must_set_up``)."""
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
    if user is None or not two_factor.enabled(user):
        return _restart(request, "Reconnectez-vous.")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        check = _check(form, user)
        if check is not None:
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            django_otp.login(request, check.device)
            signed_in(request, "totp")
            if check.by_recovery_code:
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"Vous vous êtes connecté avec un code de secours : il vous en reste {left}. "
                    "Renouvelez-les dans « Double authentification » si besoin.",
                )
            return redirect(safe_next(request, pending["next"]) or landing_url(user))
        pending["attempts"] += 1
        request.session[PENDING] = pending
        if pending["attempts"] >= MAX_ATTEMPTS:
            return _restart(
                request,
                "Trop de codes erronés : saisissez à nouveau votre adresse électronique et votre "
                "mot de passe.",
            )
        status = 429 if two_factor.locked_message(user) else 200
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


@login_required
@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """A signed-in account asked for its code again (the admin, after ProConnect)."""
    next_url = safe_next(request, request.GET.get("next"))
    user: User = request.user  # type: ignore[assignment]
    if two_factor.is_verified(request):
        return redirect(next_url or "accounts:account")
    if not two_factor.enabled(user):
        return redirect(setup_url(next_url))
    return begin(request, user, next_url)


# --------------------------------------------------------------------------------------------
# « Double authentification » in « Mon compte »


def _safe_next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _codes_page(request: HttpRequest, codes: list[str], next_url: str, status: int = 200):
    return render(
        request,
        "accounts/totp_recovery_codes.html",
        _page(
            "Vos codes de secours",
            codes=[two_factor.grouped_recovery(c) for c in codes],
            next=next_url or reverse("accounts:totp"),
        ),
        status=status,
    )


@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    next_url = _safe_next(request)
    if two_factor.enabled(user):
        return _status_page(request, user, CodeForm())
    key = request.session.get(SETUP_KEY)
    if not key:
        key = request.session[SETUP_KEY] = two_factor.new_key()
    form = CodeForm(request.POST or None, recovery=False)
    if request.method == "POST" and form.is_valid():
        step = two_factor.setup_code_valid(key, form.cleaned_data["code"])
        if step is None:
            form.add_error(
                "code",
                "Ce code ne correspond pas à la clé affichée. Vérifiez que l’heure de votre "
                "téléphone est juste, puis saisissez le code affiché en ce moment.",
            )
        else:
            device, codes = two_factor.enable(user, key, step)
            request.session.pop(SETUP_KEY, None)
            django_otp.login(request, device)
            signed_in(request, "totp")
            messages.success(
                request,
                "La double authentification est activée : à chaque connexion par mot de passe, "
                "un code de votre application vous sera demandé.",
            )
            return _codes_page(request, codes, next_url)
    uri = two_factor.provisioning_uri(key, user.email)
    return render(
        request,
        "accounts/totp_setup.html",
        _page(
            "Double authentification",
            form=form,
            secret=two_factor.grouped_secret(key),
            uri=uri,
            qr_svg=two_factor.qr_svg(uri),
            issuer=two_factor.ISSUER,
            next=next_url,
            required=two_factor.required(user),
        ),
        status=422 if form.errors else 200,
    )


def _status_page(request: HttpRequest, user: User, form: CodeForm, status: int = 200, **extra):
    return render(
        request,
        "accounts/totp_status.html",
        _page(
            "Double authentification",
            form=form,
            device=two_factor.totp_device(user),
            required=two_factor.required(user),
            recovery_left=two_factor.recovery_codes_left(user),
            regenerate_form=extra.pop("regenerate_form", None) or _regenerate_form(),
            **extra,
        ),
        status=status,
    )


def _regenerate_form(data: Any = None) -> CodeForm:
    form = CodeForm(data, prefix="regenerate", recovery=False)
    form.fields["code"].label = "Code de l’application"
    return form


@sensitive_post_parameters("regenerate-code")
@login_required
@require_POST
def regenerate(request: HttpRequest) -> HttpResponse:
    """New recovery codes, after a code from the application."""
    user: User = request.user  # type: ignore[assignment]
    if not two_factor.enabled(user):
        return redirect("accounts:totp")
    form = _regenerate_form(request.POST)
    if _check(form, user) is None:
        return _status_page(request, user, CodeForm(), status=422, regenerate_form=form)
    codes = two_factor.regenerate_recovery_codes(user)
    messages.success(request, "Vos nouveaux codes de secours remplacent les précédents.")
    return _codes_page(request, codes, reverse("accounts:totp"))


@sensitive_post_parameters("code")
@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not two_factor.enabled(user):
        return redirect("accounts:totp")
    form = CodeForm(request.POST)
    if not two_factor.may_disable(user):
        form.is_valid()
        form.add_error(
            "code",
            "Les gestionnaires d’un appel et les comptes d’administration doivent garder la "
            "double authentification : elle ne peut pas être désactivée.",
        )
        return _status_page(request, user, form, status=422)
    if _check(form, user) is None:
        return _status_page(request, user, form, status=422)
    two_factor.disable(user)
    request.session.pop(SECOND_FACTOR, None)
    messages.success(request, "La double authentification est désactivée.")
    return redirect("accounts:totp")
