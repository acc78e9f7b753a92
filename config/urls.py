from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("compte/", include("guichet.www.accounts.urls")),
    path("mes-dossiers/", include("guichet.www.applicant.urls")),
    path("instruction/", include("guichet.www.backoffice.urls")),
    path("", include("guichet.www.public.urls")),
]
if settings.GUICHET_ADMIN:
    # Behind the site's sign-in and second factor: guichet.www.accounts.admin_site.
    urlpatterns.insert(0, path("admin/", admin.site.urls))

handler404 = "guichet.www.public.views.not_found"
handler500 = "guichet.www.public.views.server_error"
