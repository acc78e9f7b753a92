from django.urls import path

from . import views

app_name = "applicant"
urlpatterns = [
    path("", views.dossier_list, name="dossiers"),
]
