"""``hcctrial grade``: CTCAE grading of a lab value, and look-up of adverse-event terms.

Thin layer over :mod:`hcctrial.assess.ctcae` and :mod:`hcctrial.assess.adverse_events`; errors are
:class:`hcctrial.errors.HcctrialError` and become exit code 2 in :mod:`hcctrial.cli.main`.
"""

from __future__ import annotations

import typer

from hcctrial.errors import DataValidationError

app = typer.Typer(no_args_is_help=True, help="CTCAE grading of lab values and adverse events.")

_OPTION_OF_INPUT = {"uln": "--uln", "lln": "--lln", "baseline": "--baseline", "unit": "--unit"}


@app.command("lab")
def lab(
    term: str = typer.Option(
        ..., "--term", help="CTCAE term, e.g. 'Alanine aminotransferase increased'."
    ),
    value: float = typer.Option(..., "--value", help="The lab value, in --unit."),
    unit: str | None = typer.Option(
        None, "--unit", help="Unit of the value, e.g. U/L, 10^9/L, g/dL, umol/L."
    ),
    uln: float | None = typer.Option(None, "--uln", help="Upper limit of normal, in --unit."),
    lln: float | None = typer.Option(None, "--lln", help="Lower limit of normal, in --unit."),
    baseline: float | None = typer.Option(
        None, "--baseline", help="The patient's baseline value, in --unit."
    ),
    ctcae: str = typer.Option("4.03", "--ctcae", help="CTCAE version: 4.03 (the trial's) or 5.0."),
    symptomatic: bool | None = typer.Option(
        None,
        "--symptomatic/--asymptomatic",
        help="For terms whose grade depends on symptoms (hypokalemia; v5.0 hyponatremia, lipase, "
        "amylase): the patient's recorded state. Default: symptoms assumed (admiral worst case).",
    ),
    baseline_unit: str | None = typer.Option(
        None, "--baseline-unit", help="Unit of --baseline when it differs from --unit."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Grade one lab value by CTCAE: the grade, the CTCAE rule that matched, and any convention.

    When the value cannot be graded the grade is null with the reason; a ULN that the rule needs but
    that is not given is an error (exit code 2) naming --uln.
    """
    from hcctrial.assess.ctcae import grade_lab
    from hcctrial.cli.main import emit

    result = grade_lab(
        term,
        value,
        unit,
        uln=uln,
        lln=lln,
        baseline=baseline,
        version=ctcae,
        symptomatic=symptomatic,
        baseline_unit=baseline_unit,
    )
    if result.grade is None and "uln" in result.missing:
        raise DataValidationError(
            f"--uln: not given; {result.term} (CTCAE v{result.version}) needs the upper limit of "
            f"normal to grade {value:g}{' ' + unit if unit else ''} ({result.reason})",
            field="uln",
        )
    if result.grade is None:
        text = f"{result.term} (CTCAE v{result.version}): cannot grade - {result.reason}"
    else:
        text = f"{result.term} (CTCAE v{result.version}): grade {result.grade} - '{result.rule}'"
        if result.detail:
            text += f"\n  because {result.detail}"
    if result.symptoms:
        text += f"\n  symptoms: {result.symptoms}"
    if result.convention:
        text += f"\n  convention: {result.convention}"
    emit(result.as_dict(), as_json, text)


@app.command("ae")
def ae(
    term: str = typer.Argument(
        ..., help="Adverse-event term or synonym, e.g. 'hand-foot skin reaction'."
    ),
    grade: int | None = typer.Option(
        None, "--grade", help="Show only this grade and check it exists."
    ),
    ctcae: str = typer.Option("4.03", "--ctcae", help="CTCAE version: 4.03 (the trial's) or 5.0."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Look up a CTCAE adverse-event term: its CTCAE name, system organ class, MedDRA code and the
    text of each grade (v4.03: 790 terms; v5.0: 837 terms)."""
    from hcctrial.assess.adverse_events import ctcae_terms, validate_term
    from hcctrial.assess.ctcae import normalize_version
    from hcctrial.cli.main import emit

    version = normalize_version(ctcae)
    name = validate_term(term, version)
    entry = ctcae_terms(version)[name]
    if grade is not None and grade not in entry.valid_grades:
        raise DataValidationError(
            f"--grade: got {grade}; CTCAE v{version} grades of {name!r} are "
            f"{', '.join(str(g) for g in entry.valid_grades)}",
            field="grade",
        )
    grades = {
        str(g): text for g, text in sorted(entry.grades.items()) if grade is None or g == grade
    }
    result = {
        "term": name,
        "soc": entry.soc,
        "valid_grades": list(entry.valid_grades),
        "grades": grades,
        "synonyms": list(entry.synonyms),
        "version": version,
        "meddra_code": entry.meddra_code,
    }
    lines = [f"{name} ({entry.soc}; CTCAE v{version}, MedDRA {entry.meddra_code})"]
    lines += [f"  grade {g}: {text if text else '- (no such grade)'}" for g, text in grades.items()]
    emit(result, as_json, "\n".join(lines))


@app.command("terms")
def terms(
    ctcae: str = typer.Option("4.03", "--ctcae", help="CTCAE version: 4.03 or 5.0."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the lab terms that ``grade lab`` grades."""
    from hcctrial.assess.ctcae import lab_terms, normalize_version
    from hcctrial.cli.main import emit

    version = normalize_version(ctcae)
    names = list(lab_terms(version))
    emit({"version": version, "lab_terms": names}, as_json, "\n".join(names))
