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
    ("sap", "sap", "The statistical analysis plan file: validate, show."),
    ("reporting", None, "The report: tables and figures for HTML and Word."),
    ("webapp", None, "The web application."),
    ("interop", None, "Data exchange: CDISC conformance check, REDCap data dictionary."),
]


def build_app() -> typer.Typer:
    """Return the assembled typer application (command modules that do not exist yet are skipped)."""
    app = typer.Typer(
        name="hcctrial",
        help=_APP_HELP,
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


_APP_HELP = "hcctrial: run and analyse the sorafenib + TACE-HAIC (FOLFOX) trial for HCC."


def _command_entries() -> dict[str, tuple[bool, Any]]:
    """Return name -> (is a group, typer CommandInfo or TyperInfo) in the order :func:`build_app`
    gives (merged commands first, then groups). Imports the command modules only (cheap: they
    import heavy libraries inside their functions), converts nothing."""
    from typer.main import get_command_name
    from typer.models import TyperInfo

    commands: dict[str, tuple[bool, Any]] = {}
    groups: dict[str, tuple[bool, Any]] = {}
    for module_name, group, help_text in COMMAND_GROUPS:
        try:
            module = importlib.import_module(f"hcctrial.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"hcctrial.cli.{module_name}":
                continue
            raise
        sub: typer.Typer = module.app
        if group is None:
            for info in sub.registered_commands:
                assert info.callback is not None
                commands[info.name or get_command_name(info.callback.__name__)] = (False, info)
            for grp in sub.registered_groups:
                if isinstance(grp.name, str) and grp.name:
                    groups[grp.name] = (True, grp)
        else:
            groups[group] = (True, TyperInfo(sub, name=group, help=help_text))
    return commands | groups


def build_command() -> Any:
    """Return the ``hcctrial`` click group, which converts a command only when it is used.

    typer's ``app()`` turns every command's signature into click parameters before running any
    (~0.1 s for the ~40 commands); this group converts the one command invoked, and ``--help``
    lists the commands from their names and help texts alone. Same commands, options, help and
    order as :func:`build_app` (tests check both list the same commands).
    """
    import inspect

    from typer.core import DEFAULT_MARKUP_MODE, TyperCommand, TyperGroup
    from typer.main import get_command_from_info, get_group_from_info, solve_typer_info_help

    entries = _command_entries()
    markup = DEFAULT_MARKUP_MODE

    class LazyGroup(TyperGroup):
        listing = False

        def list_commands(self, ctx: Any) -> list[str]:
            return list(entries)

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            if cmd_name not in entries:
                return None
            is_group, info = entries[cmd_name]
            if self.listing and cmd_name not in self.commands:
                if is_group:  # a stand-in carrying the help line only
                    return TyperGroup(
                        name=cmd_name, help=solve_typer_info_help(info), rich_markup_mode=markup
                    )
                return TyperCommand(
                    name=cmd_name,
                    help=inspect.cleandoc(info.help)
                    if info.help is not None
                    else inspect.getdoc(info.callback),
                    short_help=info.short_help,
                    hidden=info.hidden,
                    deprecated=info.deprecated,
                    rich_help_panel=info.rich_help_panel,
                    rich_markup_mode=markup,
                )
            if cmd_name not in self.commands:
                self.commands[cmd_name] = (
                    get_group_from_info(
                        info,
                        pretty_exceptions_short=True,
                        suggest_commands=True,
                        rich_markup_mode=markup,
                    )
                    if is_group
                    else get_command_from_info(
                        info, pretty_exceptions_short=True, rich_markup_mode=markup
                    )
                )
            return self.commands[cmd_name]

        def format_help(self, ctx: Any, formatter: Any) -> None:
            self.listing = True
            try:
                super().format_help(ctx, formatter)
            finally:
                self.listing = False

    return LazyGroup(name="hcctrial", help=_APP_HELP, no_args_is_help=True, rich_markup_mode=markup)


def emit(result: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``result`` as JSON (``as_json``) or ``text`` (default: indented JSON) on stdout."""
    if as_json or text is None:
        typer.echo(json.dumps(result, indent=None if as_json else 2, default=str))
    else:
        typer.echo(text)


def run(argv: list[str] | None = None) -> None:
    """Entry point of the ``hcctrial`` script: run the app, map hcctrial errors to exit codes."""
    command = build_command()
    try:
        command.main(args=argv, prog_name="hcctrial", standalone_mode=True)
    except HcctrialError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    run()
