from django.urls import path

from . import views

app_name = "backoffice"
urlpatterns = [
    path("", views.dossier_list, name="dossiers"),
    path("dossiers/<uuid:uuid>/", views.dossier_detail, name="dossier"),
    path("dossiers/<uuid:uuid>/instruction/", views.start_review, name="start-review"),
    path("dossiers/<uuid:uuid>/corrections/", views.request_correction, name="request-correction"),
    path("dossiers/<uuid:uuid>/messages/", views.message_post, name="message-post"),
    path(
        "dossiers/<uuid:uuid>/pieces/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "dossiers/<uuid:uuid>/messages/pieces/<int:attachment_id>/",
        views.message_attachment_download,
        name="message-attachment",
    ),
]
