"""``hcctrial bsa``, ``hcctrial dose`` and ``hcctrial regimen ...``: BSA, doses, regimen files.

- ``bsa --height-cm 180 --weight-kg 80 [--formula mosteller|dubois|haycock] --json`` ->
  ``{"bsa_m2": 2.0, "formula": "mosteller", ...}`` (BSA rounded to 2 decimals, half-up).
- ``dose (--height-cm H --weight-kg W | --bsa-m2 B) --child-pugh A|B [--level 0]
  [--sorafenib-level start|0|-1|-2] [--start 2026-03-02T08:00] [--regimen FILE] --json`` ->
  ``{"bsa_m2": ..., "drugs": [{"name", "dose_mg", "route", "duration_h", "start", "end", ...}]}``.
  ``--level`` is the HAIC dose level of the regimen file (0 = full dose; -1, -2 = the file's
  reduced levels, seed regimen 80 % and 60 % of oxaliplatin and 5-FU).
- ``regimen list``, ``regimen show [NAME|FILE]``, ``regimen validate FILE``.

Bad input raises an :class:`hcctrial.errors.HcctrialError` naming the field; ``hcctrial.cli.main``
maps it to exit code 2. The protocol package (pydantic) is imported inside the commands.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hcctrial.errors import DataValidationError, field_error

app = typer.Typer(no_args_is_help=True, add_completion=False)
regimen_app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Regimen files: list, show, validate."
)
app.add_typer(regimen_app, name="regimen", help="Regimen files: list, show, validate.")

_JSON = typer.Option("--json", help="Print the result as one JSON object.")
_REGIMEN_HELP = "Regimen: a bundled name (see `hcctrial regimen list`) or a .toml file."


def _emit(result: Any, as_json: bool, text: str) -> None:
    from hcctrial.cli.main import emit

    emit(result, as_json, text)


def _round2(x: float) -> float:
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@app.command("bsa")
def bsa_command(
    height_cm: Annotated[float, typer.Option("--height-cm", help="Height in cm.")],
    weight_kg: Annotated[float, typer.Option("--weight-kg", help="Weight in kg.")],
    formula: Annotated[
        str, typer.Option("--formula", help="mosteller (default) | dubois | haycock.")
    ] = "mosteller",
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Body-surface area in m² (Mosteller by default), rounded to 2 decimals."""
    from hcctrial.clinical.body import body_surface_area_m2

    key = formula.strip().lower()
    exact = body_surface_area_m2(height_cm, weight_kg, key)
    result = {
        "bsa_m2": _round2(exact),
        "formula": key,
        "bsa_m2_unrounded": exact,
        "height_cm": height_cm,
        "weight_kg": weight_kg,
    }
    _emit(
        result,
        as_json,
        f"BSA {result['bsa_m2']:.2f} m² ({key}; {height_cm:g} cm, {weight_kg:g} kg)",
    )


def _parse_start(start: str | None) -> Any:
    from hcctrial.dates import parse_trial_datetime

    if start is None:
        return None
    return parse_trial_datetime(
        start, "start", "an ISO date and clock time of day 1, e.g. 2026-03-02T08:00"
    )


def _parse_sorafenib_level(text: str) -> int | str:
    t = text.strip().lower()
    if t == "start":
        return "start"
    try:
        return int(t)
    except ValueError:
        raise field_error(
            "sorafenib-level", text, "'start' or an integer level (0 = 800 mg/day, -1, -2)"
        ) from None


def _dose_text(sheet: dict[str, Any]) -> str:
    lines = [
        f"Regimen {sheet['regimen']}: BSA {sheet['bsa_m2']:g} m², Child-Pugh {sheet['child_pugh']}, "
        f"HAIC level {sheet['level']} (x{sheet['level_factor']:g}), "
        f"sorafenib level {sheet['sorafenib_level']}"
    ]
    for d in sheet["drugs"]:
        if d["name"] == "sorafenib":
            when = f"from day {d['start_day']} {d['start_clock']}"
            lines.append(
                f"  {d['name']:<13} {d['dose_mg']:>7g} mg/day  {d['route']:<15} {when}; {d['schedule']}"
            )
            continue
        when = f"day {d['start_day']} {d['start_clock']} -> day {d['end_day']} {d['end_clock']}"
        lines.append(
            f"  {d['name']:<13} {d['dose_mg']:>7g} mg      {d['route']:<15} "
            f"{d['duration_h']:g} h  {when}"
        )
    lines.extend(f"  note: {n}" for n in sheet["notes"])
    return "\n".join(lines)


@app.command("dose")
def dose_command(
    child_pugh: Annotated[str, typer.Option("--child-pugh", help="Child-Pugh class A or B.")],
    height_cm: Annotated[
        float | None, typer.Option("--height-cm", help="Height in cm (with --weight-kg).")
    ] = None,
    weight_kg: Annotated[
        float | None, typer.Option("--weight-kg", help="Weight in kg (with --height-cm).")
    ] = None,
    bsa_m2: Annotated[
        float | None, typer.Option("--bsa-m2", help="BSA in m² (instead of height and weight).")
    ] = None,
    formula: Annotated[
        str | None,
        typer.Option("--formula", help="BSA formula; default: the regimen file's (mosteller)."),
    ] = None,
    level: Annotated[
        int, typer.Option("--level", help="HAIC dose level: 0 = full, -1/-2 = reduced levels.")
    ] = 0,
    sorafenib_level: Annotated[
        str,
        typer.Option("--sorafenib-level", help="start (200 mg bid) | 0 (400 mg bid) | -1 | -2."),
    ] = "start",
    start: Annotated[
        str | None, typer.Option("--start", help="Day 1 date and time, e.g. 2026-03-02T08:00.")
    ] = None,
    regimen: Annotated[str, typer.Option("--regimen", help=_REGIMEN_HELP)] = (
        "sorafenib_tace_haic_folfox"
    ),
    allow_outside_entry: Annotated[
        bool,
        typer.Option(
            "--allow-outside-entry",
            help="Dose a Child-Pugh label outside the entry classes (B8, B9) as its class, at the "
            "investigator's decision (refused otherwise; the paper is silent).",
        ),
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Doses of one cycle and the infusion timetable of days 1-2.

    --child-pugh takes a class (A, B) or a label (A5, A6, B7); a label whose letter contradicts its
    points (B10, A9) is refused, and one outside the entry classes (B8, B9) too unless
    --allow-outside-entry."""
    from hcctrial.clinical.body import body_surface_area_m2
    from hcctrial.protocol.dosing import dose_sheet
    from hcctrial.protocol.regimen import load_regimen

    reg = load_regimen(regimen)
    by_size = height_cm is not None or weight_kg is not None
    if bsa_m2 is not None and by_size:
        raise DataValidationError(
            "bsa-m2: give either --bsa-m2 or --height-cm with --weight-kg, not both",
            field="bsa_m2",
        )
    if bsa_m2 is None:
        if height_cm is None or weight_kg is None:
            missing = "--weight-kg" if height_cm is not None else "--height-cm"
            raise DataValidationError(
                f"{missing.lstrip('-')}: missing; expected --height-cm and --weight-kg, or --bsa-m2",
                field=missing.lstrip("-"),
            )
        used_formula = (formula or reg.dosing.bsa_formula).strip().lower()
        bsa = body_surface_area_m2(height_cm, weight_kg, used_formula)
    else:
        if formula is not None:
            raise DataValidationError(
                "formula: --formula applies to --height-cm/--weight-kg, not to --bsa-m2",
                field="formula",
            )
        used_formula = None
        bsa = bsa_m2
    sheet = dose_sheet(
        reg,
        bsa_m2=bsa,
        child_pugh_class=child_pugh,
        level=level,
        sorafenib_level=_parse_sorafenib_level(sorafenib_level),  # type: ignore[arg-type]
        start=_parse_start(start),
        allow_outside_entry=allow_outside_entry,
    )
    result = sheet.to_dict()
    result["bsa_formula"] = used_formula
    _emit(result, as_json, _dose_text(result))


@regimen_app.command("list")
def regimen_list_command(as_json: Annotated[bool, _JSON] = False) -> None:
    """The bundled regimen files."""
    from hcctrial.protocol.regimen import list_regimens, load_regimen

    rows = [
        {"id": n, "name": load_regimen(n).name, "version": load_regimen(n).version}
        for n in list_regimens()
    ]
    _emit(rows, as_json, "\n".join(f"{r['id']:<30} {r['version']:<8} {r['name']}" for r in rows))


@regimen_app.command("show")
def regimen_show_command(
    regimen: Annotated[str, typer.Argument(help=_REGIMEN_HELP)] = "sorafenib_tace_haic_folfox",
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Print a regimen (every number of the file)."""
    from hcctrial.protocol.regimen import load_regimen

    reg = load_regimen(regimen)
    data = reg.model_dump(mode="json")
    lines = [f"{reg.name} ({reg.id} {reg.version})", f"source: {reg.source}"]
    for d in reg.drugs:
        if d.dose_per_m2 is not None:
            dose = f"A {d.dose_per_m2.A:g} / B {d.dose_per_m2.B:g} {d.dose_unit}/m²"
        else:
            assert d.fixed_dose is not None
            dose = f"{d.fixed_dose.min_mg:g}-{d.fixed_dose.max_mg:g} mg fixed"
        lines.append(f"  {d.name:<13} {dose:<26} {d.route:<15} {d.duration_h:g} h")
    if reg.sorafenib is not None:
        lv = ", ".join(f"{x.level}: {x.daily_mg:g} mg/day" for x in reg.sorafenib.levels)
        lines.append(f"  sorafenib     start {reg.sorafenib.start_daily_mg:g} mg/day; levels {lv}")
    c = reg.cycle
    lines.append(
        f"  cycle {c.min_weeks}-{c.max_weeks} weeks, TACE-HAIC days {c.tace_haic_days}, "
        f"at most {c.max_haic_cycles} HAIC cycles; imaging every "
        f"{reg.schedule.imaging_every_n_cycles} cycles"
    )
    _emit(data, as_json, "\n".join(lines))


@regimen_app.command("validate")
def regimen_validate_command(
    path: Annotated[str, typer.Argument(help="The .toml regimen file to check.")],
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Check a regimen file against the schema (exit 2 with the key path when it is malformed)."""
    from hcctrial.protocol.regimen import load_regimen

    reg = load_regimen(path)
    result = {"valid": True, "id": reg.id, "version": reg.version, "path": path}
    _emit(result, as_json, f"ok: {path} is a valid regimen ({reg.id} {reg.version})")
