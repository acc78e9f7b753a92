from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "guichet.dossiers"
    verbose_name = "Dossiers"
