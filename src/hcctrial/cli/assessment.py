"""``hcctrial assess``: tumour response — mRECIST per time point, best overall response.

Fixed contracts:

* ``hcctrial assess mrecist PATIENT.json [--json]`` — the patient format documented in
  :mod:`hcctrial.assess.mrecist_input` (and ``examples/mrecist/README.md``);
* ``hcctrial assess bor RESPONSES.json [--json]`` — ``{"treatment_start": ..., "assessments":
  [{"date": ..., "response": "CR|PR|SD|PD|NE"}], "confirmation": true, "confirm_days": 28,
  "min_sd_days": 28, "max_ne_between": 1, "accept_sd_between": false}`` →
  ``{"best_overall_response": ..., "date": ...}``.

Bad input raises an :class:`hcctrial.errors.HcctrialError` (exit 2, message on stderr).
"""

from __future__ import annotations

from pathlib import Path

import typer

from hcctrial.input_files import read_json_file

app = typer.Typer(no_args_is_help=True)


def _num(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:g}{suffix}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+g}%"


@app.command("mrecist")
def mrecist(
    patient_file: Path = typer.Argument(
        ..., help="Patient imaging record (JSON).", metavar="PATIENT.json"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    min_sd_days: int | None = typer.Option(
        None,
        "--min-sd-days",
        min=0,
        max=3650,
        help="Minimum days from baseline for SD to count in the best overall response "
        "(default: the regimen's assessment.min_sd_days, else 42).",
    ),
    new_nodule_mm: float = typer.Option(
        5.0,
        "--new-nodule-mm",
        min=0.0,
        max=1000.0,
        help="Protocol rule: a new tumour nodule larger than this (mm) is the first PD.",
    ),
) -> None:
    """mRECIST response per time point and overall, with the protocol's own rules."""
    from hcctrial.assess.mrecist import ProtocolRules, default_min_sd_days, patient_response
    from hcctrial.cli.main import emit

    data = read_json_file(patient_file, what="patient imaging file", field="patient")
    rules = ProtocolRules(
        new_nodule_threshold_mm=new_nodule_mm,
        min_sd_days=default_min_sd_days() if min_sd_days is None else min_sd_days,
    )
    result = patient_response(data, rules)
    lines = [
        f"baseline {result.baseline_date.isoformat()}: sum of targets {_num(result.baseline_sum_mm, ' mm')}",
        f"{'date':<10}  {'response':<13}  {'mRECIST':<13}  {'sum':>8}  {'vs base':>9}  {'vs nadir':>9}",
    ]
    for tp in result.time_points:
        lines.append(
            f"{tp.date.isoformat():<10}  {tp.response.value:<13}  {tp.mrecist_response.value:<13}  "
            f"{_num(tp.sum_mm, ' mm'):>8}  {_pct(tp.change_from_baseline_pct):>9}  "
            f"{_pct(tp.change_from_nadir_pct):>9}"
        )
        lines += [f"    - {reason}" for reason in tp.reasons]
    bor_date = result.best_overall_response_date
    lines += [
        f"best overall response: {result.best_overall_response.value}"
        + (f" ({bor_date.isoformat()})" if bor_date else "")
        + f"  [SD needs >= {rules.min_sd_days} days from baseline]",
        "first PD (PFS event): "
        + (result.first_pd_date.isoformat() if result.first_pd_date else "none"),
        "PD seen a second time (stop treatment): "
        + (result.confirmed_pd_date.isoformat() if result.confirmed_pd_date else "not yet"),
    ]
    emit(result.to_dict(), as_json, "\n".join(lines))


@app.command("bor")
def bor(
    responses_file: Path = typer.Argument(
        ..., help="Recorded time-point responses and BOR settings (JSON).", metavar="RESPONSES.json"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Best overall response from recorded time-point responses (admiralonco rules)."""
    from hcctrial.assess.best_response import best_overall_response_from_mapping
    from hcctrial.assess.mrecist import default_min_sd_days
    from hcctrial.cli.main import emit

    data = read_json_file(responses_file, what="responses file", field="responses")
    result = best_overall_response_from_mapping(data, default_min_sd_days=default_min_sd_days())
    text = f"best overall response: {result.response.value}" + (
        f" ({result.date.isoformat()})" if result.date else ""
    )
    emit(result.to_dict(), as_json, text)
