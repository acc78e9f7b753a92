from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "guichet.exports"
    verbose_name = "Exports"
