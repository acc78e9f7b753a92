from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "guichet.simulator"
    verbose_name = "Simulateur"
