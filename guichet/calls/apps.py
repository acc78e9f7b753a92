from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "guichet.calls"
    verbose_name = "Appels à projets"
