from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("appels/<slug:slug>/", views.call_detail, name="call"),
    path("appels/<slug:slug>/simulateur/", views.simulator, name="simulator"),
    path("appels/<slug:slug>/deposer/", views.apply, name="apply"),
    path("appels/<slug:slug>/resultats/", views.results, name="results"),
    path(
        "appels/<slug:slug>/donnees/subventions.csv",
        views.open_data,
        {"fmt": "csv"},
        name="open-data-csv",
    ),
    path(
        "appels/<slug:slug>/donnees/subventions.json",
        views.open_data,
        {"fmt": "json"},
        name="open-data-json",
    ),
    path("collectivites/recherche/", views.collectivity_search, name="collectivity-search"),
    path("accessibilite/", views.accessibility, name="accessibility"),
]
