"""The read API's endpoints (GET only) and its documentation page.

Who sees what is ``review.permissions``'s, as on the pages: a token reads its call only (any
other call's private endpoints answer 404) and, on it, what its agent may see
(``visible_dossiers``: a reviewer's arrondissements). Anonymous requests read the public
endpoints (calls, open data); the others answer 401.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from guichet.calls.models import Call
from guichet.committee.models import AgendaItem, Meeting
from guichet.committee.services import meetings_for
from guichet.dossiers.models import Dossier
from guichet.grants import opendata
from guichet.grants.listing import visible_grants
from guichet.grants.models import Grant, LedgerEntry
from guichet.grants.services import positions
from guichet.review.permissions import visible_dossiers

from . import documentation, filters
from . import serializers as s
from .authentication import TokenAuthentication, TokenRequired
from .pagination import ordered_by
from .throttling import AnonymousThrottle, TokenThrottle

EXAMPLE_CALL = "fitn7-axe3-puy-de-dome-2021"
TOKEN_NEEDED = (
    "Cette ressource demande un jeton : en-tête « Authorization: Bearer <jeton> », le jeton "
    "étant créé dans « Mon compte »."
)


def _errors(ok: Any) -> dict[int, Any]:
    return {200: ok, 400: s.Error, 401: s.Error, 404: s.Error, 429: s.Error}


SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="Identifiant de l’appel à projets.",
    examples=[OpenApiExample("Puy-de-Dôme 2021", value=EXAMPLE_CALL)],
)  # fmt: skip


class ApiView(generics.GenericAPIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [TokenRequired]
    throttle_classes = [TokenThrottle, AnonymousThrottle]
    renderer_classes = [JSONRenderer]
    filters_class: type[filters.Page] = filters.Page
    public = False

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "auth", None) is not None:
            # What a token reads is an agent's (dossiers, scores, SIRETs): never kept by a cache.
            response["Cache-Control"] = "private, no-store"
        return response

    def permission_denied(self, request: Request, message: Any = None, code: Any = None) -> None:
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated(TOKEN_NEEDED)
        raise NotFound  # never a 403 (review.permissions)

    def params(self) -> dict[str, Any]:
        form = self.filters_class(data=self.request.query_params)
        form.is_valid(raise_exception=True)
        return dict(form.validated_data)

    def the_call(self) -> Call:
        slug = self.kwargs["slug"]
        call = Call.objects.filter(slug=slug).first()
        if call is None or not (self.public or self.request.auth.call_id == call.pk):
            raise NotFound(f"Aucun appel à projets « {slug} ».")
        return call


class PublicView(ApiView):
    permission_classes = [AllowAny]
    public = True


# ---------------------------------------------------------------- public


@extend_schema(
    summary="Les appels à projets",
    description="Tous les appels à projets publiés, par identifiant. Public.",
    parameters=[filters.Page],
    responses=_errors(s.CallSerializer(many=True)),
)
class CallList(PublicView, generics.ListAPIView):
    serializer_class = s.CallSerializer
    pagination_class = ordered_by("slug")

    def get_queryset(self) -> QuerySet[Call]:
        self.params()
        return Call.objects.all()


@extend_schema(
    summary="Un appel à projets",
    description="Ses dates, son service instructeur et son enveloppe totale. Public.",
    parameters=[SLUG],
    responses=_errors(s.CallSerializer),
)
class CallDetail(PublicView, generics.RetrieveAPIView):
    serializer_class = s.CallSerializer

    def get_object(self) -> Call:
        return self.the_call()


@extend_schema(
    summary="Les données ouvertes d’un appel",
    description=(
        "Les subventions attribuées, au schéma SCDL Subventions (les mêmes lignes que le "
        "fichier publié sur la page de l’appel). Public ; 404 pour un appel qui ne publie pas "
        "de données ouvertes."
    ),
    parameters=[SLUG],
    responses=_errors(s.OpenDataSerializer),
)
class OpenData(PublicView):
    serializer_class = s.OpenDataSerializer

    def get(self, request: Request, slug: str) -> Response:
        call = self.the_call()
        try:
            table = opendata.rows(call)
        except opendata.NoOpenData:
            raise NotFound("Cet appel ne publie pas de données ouvertes.") from None
        return Response(
            {"schema": opendata.SCHEMA_NAME, "results": [opendata.typed(r) for r in table]}
        )


# ---------------------------------------------------------------- with a token


@extend_schema(
    summary="Les enveloppes d’un appel",
    description=(
        "Chaque année budgétaire : montant, engagé, libéré, versé et reste à engager, sommés "
        "sur son registre. Jeton de l’appel."
    ),
    parameters=[SLUG],
    responses=_errors(s.EnvelopeSerializer(many=True)),
)
class EnvelopeList(ApiView):
    serializer_class = s.EnvelopeSerializer
    pagination_class = None

    def get(self, request: Request, slug: str) -> Response:
        call = self.the_call()
        return Response(s.EnvelopeSerializer(positions(call), many=True).data)


@extend_schema(
    summary="Le registre d’une enveloppe",
    description=(
        "Les lignes du registre de l’enveloppe d’une année (engagements, libérations, "
        "versements), dans l’ordre où elles ont été écrites, limitées aux dossiers que le jeton "
        "voit. Jeton de l’appel."
    ),
    parameters=[
        SLUG,
        OpenApiParameter(
            "year",
            OpenApiTypes.INT,
            OpenApiParameter.PATH,
            description="Année de l’enveloppe.",
            examples=[OpenApiExample("2021", value=2021)],
        ),
        filters.LedgerFilters,
    ],
    responses=_errors(s.LedgerEntrySerializer(many=True)),
)
class LedgerList(ApiView, generics.ListAPIView):
    serializer_class = s.LedgerEntrySerializer
    filters_class = filters.LedgerFilters
    pagination_class = ordered_by("at", "pk")

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        call = self.the_call()
        year = self.kwargs["year"]
        known = year.isascii() and year.isdigit() and len(year) == 4
        envelope = call.envelopes.filter(year=int(year)).first() if known else None
        if envelope is None:
            raise NotFound(f"L’appel n’a pas d’enveloppe pour l’année « {year} ».")
        params = self.params()
        entries = LedgerEntry.objects.filter(
            envelope=envelope,
            grant__dossier__in=visible_dossiers(self.request.user, call).values("pk"),
        ).select_related("grant__dossier")
        if "kind" in params:
            entries = entries.filter(kind=params["kind"])
        return entries


def _dossiers(user: Any, call: Call) -> QuerySet[Dossier]:
    return visible_dossiers(user, call).prefetch_related("grants", "cost_lines")


@extend_schema(
    summary="Les dossiers d’un appel",
    description=(
        "Les dossiers déposés que l’agent du jeton voit (un instructeur : ses arrondissements), "
        "par numéro : état, verdict et montants. Jeton de l’appel."
    ),
    parameters=[SLUG, filters.DossierFilters],
    responses=_errors(s.DossierSerializer(many=True)),
)
class DossierList(ApiView, generics.ListAPIView):
    serializer_class = s.DossierSerializer
    filters_class = filters.DossierFilters
    pagination_class = ordered_by("number")

    def get_queryset(self) -> QuerySet[Dossier]:
        call = self.the_call()
        params = self.params()
        dossiers = _dossiers(self.request.user, call)
        if "state" in params:
            dossiers = dossiers.filter(state=params["state"])
        if "arrondissement" in params:
            dossiers = dossiers.filter(arrondissement_code=params["arrondissement"])
        if "year" in params:
            dossiers = dossiers.filter(submitted_at__year=params["year"])
        if "updated_since" in params:
            dossiers = dossiers.filter(saved_at__gte=params["updated_since"])
        return dossiers


@extend_schema(
    summary="Un dossier",
    description="Un dossier de l’appel du jeton que son agent voit ; 404 sinon.",
    parameters=[
        OpenApiParameter(
            "uuid",
            OpenApiTypes.UUID,
            OpenApiParameter.PATH,
            description="Identifiant du dossier (celui de ses pages).",
        ),
    ],
    responses=_errors(s.DossierSerializer),
)
class DossierDetail(ApiView, generics.RetrieveAPIView):
    serializer_class = s.DossierSerializer

    def get_object(self) -> Dossier:
        try:
            key = uuid.UUID(self.kwargs["uuid"])
        except ValueError:
            raise NotFound("Aucun dossier de cet identifiant.") from None
        dossier = _dossiers(self.request.user, self.request.auth.call).filter(uuid=key).first()
        if dossier is None:
            raise NotFound("Aucun dossier de cet identifiant.")
        return dossier


@extend_schema(
    summary="Les subventions d’un appel",
    description=(
        "Les subventions attribuées aux dossiers que le jeton voit, par date de décision : "
        "décidé, attribué, certifié, versé, reste à verser, libéré, et leurs paiements. "
        "Jeton de l’appel."
    ),
    parameters=[SLUG, filters.GrantFilters],
    responses=_errors(s.GrantSerializer(many=True)),
)
class GrantList(ApiView, generics.ListAPIView):
    serializer_class = s.GrantSerializer
    filters_class = filters.GrantFilters
    pagination_class = ordered_by("decided_at", "pk")

    def get_queryset(self) -> QuerySet[Grant]:
        call = self.the_call()
        params = self.params()
        grants = (
            visible_grants(self.request.user, call)
            .select_related("dossier", "envelope")
            .prefetch_related("payment_requests__payment")
        )
        if "year" in params:
            grants = grants.filter(envelope__year=params["year"])
        if "status" in params:
            grants = grants.filter(status=params["status"])
        return grants


@extend_schema(
    summary="Les séances du comité d’un appel",
    description=(
        "Les séances par numéro, et leurs décisions sur les dossiers que le jeton voit. "
        "Jeton de l’appel."
    ),
    parameters=[SLUG, filters.MeetingFilters],
    responses=_errors(s.MeetingSerializer(many=True)),
)
class MeetingList(ApiView, generics.ListAPIView):
    serializer_class = s.MeetingSerializer
    filters_class = filters.MeetingFilters
    pagination_class = ordered_by("number")

    def get_queryset(self) -> QuerySet[Meeting]:
        call = self.the_call()
        params = self.params()
        visible = visible_dossiers(self.request.user, call).values("pk")
        items = (
            AgendaItem.objects.filter(dossier__in=visible, decision__isnull=False)
            .select_related("dossier", "decision")
            .order_by("position")
        )
        meetings = meetings_for(self.request.user, call).prefetch_related(
            Prefetch("items", queryset=items, to_attr="decided_items")
        )
        if "status" in params:
            meetings = meetings.filter(status=params["status"])
        return meetings


# ---------------------------------------------------------------- outside DRF


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/v1/: a JSON 404, like the endpoints'."""
    return JsonResponse({"detail": "Aucune ressource à cette adresse."}, status=404)


def documentation_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "api/documentation.html",
        {"title": "API de lecture", "doc": documentation.build(request)},
    )
