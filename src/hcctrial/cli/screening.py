"""``hcctrial screen PATIENT.json``: eligibility screening of one patient file.

The patient file format is documented in ``examples/README.md``. Output (``--json``):
``{"eligible": true|false|null, "criteria": [{"id", "verdict", "value", "threshold", "reason",
...}], ...}``. A malformed file (not JSON, an unknown key, a lab with an unknown unit) raises an
:class:`hcctrial.errors.HcctrialError` naming the field, mapped to exit code 2 by
``hcctrial.cli.main``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hcctrial.input_files import read_json_file

app = typer.Typer(no_args_is_help=True, add_completion=False)

_JSON = typer.Option("--json", help="Print the result as one JSON object.")


def _text(result: dict[str, Any]) -> str:
    verdict = {True: "ELIGIBLE", False: "NOT ELIGIBLE", None: "CANNOT DECIDE (data missing)"}
    lines = [f"Patient {result['patient_id'] or '?'}: {verdict[result['eligible']]}"]
    mark = {"met": "ok ", "not_met": "NO ", "not_evaluable": " ? "}
    for c in result["criteria"]:
        lines.append(f"  [{mark[c['verdict']]}] {c['id']:<30} {c['reason']}")
    if result["missing"]:
        lines.append("  missing: " + ", ".join(result["missing"]))
    return "\n".join(lines)


@app.command("screen")
def screen_command(
    patient: Annotated[Path, typer.Argument(help="Patient JSON file (see examples/README.md).")],
    regimen: Annotated[
        str, typer.Option("--regimen", help="Regimen: a bundled name or a .toml file.")
    ] = "sorafenib_tace_haic_folfox",
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Check a patient against the regimen's inclusion and exclusion criteria."""
    from hcctrial.cli.main import emit
    from hcctrial.protocol.eligibility import screen_patient
    from hcctrial.protocol.regimen import load_regimen

    reg = load_regimen(regimen)
    result = screen_patient(
        read_json_file(patient, what="patient file", field="patient"), reg
    ).to_dict()
    emit(result, as_json, _text(result))
