"""Applicants built by hand, for the pure rules tests."""

from guichet.rules.applicant import Applicant, ApplicantKind


def commune(name="Billom", population=4777, departement="63", code="63040"):
    return Applicant(
        kind=ApplicantKind.COMMUNE,
        code=code,
        name=name,
        population=population,
        vintage="2021",
        departements=frozenset({departement}),
    )


def collectivity(kind, name="X", population=100_000, departements=("63",), code="1"):
    return Applicant(
        kind=kind,
        code=code,
        name=name,
        population=population,
        vintage="2021",
        departements=frozenset(departements),
    )
