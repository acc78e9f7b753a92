from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: the DSFR's Marianne."""
    return redirect(static("dsfr/dist/favicon/favicon.ico"), permanent=True)


urlpatterns = [
    path("favicon.ico", favicon),
    path("api/v1/", include("guichet.api.urls")),
    path("compte/", include("guichet.www.accounts.urls")),
    path("mes-dossiers/", include("guichet.www.applicant.urls")),
    path("instruction/", include("guichet.www.backoffice.urls")),
    path("", include("guichet.www.public.urls")),
]
if settings.GUICHET_ADMIN:
    # Behind the site's sign-in and second factor: guichet.www.accounts.admin_site.
    urlpatterns.insert(0, path("admin/", admin.site.urls))

# French pages in the DSFR look; none of them reads the request's body (guichet/www/errors.py).
handler400 = "guichet.www.errors.bad_request"
handler403 = "guichet.www.errors.permission_denied"
handler404 = "guichet.www.errors.not_found"
handler500 = "guichet.www.errors.server_error"
