"""render_pdf: French text, pages, metadata, fonts, and no network access."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from pypdf import PdfReader

from guichet import clock
from guichet.documents.pdf import LocalStaticFetcher, ResourceRefused, render_pdf
from guichet.documents.uploads import check_upload

from .samples import upload

PARIS = dt.timezone(dt.timedelta(hours=2))


def read(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def render(**context) -> bytes:
    base = {
        "title": "Accusé de réception",
        "service": "Préfecture du Puy-de-Dôme",
        "place": "Clermont-Ferrand",
        "dossier_name": "Formation des agents à l’accueil numérique",
        "paragraphs": [],
    }
    return render_pdf("documents/_sample.html", {**base, **context})


def test_one_page_with_the_french_text_and_metadata():
    with clock.frozen(dt.datetime(2021, 6, 1, 10, 0, tzinfo=PARIS)):
        content = render()
    assert content.startswith(b"%PDF-")
    reader = read(content)
    assert len(reader.pages) == 1
    text = text_of(reader)
    for expected in (
        "RÉPUBLIQUE",
        "FRANÇAISE",
        "Liberté",
        "Préfecture du Puy-de-Dôme",
        "Accusé de réception",
        "Clermont-Ferrand, le 1er juin 2021",
        "Votre dossier « Formation des agents à l’accueil numérique » a bien été reçu.",
        "Page 1 sur 1",
    ):
        assert expected in text
    assert reader.metadata.title == "Accusé de réception"
    assert reader.metadata.author == "Préfecture du Puy-de-Dôme"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    # A4 in points
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]


def test_page_numbers_on_every_page():
    reader = read(render(paragraphs=["Un paragraphe assez long pour remplir la page. " * 8] * 40))
    pages = len(reader.pages)
    assert pages >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert f"Page {number} sur {pages}" in page.extract_text()


def test_marianne_is_embedded_from_the_dsfr_files():
    reader = read(render())
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("Marianne" in font for font in fonts), fonts


def test_user_text_is_escaped():
    text = text_of(read(render(dossier_name="<b>Mairie</b> & « Cie »")))
    assert "<b>Mairie</b> & « Cie »" in text


def test_the_pdf_passes_the_upload_checks():
    assert check_upload(upload("accusé.pdf", render())).kind == "pdf"


def test_request_is_optional_and_accepted(rf):
    assert render_pdf(
        "documents/_sample.html", {"title": "T", "dossier_name": "D"}, request=rf.get("/")
    ).startswith(b"%PDF-")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/logo.png",
        "https://example.org/logo.png",
        "ftp://example.org/logo.png",
        "file:///etc/passwd",
        "file:///static/../../../etc/passwd",
        "file:///static/%2e%2e/%2e%2e/etc/passwd",
        "file://evil.example/static/dsfr/dist/fonts/Marianne-Regular.woff2",
        "file:///static/does-not-exist.png",
    ],
)
def test_fetcher_refuses_anything_but_local_static_files(url):
    with pytest.raises(ResourceRefused):
        LocalStaticFetcher().fetch(url)


def test_fetcher_serves_static_files_and_data_urls():
    fetcher = LocalStaticFetcher()
    font = fetcher.fetch("file:///static/dsfr/dist/fonts/Marianne-Regular.woff2")
    assert font.read(4) == b"wOF2"
    font.close()
    data = fetcher.fetch("data:text/plain;base64,Qm9uam91cg==")
    assert data.read() == b"Bonjour"
    data.close()


def test_an_external_image_is_skipped_without_any_network_access(monkeypatch, caplog):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("network access during PDF rendering")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    monkeypatch.setattr("socket.socket.connect", no_network)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        content = render(external_image="https://example.org/tracker.png")
    assert len(read(content).pages) == 1
    assert "example.org" in caplog.text
