"""Users, dossiers and files for the dossier tests: real collectivités, real file content."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from itertools import count

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.attachments import add_piece
from guichet.dossiers.models import Dossier, PieceKind
from guichet.dossiers.workflow import Actor
from guichet.rules.siret import establishment_siret

_n = count(1)

REAL_CALL = "fitn7-axe3-puy-de-dome-2021"
# Inside the real call's window: the first session (7 June 2021).
IN_WINDOW = dt.datetime(2021, 6, 1, 10, 0, tzinfo=dt.UTC)


def agent(kind: str = "commune", code: str = "63040", name: str = "Billom", **fields) -> User:
    """A confirmed agent of a collectivité (Billom by default)."""
    user = User.objects.create_user(
        email=fields.pop("email", f"agent{next(_n)}@mairie.example.fr"),
        password="Un-mot-de-passe-solide-42",
        first_name=fields.pop("first_name", "Claire"),
        last_name=fields.pop("last_name", "Martin"),
        function=fields.pop("function", "Secrétaire de mairie"),
        **fields,
    )
    user.set_collectivity(kind, code, name, "2021")
    user.email_confirmed_at = IN_WINDOW
    user.save()
    return user


def reviewer(*, role: str = "reviewer", arrondissements: tuple[str, ...] = (), **fields) -> User:
    """An agent of the préfecture with ``role`` in every call (the whole département by default)."""
    from guichet.review.models import AgentRole

    user = User.objects.create_user(
        email=fields.pop("email", f"instructeur{next(_n)}@puy-de-dome.gouv.fr"),
        password="Un-mot-de-passe-solide-42",
        first_name="Paul",
        last_name="Instructeur",
        **fields,
    )
    for call in Call.objects.all():
        AgentRole.objects.create(
            user=user, call=call, role=role, arrondissements=list(arrondissements)
        )
    return user


def pdf_bytes() -> bytes:
    """A real one-page PDF (uploads are parsed: a header and %%EOF around nothing is refused)."""
    from tests.documents.samples import pdf_bytes as one_page_pdf

    return one_page_pdf()


def pdf_upload(name: str = "devis-signe.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def png_upload(name: str = "rib.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def draft(user: User | None = None, call_slug: str = REAL_CALL) -> Dossier:
    user = user or agent()
    collectivity = user.collectivity
    assert collectivity is not None
    return services.create_draft(
        user, Call.objects.get(slug=call_slug), kind=collectivity.kind, code=collectivity.code
    )


# A valid SIRET (Luhn) for a collectivité whose SIREN the reference data lacks (its first nine
# digits are then not checked).
ANY_SIRET = "21630040000019"


def siret_for(dossier: Dossier) -> str:
    """A SIRET of the dossier's collectivité: its SIREN, then NIC 0001 and the Luhn digit."""
    siren = services.applicant_siren(dossier)
    return establishment_siret(siren) if siren else ANY_SIRET


def complete(
    dossier: Dossier, user: User, *, cost: str = "8000", requested: str | None = None
) -> Dossier:
    """Fill every step so that the dossier can be submitted."""
    services.update(
        dossier,
        user,
        Actor.APPLICANT,
        {
            "siret": siret_for(dossier),
            "contact_name": "Claire Martin",
            "contact_function": "Secrétaire de mairie",
            "contact_email": "claire.martin@mairie.example.fr",
            "contact_phone": "04 73 68 39 85",
            "title": "Portail citoyen et prise de rendez-vous en ligne",
            "summary": "Dématérialiser les démarches d’état civil.",
            "category": "3",
            "examples": ["dématérialiser une démarche de service public"],
            "description": "Un portail pour les démarches d’état civil et d’urbanisme.",
            "daily_life_effect": "Moins de déplacements en mairie pour les habitants.",
            "participatory": False,
            "innovation": "Rendez-vous en ligne pour les cartes d’identité.",
            "solution_choice": "Solution mutualisée proposée par le syndicat départemental.",
            "agents_reached": 4,
            "users_reached": 4700,
            "governance": "Comité de pilotage municipal.",
            "pooling": "",
            "requested_amount": Decimal(requested or "5000"),
            "engagement_date": dt.date(2021, 9, 1),
            "end_date": dt.date(2022, 3, 31),
            "sworn_statement": True,
        },
    )
    services.replace_cost_lines(
        dossier,
        user,
        Actor.APPLICANT,
        [
            {
                "nature": "Logiciel de portail citoyen",
                "supplier": "Éditeur public",
                "amount_excl_vat": Decimal(cost),
                "amount_incl_vat": Decimal(cost) * Decimal("1.2"),
            }
        ],
    )
    add_piece(dossier, user, PieceKind.QUOTE, pdf_upload())
    add_piece(dossier, user, PieceKind.DELIBERATION, pdf_upload("deliberation.pdf"))
    add_piece(dossier, user, PieceKind.BANK_DETAILS, png_upload())
    dossier.refresh_from_db()
    return dossier
