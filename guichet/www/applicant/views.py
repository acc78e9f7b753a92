"""The applicant's space: their dossiers, the guided application, the dossier's life after submission."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dossier_list(request):
    return render(request, "applicant/dossier_list.html", {"title": "Mes dossiers", "dossiers": []})
