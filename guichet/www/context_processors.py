from django.conf import settings


def site(request):
    """What the DSFR templates read as SITE_CONFIG, without a database query per page."""
    g = settings.GUICHET
    return {
        "SITE_CONFIG": {
            "site_title": g["SITE_TITLE"],
            "site_tagline": g["SITE_TAGLINE"],
            "footer_description": (
                "guichet est le service numérique avec lequel une préfecture conduit un appel à "
                "projets de subventions aux collectivités territoriales, et avec lequel celles-ci "
                "candidatent."
            ),
            "beta_tag": True,
        }
    }
