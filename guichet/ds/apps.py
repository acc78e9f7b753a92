from django.apps import AppConfig


class DsConfig(AppConfig):
    name = "guichet.ds"
    label = "ds"
    verbose_name = "Import depuis Démarches Simplifiées"
