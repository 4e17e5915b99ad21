"""``hcctrial cdisc check DIR``, ``hcctrial redcap dictionary OUT.csv`` and the non-CSV formats of
``hcctrial export DIR --format ...`` (the command itself lives in :mod:`hcctrial.cli.database`).

Exit codes: 0 success; 2 bad input (unknown format, missing directory, a REDCap file that does
not fit); 1 when ``cdisc check`` finds violations (listed by rule on stdout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)
cdisc_app = typer.Typer(no_args_is_help=True, add_completion=False)
redcap_app = typer.Typer(no_args_is_help=True, add_completion=False)
app.add_typer(cdisc_app, name="cdisc", help="CDISC SDTM/ADaM packages: conformance check.")
app.add_typer(redcap_app, name="redcap", help="REDCap: the trial's eCRF as a data dictionary.")

_JSON = typer.Option("--json", help="Print the result as one JSON object.")


def _emit(result: dict[str, Any], as_json: bool, text: str) -> None:
    from hcctrial.cli.main import emit

    emit(result, as_json, text)


def export_other_format(
    database: str | None, directory: Path, fmt: str, as_json: bool, sap: str | None = None
) -> None:
    """Run ``hcctrial export DIR --format FMT [--sap FILE]`` for every format but csv; the
    derived datasets follow the plan ``sap`` (default: the seed plan)."""
    from hcctrial.analysis.plan import load_plan
    from hcctrial.cli.database import _shown, open_database
    from hcctrial.interop.export import check_formats, export_database
    from hcctrial.store.session import open_session

    check_formats(fmt)
    plan = load_plan(sap)
    with open_database(database) as engine, open_session(engine) as session:
        result = export_database(session, directory, fmt, plan=plan)
        shown = _shown(engine)
    files = result["files"]
    lines = [f"exported {shown} as {fmt} to {directory}:"]
    lines += [f"  {name:<36} {n:>8} rows" for name, n in files.items()]
    for sid, why in result["not_derived"].items():
        lines.append(f"  not in the derived datasets: {sid} ({why})")
    out = {"directory": str(directory), "format": fmt, "rows": files,
           "not_derived": result["not_derived"]}
    if "plan" in result:
        out["plan"] = result["plan"]
        lines.append(f"  derived as the plan {plan.plan.id} {plan.plan.version} ({plan.path})")
    _emit(out, as_json, "\n".join(lines))


@cdisc_app.command("check")
def cdisc_check_command(
    directory: Annotated[Path, typer.Argument(help="An exported SDTM or ADaM package.")],
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Check an SDTM/ADaM package (XPT + define.xml): violations listed by rule (exit 1 if any)."""
    from hcctrial.interop.conformance import check_directory

    report = check_directory(directory)
    lines = [f"{p['standard']} package {p['directory']}: {len(p['datasets'])} datasets "
             f"({', '.join(p['datasets'])})" for p in report.packages]
    for rule, n in report.by_rule().items():
        lines.append(f"  {rule:<11} {'ok' if n == 0 else f'{n} violation(s)'}")
        lines += [f"    {v.dataset}{'.' + v.variable if v.variable else ''}: {v.message}"
                  for v in report.violations if v.rule == rule][:20]
    lines.append("conformant" if report.ok else f"{len(report.violations)} violation(s)")
    _emit(report.as_dict(), as_json, "\n".join(lines))
    if not report.ok:
        raise typer.Exit(1)


@redcap_app.command("dictionary")
def redcap_dictionary_command(
    out: Annotated[Path, typer.Argument(help="The data dictionary CSV to write.")],
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Write the trial's eCRF as a REDCap data dictionary, and the instrument-event mapping of
    the longitudinal project beside it (<name>_instrument_event_mapping.csv)."""
    from hcctrial.interop.redcap_dictionary import write_dictionary

    paths = write_dictionary(out)
    result = {"dictionary": str(paths[0]), "instrument_event_mapping": str(paths[1]),
              "fields": paths[2]}
    _emit(result, as_json, f"wrote {paths[0]} ({paths[2]} fields) and {paths[1]}")
