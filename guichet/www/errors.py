"""The error pages: 400, 403 (and a refused CSRF token), 404, 405 and 500, in French, DSFR look.

None of them reads the request's body: a 400 is often the body itself being unreadable (a
charset other than UTF-8, a broken multipart boundary, too many fields), and reading
``request.POST`` again there would raise again, ending in a 500 that the log shows as a 400.
The 500 page is rendered without the request, so no context processor, session or database is
needed to show it; every other page falls back to it if it cannot be rendered itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template import loader
from django.template.response import TemplateResponse

logger = logging.getLogger(__name__)

_PICTOGRAMS = "dsfr/dist/artwork/pictograms/system/"
# The only views whose GET gets a button that sends the POST they expect: starting a dossier is
# harmless to repeat and is linked from e-mails and bookmarks. Other POST-only actions (withdraw,
# remove a piece) must not become one click from a link.
RETRY_POST = {"applicant:create": "Commencer le dossier"}


@dataclass(frozen=True)
class ErrorPage:
    status: int
    title: str
    lead: str
    detail: str
    pictogram: str


PAGES = {
    400: ErrorPage(
        400,
        "Demande illisible",
        "Le service n’a pas pu lire ce que votre navigateur a envoyé.",
        "Revenez à la page précédente, rechargez-la, puis envoyez le formulaire à nouveau.",
        "technical-error.svg",
    ),
    403: ErrorPage(
        403,
        "Accès refusé",
        "Vous n’avez pas accès à cette page.",
        "Si vous pensez que c’est une erreur, vérifiez le compte avec lequel vous êtes connecté, "
        "ou demandez l’accès au service instructeur de l’appel.",
        "padlock.svg",
    ),
    404: ErrorPage(
        404,
        "Page introuvable",
        "La page que vous cherchez n’existe pas ou n’est plus disponible.",
        "Si vous avez tapé l’adresse dans le navigateur, vérifiez qu’elle est correcte.",
        "error.svg",
    ),
    405: ErrorPage(
        405,
        "Cette page s’ouvre depuis un bouton",
        "Cette adresse répond à un bouton du site, pas à un lien ni à une adresse tapée.",
        "Revenez à la page précédente et utilisez le bouton prévu.",
        "system.svg",
    ),
}
CSRF = ErrorPage(
    403,
    "Formulaire expiré",
    "Le formulaire n’a pas pu être envoyé : la page était ouverte depuis trop longtemps, ou les "
    "cookies de ce site sont bloqués.",
    "Rechargez la page, saisissez à nouveau ce qui n’a pas été enregistré, puis envoyez-la. "
    "Le site a besoin de ses cookies pour vous reconnaître.",
    "padlock.svg",
)


def _static_500(status: int = 500) -> HttpResponse:
    """The 500 page: a template with static files only, rendered without the request."""
    try:
        html = loader.get_template("500.html").render()
    except Exception:  # the last resort must not fail: plain French text
        logger.exception("La page d’erreur 500 n’a pas pu être rendue.")
        html = (
            '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            "<title>Erreur — guichet</title></head><body><main><h1>Erreur inattendue</h1>"
            "<p>Le service rencontre un problème. Réessayez dans quelques minutes.</p>"
            '<p><a href="/">Page d’accueil</a></p></main></body></html>'
        )
    return HttpResponse(html, status=status)


def render_error(
    request: HttpRequest, page: ErrorPage, *, retry: str | None = None
) -> HttpResponse:
    context = {
        "title": page.title,
        "code": f"Erreur {page.status}",
        "lead": page.lead,
        "detail": page.detail,
        "pictogram": _PICTOGRAMS + page.pictogram,
        "retry_post_url": request.path if retry else "",
        "retry_label": retry or "",
    }
    try:
        response = TemplateResponse(request, "errors/page.html", context, status=page.status)
        return response.render()
    except Exception:  # e.g. the database is down and the header asks who is signed in
        logger.exception("La page d’erreur %s n’a pas pu être rendue.", page.status)
        return _static_500(page.status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, PAGES[400])


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, PAGES[403])


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, PAGES[404])


def server_error(request: HttpRequest) -> HttpResponse:
    return _static_500()


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the token was missing or stale. Reads neither POST nor FILES."""
    return render_error(request, CSRF)


class MethodNotAllowedPage:
    """Gives the empty 405 of ``require_POST`` and ``require_GET`` a French page.

    Django's decorators answer a bare ``HttpResponseNotAllowed``; this keeps its status and its
    ``Allow`` header and gives it a body. Last in MIDDLEWARE, so that the page knows the user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or response.content:
            return response
        match = request.resolver_match
        retry = None
        if request.method == "GET" and match is not None and "POST" in response["Allow"]:
            retry = RETRY_POST.get(match.view_name)
        page = render_error(request, PAGES[405], retry=retry)
        page["Allow"] = response["Allow"]
        return page
