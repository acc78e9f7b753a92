"""The lapse notice (caducité) of a dossier's grant, for its team: the PDF the préfecture wrote
when it pronounced the lapse; 404 for anybody else, or before there is one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from guichet.documents.http import file_response
from guichet.grants.models import GrantDocument, GrantDocumentKind

from . import views


def lapse_notice_of(dossier: Any) -> GrantDocument | None:
    return (
        GrantDocument.objects.filter(grant__dossier=dossier, kind=GrantDocumentKind.LAPSE_NOTICE)
        .order_by("-uploaded_at", "-pk")
        .first()
    )


@login_required
def lapse_notice(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier, _ = views._dossier(request, uuid)
    notice = lapse_notice_of(dossier)
    if notice is None:
        raise Http404("Document introuvable")
    return file_response(notice, inline=request.GET.get("apercu") == "1")
