from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "guichet.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # drf-spectacular learns the bearer scheme of our authentication class from this import.
        from . import schema  # noqa: F401
