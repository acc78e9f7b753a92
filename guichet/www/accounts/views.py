"""Account pages: sign-up, confirmation, sign-in, sign-out, password reset, « Mon compte », ProConnect."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.accounts import history, proconnect, services, throttling, two_factor
from guichet.accounts.forms import (
    AgentProfileForm,
    EmailForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    ResetForm,
    SignUpForm,
)
from guichet.accounts.models import User
from guichet.accounts.passwords import RULE_TEXT

from . import token_views, totp_views
from .redirects import landing_url, safe_next

logger = logging.getLogger(__name__)

SIGNUP_EMAIL = "accounts:signup-email"
PROCONNECT_FLOW = "accounts:proconnect-flow"
PROCONNECT_ID_TOKEN = "accounts:proconnect-id-token"
RESEND_EVERY = services.RESEND_EVERY


def _page(title: str, **extra):
    return {
        "title": title,
        "breadcrumb": [{"url": reverse("public:home"), "title": "Accueil"}, {"title": title}],
        "proconnect_enabled": proconnect.enabled(),
        "collectivity_search_url": reverse("public:collectivity-search"),
        "password_rules": f"{RULE_TEXT} Ni votre adresse électronique, ni votre nom.",
        **extra,
    }


SIGNUP_NEXT = "accounts:signup-next"


def _send_confirmation_throttled(request: HttpRequest, user: User) -> None:
    # One e-mail a minute per address at most, whoever asks.
    if cache.add(f"accounts:confirmation-sent:{user.pk}", True, RESEND_EVERY):
        services.send_confirmation_email(request, user)


# --------------------------------------------------------------------------------------------
# Sign-up and confirmation


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    # Where the new user was going (« Déposer un dossier »): kept through the confirmation link.
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST" and form.is_valid():
        services.sign_up(request, form, next_url=next_url)
        request.session[SIGNUP_EMAIL] = form.cleaned_data["email"]
        request.session[SIGNUP_NEXT] = next_url
        return redirect("accounts:signup-done")
    return render(
        request,
        "accounts/signup.html",
        _page("Créer un compte", form=form, vintage=form.vintage, next=next_url),
    )


@require_GET
def signup_done(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SIGNUP_EMAIL)
    if not email:
        return redirect("accounts:signup")
    return render(
        request,
        "accounts/signup_done.html",
        _page("Confirmez votre adresse", email=email, next=request.session.get(SIGNUP_NEXT, "")),
    )


@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.user_from_confirmation_token(token)
    except services.ConfirmationError as error:
        return render(
            request,
            "accounts/confirm_failed.html",
            _page("Lien de confirmation inutilisable", expired=error.expired, form=EmailForm()),
            status=400,
        )
    newly = services.confirm_email(user)
    return render(
        request,
        "accounts/confirmed.html",
        _page(
            "Adresse électronique confirmée",
            newly=newly,
            confirmed_email=user.email,
            next=safe_next(request, request.GET.get("next")),
        ),
    )


@require_http_methods(["GET", "POST"])
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(
            email__iexact=form.cleaned_data["email"], is_active=True, email_confirmed_at=None
        ).first()
        if user is not None:
            _send_confirmation_throttled(request, user)
        request.session[SIGNUP_EMAIL] = form.cleaned_data["email"]
        messages.info(
            request,
            "Si un compte en attente de confirmation correspond à cette adresse, un nouveau lien "
            "vient de lui être envoyé.",
        )
        return redirect("accounts:signup-done")
    return render(
        request, "accounts/resend_confirmation.html", _page("Recevoir un nouveau lien", form=form)
    )


# --------------------------------------------------------------------------------------------
# Sign-in and sign-out


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_page("Se connecter"))
        return context

    def get_redirect_url(self):
        return safe_next(self.request, super().get_redirect_url())

    def get_default_redirect_url(self):
        return landing_url(getattr(self, "signing_in", None) or self.request.user)

    def form_valid(self, form):
        # Two-factor authentication (guichet.accounts.two_factor): an account with an
        # authenticator application gives a code before the session is opened; an account
        # that must have one (staff, programme manager) is sent to set it up.
        user = self.signing_in = form.get_user()
        if two_factor.enabled(user):
            return totp_views.begin(self.request, user, self.get_redirect_url())
        response = super().form_valid(form)
        if two_factor.must_set_up(self.request):
            return redirect(totp_views.setup_url(self.get_success_url()))
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked is not None:
            response.status_code = 429
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    id_token = request.session.get(PROCONNECT_ID_TOKEN)
    logout(request)
    if id_token and proconnect.enabled():
        url = proconnect.end_session_url(
            id_token, request.build_absolute_uri(reverse("accounts:proconnect-logged-out"))
        )
        if url:
            return redirect(url)
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --------------------------------------------------------------------------------------------
# Password reset (Django's views, French pages and e-mails)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_page("Mot de passe oublié"))
        return context


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_page("Consultez votre messagerie")}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_page("Choisir un nouveau mot de passe")}

    def form_valid(self, form):
        throttling.reset(form.user.email, throttling.client_ip(self.request))
        throttling.reset_account(form.user.email)
        return super().form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_page("Mot de passe modifié")}


# --------------------------------------------------------------------------------------------
# « Mon compte »


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    return _profile(request, completing=False)


@login_required
@require_http_methods(["GET", "POST"])
def complete_profile(request: HttpRequest) -> HttpResponse:
    return _profile(request, completing=True)


def _profile(
    request: HttpRequest, completing: bool, tokens: dict[str, Any] | None = None
) -> HttpResponse:
    """The page; ``tokens``: what a post to the API tokens' forms shows (the profile's form is
    then left unbound)."""
    user: User = request.user  # type: ignore[assignment]
    agent = services.is_agent(user)
    data = (request.POST or None) if tokens is None else None
    form = AgentProfileForm(data, instance=user) if agent else ProfileForm(data, instance=user)
    if request.method == "POST" and tokens is None and form.is_valid():
        services.save_profile(form, actor=user)
        if completing:
            messages.success(request, "Votre profil est complet. Bienvenue !")
            return redirect(safe_next(request, request.POST.get("next")) or landing_url(user))
        messages.success(request, "Vos informations sont enregistrées.")
        return redirect("accounts:account")
    title = "Complétez votre profil" if completing else "Mon compte"
    return render(
        request,
        "accounts/account.html",
        _page(
            title,
            form=form,
            completing=completing,
            agent=agent,
            agent_services=services.agent_services(user) if agent else [],
            vintage=getattr(form, "vintage", ""),
            next=safe_next(request, request.POST.get("next") or request.GET.get("next")),
            events=history.recent(user),
            **(token_views.section(request, **(tokens or {})) if agent and not completing else {}),
        ),
    )


# --------------------------------------------------------------------------------------------
# ProConnect


def _proconnect_error(request: HttpRequest, error: proconnect.ProConnectError, status: int):
    logger.warning("ProConnect sign-in failed: %s", error.detail)
    return render(
        request,
        "accounts/proconnect_error.html",
        _page("Connexion avec ProConnect impossible", message=str(error)),
        status=status,
    )


def _require_proconnect() -> None:
    if not proconnect.enabled():
        raise Http404("ProConnect n’est pas activé.")


@require_GET
def proconnect_login(request: HttpRequest) -> HttpResponse:
    _require_proconnect()
    redirect_uri = request.build_absolute_uri(reverse("accounts:proconnect-callback"))
    try:
        auth = proconnect.authorization(redirect_uri)
    except proconnect.ProConnectError as error:
        return _proconnect_error(request, error, 502)
    request.session[PROCONNECT_FLOW] = {
        "state": auth.state,
        "nonce": auth.nonce,
        "verifier": auth.code_verifier,
        "next": request.GET.get("next", ""),
    }
    return redirect(auth.url)


@require_GET
def proconnect_callback(request: HttpRequest) -> HttpResponse:
    _require_proconnect()
    flow = request.session.pop(PROCONNECT_FLOW, None)
    state = request.GET.get("state", "")
    if not flow or not state or not secrets.compare_digest(state, flow.get("state", "")):
        error = proconnect.ProConnectError(proconnect.REJECTED, "state mismatch or no flow")
        return _proconnect_error(request, error, 400)
    if request.GET.get("error") or not request.GET.get("code"):
        error = proconnect.ProConnectError(
            "La connexion avec ProConnect a été annulée ou refusée. Vous pouvez recommencer, ou "
            "vous connecter avec votre adresse électronique et votre mot de passe.",
            f"provider error {request.GET.get('error')!r}: {request.GET.get('error_description')}",
        )
        return _proconnect_error(request, error, 400)
    redirect_uri = request.build_absolute_uri(reverse("accounts:proconnect-callback"))
    try:
        identity = proconnect.complete(
            request.GET["code"], redirect_uri, flow["nonce"], flow["verifier"]
        )
    except proconnect.ProConnectError as error:
        status = 502 if error.args[0] == proconnect.UNAVAILABLE else 400
        return _proconnect_error(request, error, status)

    user = _user_for(identity)
    if not user.is_active:
        error = proconnect.ProConnectError(LoginForm.error_messages["inactive"], "inactive user")
        return _proconnect_error(request, error, 403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[PROCONNECT_ID_TOKEN] = identity.id_token
    totp_views.signed_in(request, "proconnect")  # no TOTP step: see totp_views
    next_url = safe_next(request, flow.get("next")) or landing_url(user)
    if not user.profile_complete and not user.is_staff and not user.agent_roles.exists():
        query = urlencode({"next": next_url})
        return redirect(f"{reverse('accounts:complete-profile')}?{query}")
    return redirect(next_url)


@transaction.atomic
def _user_for(identity: proconnect.Identity) -> User:
    """The account of this ProConnect identity: by its ``sub``, else by e-mail, else a new one."""
    user = User.objects.select_for_update().filter(proconnect_sub=identity.sub).first()
    if user is None:
        user = User.objects.select_for_update().filter(email__iexact=identity.email).first()
    if user is None:
        user = User(email=identity.email)
        user.set_unusable_password()
    user.proconnect_sub = identity.sub
    user.first_name = user.first_name or identity.given_name[:150]
    user.last_name = user.last_name or identity.usual_name[:150]
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()  # ProConnect vouches for the address
    if user.collectivity is None and identity.siret:
        found = services.collectivity_by_siren(identity.siret[:9], services.current_vintage())
        if found is not None:
            user.set_collectivity(found.kind, found.code, found.name, found.vintage)
    user.save()
    return user


@require_GET
def proconnect_logged_out(request: HttpRequest) -> HttpResponse:
    _require_proconnect()
    return redirect(settings.LOGOUT_REDIRECT_URL)
