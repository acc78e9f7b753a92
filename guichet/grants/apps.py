from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "guichet.grants"
    verbose_name = "Subventions attribuées"
