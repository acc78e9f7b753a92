from django.apps import AppConfig


class PeriodicConfig(AppConfig):
    name = "guichet.periodic"
    verbose_name = "Travaux périodiques"
