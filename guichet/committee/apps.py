from django.apps import AppConfig


class CommitteeConfig(AppConfig):
    name = "guichet.committee"
    verbose_name = "Comité de sélection"
