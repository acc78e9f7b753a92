"""A closed meeting with a retained and a refused dossier, and PDFs read back as text, images
and scans."""

import datetime as dt
import io

import pypdfium2 as pdfium
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFilter
from pypdf import PdfReader

from guichet import clock
from guichet.committee import services as committee
from guichet.committee.models import Outcome
from guichet.committee.services import DecisionInput

from .factories import MEETING_AT, meeting, proposed

# The documents are made the week after the meeting.
ISSUED_ON = dt.datetime(2021, 7, 20, 9, 0, tzinfo=dt.UTC)
REFUSAL_REASON = "Projet déjà financé par la région Auvergne-Rhône-Alpes."


def closed_meeting(team, retained=(), refused=(), postponed=(), *, amount=None):
    """A meeting of ``team`` that retained, refused and postponed these dossiers, closed."""
    m = meeting(team, [*retained, *refused, *postponed])
    with clock.frozen(MEETING_AT + dt.timedelta(minutes=30)):
        for d in retained:
            committee.decide(
                m.items.get(dossier=d), team.chair,
                DecisionInput(Outcome.RETAINED, amount=amount or d.maximum_amount, year=2021,
                              reason="" if amount is None else "Coût réduit du projet."),
            )  # fmt: skip
        for d in refused:
            committee.decide(
                m.items.get(dossier=d), team.chair,
                DecisionInput(Outcome.REFUSED, reason=REFUSAL_REASON),
            )  # fmt: skip
        for d in postponed:
            committee.decide(m.items.get(dossier=d), team.chair, DecisionInput(Outcome.POSTPONED))
        m = committee.close_meeting(m, team.chair)
    return m


def billom_and_arconsat():
    """Billom (4 777 inhabitants, 8 000 € of costs) and Arconsat."""
    return proposed(), proposed(code="63008", name="Arconsat")


def read(stored) -> bytes:
    stored.file.open("rb")
    try:
        return stored.file.read()
    finally:
        stored.file.close()


def pdf_text(content: bytes) -> str:
    """Every page's text, with the line breaks and repeated spaces of the layout made spaces."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def pages_as_images(content: bytes, dpi: int = 100) -> list[Image.Image]:
    document = pdfium.PdfDocument(content)
    try:
        return [document[i].render(scale=dpi / 72).to_pil() for i in range(len(document))]
    finally:
        document.close()


def scanned(content: bytes, *, name="scan-signe.pdf", pages=None, blur=True) -> SimpleUploadedFile:
    """What a scanner gives back: each page an image (no text layer), slightly blurred and
    turned, in a PDF written by Pillow."""
    images = []
    for image in pages_as_images(content, dpi=150)[:pages]:
        page = image.convert("L").rotate(1.2, expand=True, fillcolor=255)
        if blur:
            page = page.filter(ImageFilter.GaussianBlur(0.6))
        images.append(page)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/pdf")
