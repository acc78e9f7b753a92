from django.apps import AppConfig


class ApplicantConfig(AppConfig):
    name = "guichet.www.applicant"
    label = "www_applicant"
    verbose_name = "Espace des collectivités"
