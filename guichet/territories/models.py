"""Official reference data (INSEE Code officiel géographique, populations, BANATIC EPCI), by vintage.

Every row carries its ``vintage`` ("2021", "2026", …): a call for projects names the vintage
whose populations it uses, and several vintages live side by side. Rows are only written by the
``load_territories`` command, which replaces a whole vintage at once.

``search_name`` is the name lowercased, without accents, punctuation turned into spaces (see
``guichet.territories.text.normalize_name``); the search service only queries that column.
"""

from __future__ import annotations

from django.db import models


def _unique(model: str, *fields: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=list(fields), name=f"territories_{model}_uniq")


def _index(model: str, suffix: str, *fields: str) -> models.Index:
    return models.Index(fields=list(fields), name=f"terr_{model}_{suffix}")


class Vintaged(models.Model):
    vintage = models.CharField("millésime", max_length=8)

    class Meta:
        abstract = True


class Region(Vintaged):
    code = models.CharField("code", max_length=3)
    name = models.CharField("nom", max_length=100)
    search_name = models.CharField("nom normalisé", max_length=100)
    population = models.PositiveIntegerField(
        "population municipale", null=True, blank=True, help_text="Somme de ses communes."
    )

    class Meta:
        verbose_name = "région"
        verbose_name_plural = "régions"
        ordering = ["vintage", "code"]
        constraints = [_unique("region", "vintage", "code")]
        indexes = [_index("region", "search", "vintage", "search_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.vintage})"


class Departement(Vintaged):
    code = models.CharField("code", max_length=3)
    name = models.CharField("nom", max_length=100)
    search_name = models.CharField("nom normalisé", max_length=100)
    region_code = models.CharField("code région", max_length=3, blank=True)
    population = models.PositiveIntegerField(
        "population municipale", null=True, blank=True, help_text="Somme de ses communes."
    )

    class Meta:
        verbose_name = "département"
        verbose_name_plural = "départements"
        ordering = ["vintage", "code"]
        constraints = [_unique("departement", "vintage", "code")]
        indexes = [
            _index("departement", "search", "vintage", "search_name"),
            _index("departement", "region", "vintage", "region_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.vintage})"


class Arrondissement(Vintaged):
    code = models.CharField("code", max_length=4)
    name = models.CharField("nom", max_length=100)
    departement_code = models.CharField("code département", max_length=3)

    class Meta:
        verbose_name = "arrondissement"
        verbose_name_plural = "arrondissements"
        ordering = ["vintage", "code"]
        constraints = [_unique("arrondissement", "vintage", "code")]
        indexes = [_index("arrondissement", "dept", "vintage", "departement_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.vintage})"


class Commune(Vintaged):
    insee_code = models.CharField("code INSEE", max_length=5)
    name = models.CharField("nom", max_length=100)
    search_name = models.CharField("nom normalisé", max_length=100)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    postcodes = models.CharField(
        "codes postaux", max_length=255, blank=True, help_text="Séparés par « ; »."
    )
    population = models.PositiveIntegerField("population municipale", null=True, blank=True)
    arrondissement_code = models.CharField("code arrondissement", max_length=4, blank=True)
    departement_code = models.CharField("code département", max_length=3, blank=True)
    region_code = models.CharField("code région", max_length=3, blank=True)
    epci_siren = models.CharField("SIREN de l'EPCI", max_length=9, blank=True)
    # The membership: a commune belongs to at most one EPCI à fiscalité propre, so a foreign key
    # (``epci.members``) stands for the membership table. DO_NOTHING: rows are only deleted by
    # the loader, which deletes the communes before the EPCI.
    epci = models.ForeignKey(
        "Epci",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="members",
        verbose_name="EPCI",
    )

    class Meta:
        verbose_name = "commune"
        verbose_name_plural = "communes"
        ordering = ["vintage", "insee_code"]
        constraints = [_unique("commune", "vintage", "insee_code")]
        indexes = [
            _index("commune", "search", "vintage", "search_name"),
            _index("commune", "siren", "vintage", "siren"),
            _index("commune", "dept", "vintage", "departement_code"),
            _index("commune", "region", "vintage", "region_code"),
            _index("commune", "epci", "vintage", "epci_siren"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code}, {self.vintage})"

    @property
    def postcode_list(self) -> list[str]:
        return [p for p in self.postcodes.split(";") if p]


class CommunePostcode(Vintaged):
    """One row per (commune, postcode), so that a postcode is found through an index."""

    postcode = models.CharField("code postal", max_length=5)
    # DO_NOTHING: rows are only deleted by the loader, which deletes the children first.
    commune = models.ForeignKey(
        Commune, on_delete=models.DO_NOTHING, related_name="postcode_rows", verbose_name="commune"
    )

    class Meta:
        verbose_name = "code postal"
        verbose_name_plural = "codes postaux"
        constraints = [_unique("postcode", "commune", "postcode")]
        indexes = [_index("postcode", "code", "vintage", "postcode")]

    def __str__(self) -> str:
        return f"{self.postcode} ({self.vintage})"


class EpciType(models.TextChoices):
    CC = "CC", "communauté de communes"
    CA = "CA", "communauté d'agglomération"
    CU = "CU", "communauté urbaine"
    METRO = "METRO", "métropole"
    # The Métropole de Lyon is a collectivité à statut particulier, listed with the EPCI.
    MET69 = "MET69", "métropole à statut particulier"


METROPOLE_TYPES = frozenset({EpciType.METRO, EpciType.MET69})


class Epci(Vintaged):
    """An EPCI à fiscalité propre (communauté de communes, d'agglomération, urbaine, métropole)."""

    siren = models.CharField("SIREN", max_length=9)
    name = models.CharField("nom", max_length=150)
    search_name = models.CharField("nom normalisé", max_length=150)
    epci_type = models.CharField("type", max_length=5, choices=EpciType.choices)
    financing_mode = models.CharField(
        "mode de financement", max_length=5, blank=True, help_text="FPU ou FA."
    )
    population = models.PositiveIntegerField("population municipale", null=True, blank=True)
    departements = models.CharField(
        "départements", max_length=100, blank=True, help_text="Ceux de ses communes, « ; »."
    )
    # APPROXIMATION: the seat is not in the source data; this is the most populous member.
    seat_insee = models.CharField("siège (approché)", max_length=5, blank=True)
    departement_code = models.CharField("département du siège (approché)", max_length=3, blank=True)

    class Meta:
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"
        ordering = ["vintage", "siren"]
        constraints = [_unique("epci", "vintage", "siren")]
        indexes = [_index("epci", "search", "vintage", "search_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.siren}, {self.vintage})"

    @property
    def departement_list(self) -> list[str]:
        return [d for d in self.departements.split(";") if d]

    @property
    def is_metropole(self) -> bool:
        return self.epci_type in METROPOLE_TYPES
