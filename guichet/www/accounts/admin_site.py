"""The Django admin behind the site's own sign-in: password, delay after failures, second factor.

Django's admin has its own login form, which checks the password only. Here ``login`` sends to
the site's sign-in (``accounts:login?next=…``), where the delay and the code apply; a staff
account already signed in without a verified code (through ProConnect, say) is asked for its
code, or to set the second factor up first. ``has_permission`` refuses any session whose second
factor was not verified by this site (``two_factor.may_use_admin``), whatever opened it.
``GUICHET_ADMIN=0`` removes the admin's URLs altogether (``config/urls.py``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from guichet.accounts import two_factor

from .redirects import safe_next


class AdminSite(admin.AdminSite):
    site_header = "guichet — administration"
    site_title = "guichet — administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and two_factor.may_use_admin(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        next_url = safe_next(request, request.GET.get("next")) or reverse("admin:index")
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("Ce compte n’a pas accès à l’administration.")
        if self.has_permission(request):
            return redirect(next_url)
        if not two_factor.enabled(user):
            return redirect(f"{reverse('accounts:totp')}?{urlencode({'next': next_url})}")
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': next_url})}")
