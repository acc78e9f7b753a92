"""PDF documents written by the service (receipts, decisions), rendered by WeasyPrint.

Templates extend ``documents/base.html`` (A4, the « République française » block, the service's
name, title, date, « Page 1 sur 2 » in the footer, Marianne from the DSFR's own font files).
Rendering never touches the network: :class:`LocalStaticFetcher` serves static files from
disk and ``data:`` URLs, and refuses everything else (http, https, other files).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils._os import safe_join
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from guichet import clock

# Relative URLs in templates (``{% static %}`` gives ``/static/…``) resolve against this base,
# so that the fetcher sees ``file:///static/…``, which it maps to the static files.
BASE_URL = "file:///"


class ResourceRefused(ValueError):
    """A template asked for a resource that PDF rendering does not fetch."""


class LocalStaticFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that only serves static files and ``data:`` URLs.

    ``file:///static/…`` (or the absolute STATIC_URL) is looked up in STATIC_ROOT (collected,
    possibly hashed names) and then through the static files finders (development and tests).
    Anything else raises :class:`ResourceRefused`; WeasyPrint logs it and renders without it.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        path = self.static_path(url)
        if path is None:
            raise ResourceRefused(f"PDF rendering fetches no external resource: {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )

    @staticmethod
    def static_path(url: str) -> Path | None:
        """The file on disk for a static URL, or None."""
        static_url = settings.STATIC_URL or "/static/"
        parts = urlsplit(url)
        if url.startswith(static_url) and "://" in static_url:
            name = url[len(static_url) :]
        elif parts.scheme == "file" and parts.netloc in ("", "localhost"):
            prefix = urlsplit(static_url).path
            if not parts.path.startswith(prefix):
                return None
            name = parts.path[len(prefix) :]
        else:
            return None
        name = unquote(name.split("?", 1)[0].split("#", 1)[0])
        if not name or ".." in name.split("/") or name.startswith("/"):
            return None
        candidates: list[str] = []
        if settings.STATIC_ROOT:
            try:
                candidates.append(safe_join(str(settings.STATIC_ROOT), name))
            except SuspiciousFileOperation:
                return None
        found = finders.find(name)
        if isinstance(found, str):
            candidates.append(found)
        for candidate in candidates:
            path = Path(candidate)
            if path.is_file():
                return path
        return None


def render_pdf(
    template_name: str, context: dict[str, Any], *, request: HttpRequest | None = None
) -> bytes:
    """Render a template (usually extending ``documents/base.html``) to PDF bytes, in French.

    Context read by the base template: ``title`` (also the PDF's title), ``service`` (the
    issuing préfecture, e.g. « Préfecture du Puy-de-Dôme »), ``date`` (default: today in Paris)
    and optionally ``place`` (« Clermont-Ferrand, le … »). ``request`` only gives the template
    the usual request context (user, CSRF are not needed in print). No network access: see
    :class:`LocalStaticFetcher`.
    """
    full_context = {"date": clock.today(), **context}
    with translation.override("fr"):
        html = render_to_string(template_name, full_context, request=request)
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=LocalStaticFetcher())
        return document.write_pdf()
