from django.urls import path

from . import (
    agents_views,
    decision_views,
    export_views,
    grant_follow_views,
    grant_views,
    list_views,
    meeting_views,
    views,
)

app_name = "backoffice"
urlpatterns = [
    path("", list_views.dossier_list, name="dossiers"),
    path("dossiers/actions/", list_views.bulk_action, name="bulk"),
    path("exports/", export_views.export_create, name="export-create"),
    path("exports/<uuid:uuid>/", export_views.export_status, name="export"),
    path("exports/<uuid:uuid>/fichier/", export_views.export_download, name="export-download"),
    path("dossiers/<uuid:uuid>/", views.dossier_detail, name="dossier"),
    path("dossiers/<uuid:uuid>/instruction/", views.start_review, name="start-review"),
    path("dossiers/<uuid:uuid>/corrections/", views.request_correction, name="request-correction"),
    path("dossiers/<uuid:uuid>/messages/", views.message_post, name="message-post"),
    path("dossiers/<uuid:uuid>/notation/", views.score_post, name="score"),
    path("dossiers/<uuid:uuid>/proposition/", views.propose, name="propose"),
    path("dossiers/<uuid:uuid>/population/", views.correct_population, name="population"),
    path("dossiers/<uuid:uuid>/notes/", views.note_post, name="note"),
    path("dossiers/<uuid:uuid>/inviter-le-porteur/", views.invite_contact, name="invite-contact"),
    path("dossiers/<uuid:uuid>/affectation/", views.assign, name="assign"),
    path("dossiers/<uuid:uuid>/me-l-attribuer/", views.take, name="take"),
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
    path("appels/<slug:slug>/agents/", agents_views.agent_list, name="agents"),
    path("appels/<slug:slug>/agents/inviter/", agents_views.agent_invite, name="agent-invite"),
    path("appels/<slug:slug>/agents/<int:role_id>/", agents_views.agent_edit, name="agent-edit"),
    path(
        "appels/<slug:slug>/agents/<int:role_id>/presidence/",
        agents_views.agent_chair,
        name="agent-chair",
    ),
    path(
        "appels/<slug:slug>/agents/<int:role_id>/retirer/",
        agents_views.agent_remove,
        name="agent-remove",
    ),
    # The committee (meeting_views)
    path("appels/<slug:slug>/comite/", meeting_views.committee_home, name="committee"),
    path(
        "appels/<slug:slug>/comite/seances/nouvelle/",
        meeting_views.meeting_create,
        name="meeting-create",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/",
        meeting_views.meeting_detail,
        name="meeting",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/ordre-du-jour/",
        meeting_views.meeting_agenda,
        name="meeting-agenda",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/convocation/",
        meeting_views.meeting_convene,
        name="meeting-convene",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/ouverture/",
        meeting_views.meeting_open,
        name="meeting-open",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/cloture/",
        meeting_views.meeting_close,
        name="meeting-close",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/documents/<str:kind>/",
        meeting_views.meeting_document,
        name="meeting-document",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/dossiers/<int:item_id>/conflit/",
        meeting_views.item_conflict,
        name="item-conflict",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/dossiers/<int:item_id>/programmation/",
        meeting_views.item_programming,
        name="item-programming",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/adoption/",
        meeting_views.meeting_adopt,
        name="meeting-adopt",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/dossiers/<int:item_id>/vote/",
        meeting_views.item_vote,
        name="item-vote",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/dossiers/<int:item_id>/decision/",
        meeting_views.item_decide,
        name="item-decide",
    ),
    path(
        "appels/<slug:slug>/agents/invitation/<str:token>/",
        agents_views.agent_invitation,
        name="agent-invitation",
    ),
]

# The decisions' documents of a closed meeting (decision_views).
urlpatterns += [
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/decisions/",
        decision_views.decision_list,
        name="decisions",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/decisions/generer/",
        decision_views.decisions_generate,
        name="decisions-generate",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/decisions/progression/",
        decision_views.decisions_progress,
        name="decisions-progress",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/decisions/scan-signe/",
        decision_views.decision_scan,
        name="decision-scan",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/decisions/notifier/",
        decision_views.decisions_notify,
        name="decisions-notify",
    ),
    path(
        "appels/<slug:slug>/comite/seances/<int:number>/decisions/<uuid:uuid>/notifier/",
        decision_views.decision_notify,
        name="decision-notify",
    ),
    path(
        "appels/<slug:slug>/decisions/<uuid:uuid>/",
        decision_views.decision_file,
        name="decision-file",
    ),
    path(
        "appels/<slug:slug>/decisions/<uuid:uuid>/scan-signe/",
        decision_views.decision_signed_file,
        name="decision-signed-file",
    ),
]

# The call's grants: the list, the lapse, its notice, the accounting exports (grant_views).
urlpatterns += [
    path("appels/<slug:slug>/subventions/", grant_views.grant_list, name="grants"),
    path("appels/<slug:slug>/subventions/export/", grant_views.grants_export, name="grants-export"),
    path(
        "appels/<slug:slug>/subventions/<int:grant_id>/caducite/",
        grant_views.grant_lapse,
        name="grant-lapse",
    ),
    path(
        "appels/<slug:slug>/subventions/<int:grant_id>/caducite/notification/",
        grant_views.lapse_notice,
        name="lapse-notice",
    ),
]

# After the decision: one grant's page and its payment requests (grant_follow_views).
GRANT = "dossiers/<uuid:uuid>/subvention/"
REQUEST = GRANT + "demandes/<uuid:request_uuid>/"
urlpatterns += [
    path(GRANT, grant_follow_views.grant_detail, name="grant"),
    path(
        GRANT + "engagements/<int:proof_id>/fichier/",
        grant_follow_views.engagement_file,
        name="engagement-file",
    ),
    path(
        GRANT + "engagements/<int:proof_id>/valider/",
        grant_follow_views.engagement_validate,
        name="engagement-validate",
    ),
    path(
        GRANT + "engagements/<int:proof_id>/refuser/",
        grant_follow_views.engagement_refuse,
        name="engagement-refuse",
    ),
    path(
        GRANT + "engagement-juridique/",
        grant_follow_views.legal_commitment,
        name="legal-commitment",
    ),
    path(REQUEST, grant_follow_views.request_detail, name="payment-request"),
    path(
        REQUEST + "pieces/<int:piece_id>/", grant_follow_views.request_piece, name="request-piece"
    ),
    path(REQUEST + "verifier/", grant_follow_views.request_check, name="request-check"),
    path(REQUEST + "pieces-demandees/", grant_follow_views.request_return, name="request-return"),
    path(REQUEST + "refus/", grant_follow_views.request_refuse, name="request-refuse"),
    path(REQUEST + "service-fait/", grant_follow_views.request_certify, name="request-certify"),
    path(REQUEST + "paiement/", grant_follow_views.request_pay, name="request-pay"),
]
