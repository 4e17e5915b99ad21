"""``hcctrial next PATIENT_RECORD.json``: the protocol's next step for one patient.

``hcctrial next RECORD.json [--today YYYY-MM-DD] [--regimen NAME|FILE] [--json]``

The record format is documented in ``examples/records/README.md``
(:mod:`hcctrial.protocol.record`). The JSON keeps issue 3's keys and adds, per reason,
``interpretation`` and ``alternative``, and at the top ``interpretation`` (any reason chose
between readings the paper leaves open) and ``interpretations``. ``--today`` defaults to the system date (the only clock read,
here in the interface); ``--regimen`` defaults to the record's ``"regimen"`` key, else the seed
regimen. Without ``--json`` a readable summary: the action, the reasons quoting their rule and
source, the dose table and the next dates. Bad input exits with code 2 and names the item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hcctrial.input_files import read_json_file

app = typer.Typer(no_args_is_help=True, add_completion=False)


def _text(d: dict[str, Any]) -> str:
    lines = [f"Next step: {d['action']}  (TACE-HAIC: {d['haic']}; sorafenib: {d['sorafenib']})"]
    lines.append(f"Decision date {d['decision_date']}; cycles given {d['cycles_given']}")
    if d["cycle_number"] is not None:
        lines.append(
            f"Cycle {d['cycle_number']} at HAIC level {d['haic_level']}"
            + (f", Child-Pugh {d['child_pugh']}" if d["child_pugh"] else "")
        )
    if d["sorafenib_level"] is not None:
        lines.append(f"Sorafenib level {d['sorafenib_level']}: {d['sorafenib_daily_mg']:g} mg/day")
    lines.append("Reasons:")
    for r in d["reasons"]:
        lines.append(f"  - [{r['rule']}] {r['finding']}")
        lines.append(f'      rule: "{r["quote"]}"')
        lines.append(f"      source: {r['source']}")
        if r.get("interpretation"):
            lines.append(f"      INTERPRETATION (paper unsettled); alternative: {r['alternative']}")
    sheet = d["dose_sheet"]
    if sheet is not None:
        lines.append(f"Doses (BSA {sheet['bsa_m2']:g} m², Child-Pugh {sheet['child_pugh']}):")
        lines.append(f"  {'drug':<13}{'dose mg':>9}  {'route':<15}schedule")
        for drug in sheet["drugs"]:
            lines.append(
                f"  {drug['name']:<13}{drug['dose_mg']:>9g}  {drug['route']:<15}{drug['schedule']}"
            )
        lines += [f"  note: {n}" for n in sheet["notes"]]
    labels = [
        ("due_date", "next cycle due from"),
        ("due_latest", "next cycle due by"),
        ("recheck_date", "re-check labs on"),
        ("next_imaging_date", "next imaging"),
        ("next_afp_date", "next AFP"),
        ("pfs_event_date", "PFS event (first PD)"),
        ("confirmed_pd_date", "confirmed PD"),
    ]
    dates = [f"  {label}: {d[key]}" for key, label in labels if d[key] is not None]
    if dates:
        lines.append("Dates:")
        lines += dates
    for o in d["overdue"]:
        lines.append(f"OVERDUE: {o['item']} (due {o['due_date']}, {o['days_overdue']} days late)")
    for w in d["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


@app.command("next")
def next_command(
    record_file: Annotated[
        Path, typer.Argument(help="The patient's record (JSON).", metavar="PATIENT_RECORD.json")
    ],
    today: Annotated[
        str | None, typer.Option("--today", help="Decision date YYYY-MM-DD (default: today).")
    ] = None,
    regimen: Annotated[
        str | None,
        typer.Option("--regimen", help="Regimen: a bundled name or a .toml file."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """The protocol's next step for a patient: action, reasons, doses and next dates."""
    from datetime import date

    from hcctrial.cli.main import emit
    from hcctrial.dates import parse_trial_date
    from hcctrial.protocol.course import next_step
    from hcctrial.protocol.regimen import DEFAULT_REGIMEN, load_regimen

    data = read_json_file(record_file, what="patient record", field="record")
    day = date.today() if today is None else parse_trial_date(today, "--today")
    name = regimen
    if name is None and isinstance(data, dict) and isinstance(data.get("regimen"), str):
        name = data["regimen"]
    reg = load_regimen(name or DEFAULT_REGIMEN)
    result = next_step(data, reg, today=day).to_dict()
    emit(result, as_json, _text(result))
