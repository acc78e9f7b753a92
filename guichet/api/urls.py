from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from . import views

app_name = "api"
urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("documentation/", views.documentation_page, name="documentation"),
    path("calls/", views.CallList.as_view(), name="calls"),
    path("calls/<slug:slug>/", views.CallDetail.as_view(), name="call"),
    path("calls/<slug:slug>/open-data/", views.OpenData.as_view(), name="open-data"),
    path("calls/<slug:slug>/envelopes/", views.EnvelopeList.as_view(), name="envelopes"),
    path(
        "calls/<slug:slug>/envelopes/<str:year>/ledger/", views.LedgerList.as_view(), name="ledger"
    ),
    path("calls/<slug:slug>/dossiers/", views.DossierList.as_view(), name="dossiers"),
    path("calls/<slug:slug>/grants/", views.GrantList.as_view(), name="grants"),
    path("calls/<slug:slug>/meetings/", views.MeetingList.as_view(), name="meetings"),
    path("dossiers/<str:uuid>/", views.DossierDetail.as_view(), name="dossier"),
    # Anything else under /api/v1/: a JSON 404 (not the site's HTML page).
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
