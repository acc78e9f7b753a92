"""The site's URLs plus views that fail on purpose, for the error pages' tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def forbidden(request):
    raise PermissionDenied("réservé")


def unreadable(request):
    raise BadRequest("illisible")


def broken(request):
    raise RuntimeError("une panne")


urlpatterns = [
    path("essai/interdit/", forbidden),
    path("essai/illisible/", unreadable),
    path("essai/panne/", broken),
    *urlpatterns,
]
