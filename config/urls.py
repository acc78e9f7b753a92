from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("compte/", include("guichet.www.accounts.urls")),
    path("mes-dossiers/", include("guichet.www.applicant.urls")),
    path("instruction/", include("guichet.www.backoffice.urls")),
    path("", include("guichet.www.public.urls")),
]

handler404 = "guichet.www.public.views.not_found"
handler500 = "guichet.www.public.views.server_error"
