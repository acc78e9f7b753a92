from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "guichet.documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
