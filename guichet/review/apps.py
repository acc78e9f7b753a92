from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "guichet.review"
    verbose_name = "Instruction"
