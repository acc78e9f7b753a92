"""What each endpoint answers. Amounts are JSON numbers in euros with two decimals at most
(``12000.0``, ``4777.5``): the database's exact Decimal, written as a number; dates are ISO 8601
(``2021-06-30``), moments ISO 8601 with their offset, in Paris time
(``2021-06-01T12:00:00+02:00``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.urls import reverse
from rest_framework import serializers

from guichet import clock
from guichet.grants.models import GrantStatus
from guichet.grants.postaward import position


def Amount(help_text: str, *, null: bool = False, **kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        **kwargs,
        max_digits=14,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=null,
        read_only=True,
        help_text=help_text + " En euros." + (" Absent : null." if null else ""),
    )


def Text(help_text: str, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(read_only=True, help_text=help_text, **kwargs)


class Error(serializers.Serializer):
    detail = Text("Ce qui ne va pas, en français.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Pour une erreur 400 : chaque paramètre refusé et ses messages.",
    )


class CallSerializer(serializers.Serializer):
    slug = Text("Identifiant de l’appel, dans les adresses.")
    title = Text("Intitulé.")
    service = Text("Service instructeur.")
    departement = Text("Code du département.", source="departement_code")
    opens_on = serializers.DateField(read_only=True, help_text="Ouverture du dépôt.")
    deadline = serializers.DateField(read_only=True, help_text="Date limite de dépôt.")
    engagement_deadline = serializers.DateField(
        read_only=True, help_text="Date limite d’engagement des projets."
    )
    status = serializers.SerializerMethodField(help_text="upcoming, open ou closed (à Paris).")
    total_envelope = Amount("Enveloppe totale de l’appel.")
    page = serializers.SerializerMethodField(help_text="Adresse de la page publique de l’appel.")

    def get_status(self, call: Any) -> str:
        return str(call.status(clock.today()).value)

    def get_page(self, call: Any) -> str:
        return reverse("public:call", args=[call.slug])


class OpenDataRow(serializers.Serializer):
    """One row of the SCDL Subventions file (the schema's names and types)."""

    nomAttribuant = Text("Nom de l’attribuant (la préfecture).", allow_null=True)
    idAttribuant = Text("SIRET de l’attribuant.", allow_null=True)
    dateConvention = Text("Date de la décision (AAAA-MM-JJ).", allow_null=True)
    referenceDecision = Text("Numéro de l’arrêté d’attribution.", allow_null=True)
    nomBeneficiaire = Text("Nom de la collectivité bénéficiaire.", allow_null=True)
    idBeneficiaire = Text("SIRET du bénéficiaire.", allow_null=True)
    rnaBeneficiaire = Text("Numéro RNA (vide pour une collectivité).", allow_null=True)
    objet = Text("Objet de la subvention (l’intitulé du projet).", allow_null=True)
    montant = serializers.FloatField(read_only=True, help_text="Montant attribué, en euros.")
    nature = Text("Nature de l’aide.", allow_null=True)
    conditionsVersement = Text("unique ou échelonné.", allow_null=True)
    datesPeriodeVersement = Text("Date ou période des versements (ISO 8601).", allow_null=True)
    idRAE = Text("Identifiant au registre des aides d’État (vide).", allow_null=True)
    notificationUE = serializers.BooleanField(
        read_only=True, help_text="Aide notifiée à l’Union européenne."
    )
    pourcentageSubvention = serializers.FloatField(
        read_only=True, help_text="Part de la subvention dans le coût du projet (0,01 à 1)."
    )
    dispositifAide = Text("Le dispositif d’aide.", allow_null=True)


class OpenDataSerializer(serializers.Serializer):
    schema = Text("Le schéma des lignes.")
    results = OpenDataRow(many=True, read_only=True)


class EnvelopeSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True, help_text="Année budgétaire.")
    amount = Amount("Montant de l’enveloppe.")
    committed = Amount("Engagé (somme des engagements du registre).")
    released = Amount("Libéré (caducités, retraits, réductions).")
    paid = Amount("Versé.")
    remaining = Amount("Reste à engager : montant − engagé + libéré.")


class LedgerEntrySerializer(serializers.Serializer):
    kind = Text("commitment (engagement), release (libération) ou payment (versement).")
    cause = Text("Pour une libération : lapse, withdrawal, reduction ou closing ; sinon vide.")
    amount = Amount("Montant de la ligne.")
    remaining_after = Amount("Reste à engager sur l’enveloppe après cette ligne.")
    note = Text("Précision.")
    at = serializers.DateTimeField(read_only=True, help_text="Moment de l’écriture.")
    dossier = serializers.UUIDField(
        read_only=True, source="grant.dossier.uuid", help_text="Identifiant du dossier."
    )
    dossier_number = Text("Numéro du dossier.", source="grant.dossier.number")


class ApplicantSerializer(serializers.Serializer):
    kind = Text("commune, epci, departement…", source="applicant_kind")
    code = Text("Code officiel (INSEE, SIREN).", source="applicant_code")
    name = Text("Nom.", source="applicant_name")
    siret = Text("SIRET de l’établissement (vide s’il n’est pas donné).")


def granted_amount(dossier: Any) -> Any:
    """The amount of the dossier's current grant (``grants.postaward.current_grant``'s choice:
    the active grant, else the last one decided), from the prefetched grants."""
    grants = sorted(dossier.grants.all(), key=lambda g: (g.decided_at, g.pk))
    active = [g for g in grants if g.status == GrantStatus.ACTIVE]
    current = active[0] if active else (grants[-1] if grants else None)
    return None if current is None else current.amount


class DossierSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(
        read_only=True, help_text="Identifiant du dossier (celui de ses pages et de /dossiers/)."
    )
    number = Text("Numéro du dossier.")
    state = Text("État (submitted, in_review, correction_requested, proposed, accepted…).")
    state_label = Text("État, en français.")
    applicant = ApplicantSerializer(
        source="*", read_only=True, help_text="La collectivité porteuse."
    )
    arrondissement = Text("Code de l’arrondissement d’instruction (vide : la préfecture).",
                          source="arrondissement_code")  # fmt: skip
    category = Text("Catégorie du projet dans l’appel.")
    title = Text("Intitulé du projet.")
    submitted_at = serializers.DateTimeField(read_only=True, help_text="Déposé le.")
    review_started_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Instruction commencée le."
    )
    updated_at = serializers.DateTimeField(
        read_only=True, source="saved_at", help_text="Dernière modification."
    )
    eligible = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        source="eligible_at_submission",
        help_text="Verdict des règles de l’appel au dépôt : éligible ou non.",
    )
    population = serializers.IntegerField(
        read_only=True, allow_null=True, source="population_used", help_text="Population retenue."
    )
    total_cost = Amount("Coût du projet, hors taxes.", null=True)
    requested_amount = Amount("Montant demandé.", null=True)
    eligible_amount = Amount(
        "Montant maximal éligible selon les règles de l’appel.", null=True, source="maximum_amount"
    )
    proposed_amount = Amount("Montant proposé par l’instruction.", null=True)
    opinion = Text("Avis de l’instruction : favourable, reserved, unfavourable ou vide.")
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True, read_only=True,
        source="score_average", help_text="Note moyenne de l’instruction. Absent : null.",
    )  # fmt: skip
    granted_amount = serializers.SerializerMethodField(
        help_text="Montant de la subvention attribuée (la subvention en cours). Absent : null."
    )

    def get_granted_amount(self, dossier: Any) -> float | None:
        amount = granted_amount(dossier)
        return None if amount is None else float(amount)


class PaymentSerializer(serializers.Serializer):
    number = Text("Numéro de la demande de paiement (Chorus).")
    paid_on = serializers.DateField(read_only=True, help_text="Date du paiement.")
    amount = Amount("Montant versé.")
    kind = Text("advance, instalment ou balance.", source="request.kind")


class GrantSerializer(serializers.Serializer):
    dossier = serializers.UUIDField(
        read_only=True, source="dossier.uuid", help_text="Identifiant du dossier."
    )
    dossier_number = Text("Numéro du dossier.", source="dossier.number")
    year = serializers.IntegerField(
        read_only=True, source="envelope.year", help_text="Année de l’enveloppe."
    )
    status = Text("active, lapsed, withdrawn ou closed.")
    decided_at = serializers.DateTimeField(read_only=True, help_text="Décidée le.")
    decided = Amount("Montant décidé par le comité.")
    amount = Amount("Montant attribué aujourd’hui (décidé moins libéré).")
    certified = Amount("Service fait certifié.")
    paid = Amount("Versé.")
    left_to_pay = Amount("Reste à verser.")
    released = Amount("Libéré.")
    lapsed = Amount("Libéré par caducité.")
    engagement_deadline = serializers.DateField(read_only=True)
    completion_deadline = serializers.DateField(read_only=True)
    engaged_on = serializers.DateField(read_only=True, allow_null=True)
    payments = PaymentSerializer(many=True, read_only=True)

    def to_representation(self, grant: Any) -> dict[str, Any]:
        p = position(grant)  # the one place that says what a grant decided, paid, released
        payments = sorted(
            (r.payment for r in grant.payment_requests.all() if hasattr(r, "payment")),
            key=lambda pay: (pay.paid_on, pay.pk),
        )
        row = SimpleNamespace(
            dossier=grant.dossier, envelope=grant.envelope, status=grant.status,
            decided_at=grant.decided_at, decided=p.decided, amount=p.amount,
            certified=p.certified, paid=p.paid, left_to_pay=p.left_to_pay, released=p.released,
            lapsed=p.lapsed, engagement_deadline=grant.engagement_deadline,
            completion_deadline=grant.completion_deadline, engaged_on=grant.engaged_on,
            payments=payments,
        )  # fmt: skip
        return super().to_representation(row)


class DecisionSerializer(serializers.Serializer):
    dossier = serializers.UUIDField(
        read_only=True, source="item.dossier.uuid", help_text="Identifiant du dossier."
    )
    dossier_number = Text("Numéro du dossier.", source="item.dossier.number")
    position = serializers.IntegerField(
        read_only=True, source="item.position", help_text="Rang à l’ordre du jour."
    )
    outcome = Text("retained, refused, postponed ou waiting_list.")
    amount = Amount("Montant retenu.", null=True)
    year = serializers.IntegerField(read_only=True, allow_null=True, help_text="Enveloppe retenue.")
    reason = Text("Motif.")
    waiting_rank = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Rang sur la liste complémentaire."
    )
    recorded_at = serializers.DateTimeField(read_only=True)


class MeetingSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True, help_text="Numéro de la séance.")
    starts_at = serializers.DateTimeField(read_only=True, help_text="Date et heure.")
    place = Text("Lieu.")
    status = Text("draft, convened, open ou closed.")
    convened_at = serializers.DateTimeField(read_only=True, allow_null=True)
    opened_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decisions = DecisionSerializer(
        many=True, read_only=True, source="visible_decisions",
        help_text="Les décisions sur les dossiers que le jeton voit.",
    )  # fmt: skip

    def to_representation(self, meeting: Any) -> dict[str, Any]:
        # The view prefetched the decided items of the dossiers the token sees.
        meeting.visible_decisions = [item.decision for item in meeting.decided_items]
        return super().to_representation(meeting)
