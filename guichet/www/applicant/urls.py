from django.urls import path

from . import attachments_views, follow_views, grant_views, lapse_views, views

app_name = "applicant"
urlpatterns = [
    path("", views.dossier_list, name="dossiers"),
    path("nouveau/<slug:slug>/", views.dossier_create, name="create"),
    path("invitations/<str:token>/", follow_views.invitation_accept, name="invitation"),
    path("<uuid:uuid>/", follow_views.dossier_detail, name="dossier"),
    path("<uuid:uuid>/accuse-de-reception/", follow_views.receipt_status, name="receipt"),
    path("<uuid:uuid>/caducite/", lapse_views.lapse_notice, name="lapse-notice"),
    path(
        "<uuid:uuid>/decision/<uuid:document>/",
        follow_views.decision_download,
        name="decision",
    ),
    path("<uuid:uuid>/subvention/", grant_views.grant_detail, name="grant"),
    path("<uuid:uuid>/subvention/demande/", grant_views.payment_request, name="payment-request"),
    path(
        "<uuid:uuid>/subvention/demandes/<uuid:request_uuid>/",
        grant_views.payment_request_detail,
        name="payment-request-detail",
    ),
    path(
        "<uuid:uuid>/subvention/demandes/<uuid:request_uuid>/pieces/<int:piece_id>/",
        grant_views.request_piece,
        name="request-piece",
    ),
    path("<uuid:uuid>/etapes/<slug:step>/", views.step, name="step"),
    path("<uuid:uuid>/partenaires/ajouter/", views.partner_add, name="partner-add"),
    path(
        "<uuid:uuid>/partenaires/<int:partner_id>/retirer/",
        views.partner_remove,
        name="partner-remove",
    ),
    path(
        "<uuid:uuid>/pieces/<int:attachment_id>/",
        attachments_views.attachment_download,
        name="attachment",
    ),
    path(
        "<uuid:uuid>/pieces/<int:attachment_id>/retirer/",
        attachments_views.piece_remove,
        name="piece-remove",
    ),
    path(
        "<uuid:uuid>/messages/pieces/<int:attachment_id>/",
        attachments_views.message_attachment_download,
        name="message-attachment",
    ),
    path("<uuid:uuid>/messages/", follow_views.message_post, name="message-post"),
    path("<uuid:uuid>/invitations/", follow_views.invitation_create, name="invite"),
    path("<uuid:uuid>/retrait/", follow_views.withdraw, name="withdraw"),
]
