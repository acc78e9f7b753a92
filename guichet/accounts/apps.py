from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "guichet.accounts"
    verbose_name = "Comptes"


class GuichetAdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose site signs in through the site's own sign-in and second factor."""

    default = False
    default_site = "guichet.www.accounts.admin_site.AdminSite"
