"""The ``hcctrial`` command line: one typer app, one sub-app per command group.

Each command group lives in its own module (``hcctrial.cli.<group>``) and exposes ``app``; this
module only assembles them and maps every :class:`hcctrial.errors.HcctrialError` to its exit code
(2 for bad input) with a one-line message on stderr and no traceback. Command modules import heavy
libraries (numpy, pint, SQLAlchemy) inside the command functions, so ``hcctrial --help`` stays fast.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import typer

from hcctrial.errors import HcctrialError

#: (module under hcctrial.cli, name of the sub-command group or None to merge top-level commands,
#:  help text)
COMMAND_GROUPS: list[tuple[str, str | None, str]] = [
    ("scores", "score", "Clinical scores: Child-Pugh, ALBI, BCLC."),
    ("dosing", None, "BSA, doses and infusion timetable."),
    ("screening", None, "Eligibility screening of a patient file."),
    ("grading", "grade", "CTCAE grading of lab values and adverse events."),
    ("assessment", "assess", "Tumour response: mRECIST per time point, best overall response."),
    ("course", None, "The protocol's next step for a patient."),
    ("survival", "survival", "Kaplan-Meier, log-rank and Cox from a CSV file."),
    ("design", "design", "Trial design: sample size, Simon, survival designs, simulation."),
    ("database", None, "The trial database: init, import, export, audit."),
    ("analysis", None, "The demo trial and the statistical plan: demo, analyze."),
    ("reporting", None, "The report: tables and figures for HTML and Word."),
    ("webapp", None, "The web application."),
]


def build_app() -> typer.Typer:
    """Return the assembled typer application (command modules that do not exist yet are skipped)."""
    app = typer.Typer(
        name="hcctrial",
        help="hcctrial: run and analyse the sorafenib + TACE-HAIC (FOLFOX) trial for HCC.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for module_name, group, help_text in COMMAND_GROUPS:
        try:
            module = importlib.import_module(f"hcctrial.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"hcctrial.cli.{module_name}":
                continue
            raise
        sub: typer.Typer = module.app
        if group is None:
            for command in sub.registered_commands:
                app.registered_commands.append(command)
            for grp in sub.registered_groups:
                app.registered_groups.append(grp)
        else:
            app.add_typer(sub, name=group, help=help_text)
    return app


def emit(result: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``result`` as JSON (``as_json``) or ``text`` (default: indented JSON) on stdout."""
    if as_json or text is None:
        typer.echo(json.dumps(result, indent=None if as_json else 2, default=str))
    else:
        typer.echo(text)


def run(argv: list[str] | None = None) -> None:
    """Entry point of the ``hcctrial`` script: run the app, map hcctrial errors to exit codes."""
    app = build_app()
    try:
        app(args=argv, standalone_mode=True)
    except HcctrialError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    run()
