from django.urls import path

from . import token_views, totp_views, views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("jetons/", token_views.token_create, name="api-token-create"),
    path("jetons/<uuid:uuid>/revoquer/", token_views.token_revoke, name="api-token-revoke"),
    path("profil/", views.complete_profile, name="complete-profile"),
    path("inscription/", views.signup, name="signup"),
    path("inscription/envoyee/", views.signup_done, name="signup-done"),
    path("confirmer/<str:token>/", views.confirm, name="confirm"),
    path("confirmer/", views.resend_confirmation, name="resend-confirmation"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("connexion/code/", totp_views.login_code, name="login-code"),
    path("double-authentification/", totp_views.setup, name="totp"),
    path("connexion/verification/", totp_views.verify, name="verify"),
    path("double-authentification/desactiver/", totp_views.disable, name="totp-disable"),
    path(
        "double-authentification/codes-de-secours/",
        totp_views.regenerate,
        name="totp-recovery-codes",
    ),
    path("deconnexion/", views.logout_view, name="logout"),
    path("mot-de-passe/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/modifie/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("proconnect/connexion/", views.proconnect_login, name="proconnect-login"),
    path("proconnect/retour/", views.proconnect_callback, name="proconnect-callback"),
    path("proconnect/deconnecte/", views.proconnect_logged_out, name="proconnect-logged-out"),
]
