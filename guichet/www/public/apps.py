from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "guichet.www.public"
    label = "public"
    verbose_name = "Pages publiques"
