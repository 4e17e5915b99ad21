"""``hcctrial sap ...``: the statistical analysis plan file.

- ``hcctrial sap validate FILE [--json]`` checks a plan file: the schema (types, ranges, unknown
  or missing keys), the cross references (every endpoint, population and regimen it names) and
  its design (the sample size it states follows from its parameters). A malformed plan is refused
  with every key path at fault, exit code 2 (``error: plan FILE: endpoints.os.landmarks_months[1]:
  ...``); a valid one prints its id, version and SHA-256.
- ``hcctrial sap show [FILE] [--json]`` prints the plan in words (default: the seed plan), each
  entry followed by where it comes from: the paper's words, or hcctrial's default where the paper
  is silent -- the same text as the report's statistical methods.

FILE is a ``.toml`` path or the name of a bundled plan (``sorafenib_tace_haic_folfox``,
``ttp_one_sample_logrank``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)

_JSON = typer.Option("--json", help="Print the result as one JSON object.")


@app.command("validate")
def validate_command(
    file: Annotated[str, typer.Argument(help="The plan: a .toml file or a bundled plan name.")],
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Validate a statistical analysis plan file (exit 2 naming each key path at fault)."""
    from hcctrial.analysis.design import planned_design
    from hcctrial.analysis.plan import load_plan
    from hcctrial.cli.main import emit

    pf = load_plan(file)
    design = planned_design(pf.plan)
    result: dict[str, Any] = {
        "valid": True,
        **pf.reference(),
        "endpoints": list(pf.plan.endpoints),
        "populations": list(pf.plan.populations),
        "design": {"method": pf.plan.design.method, "n_enrolled": design.n_enrolled},
    }
    text = (
        f"plan {pf.path} is valid: {pf.plan.id} {pf.plan.version}, sha256 {pf.sha256}\n"
        f"  {len(pf.plan.endpoints)} endpoints, {len(pf.plan.populations)} populations, "
        f"{len(pf.plan.subgroups)} subgroups, {len(pf.plan.cox_models)} Cox models, "
        f"{len(pf.plan.sensitivity)} sensitivity analyses; design {pf.plan.design.method}: "
        f"{design.n_enrolled} to enrol"
    )
    emit(result, as_json, text)


@app.command("show")
def show_command(
    file: Annotated[
        str | None,
        typer.Argument(
            help="The plan: a .toml file or a bundled plan name (default: the seed plan)."
        ),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Print the statistical analysis plan in words, with the source of each entry."""
    from hcctrial.analysis.describe import plan_sections
    from hcctrial.analysis.plan import load_plan
    from hcctrial.analysis.run import software_versions
    from hcctrial.cli.main import emit

    pf = load_plan(file)
    sections = plan_sections(pf.plan, software_versions())
    result = {
        "plan": pf.reference(),
        "notes": list(pf.plan.notes),
        "sections": [{"title": t, "lines": lines} for t, lines in sections],
    }
    out = [f"{pf.plan.title}", f"{pf.plan.id} {pf.plan.version} · {pf.path} · sha256 {pf.sha256}"]
    out += [f"- {n}" for n in pf.plan.notes]
    for title, lines in sections:
        out += ["", title, "-" * len(title), *lines]
    emit(result, as_json, "\n".join(out))
