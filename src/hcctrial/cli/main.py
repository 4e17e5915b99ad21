"""The ``hcctrial`` command line: one typer app, one sub-app per command group.

Each command group lives in its own module (``hcctrial.cli.<group>``) and exposes ``app``; this
module only assembles them (a module that cannot be imported is an error, never a silently missing
command) and holds the one top-level handler of :func:`run`, so that no user ever sees a traceback:

- an expected error — :class:`hcctrial.errors.HcctrialError` (bad input: exit code 2), a database
  or connection problem (:func:`hcctrial.store.session.database_problem`: exit 2), a file the
  command cannot write (exit 2) — prints one ``error: ...`` message on stderr;
- anything else is a bug: the traceback goes to a log file (:func:`crash_log_dir`) and stderr gets
  one line naming that file and asking for a bug report; exit code 70 (``EX_SOFTWARE``).

Command modules import heavy libraries (numpy, pint, SQLAlchemy) inside the command functions, so
``hcctrial --help`` stays fast.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from hcctrial.errors import DataValidationError, HcctrialError

#: (module under hcctrial.cli, name of the sub-command group or None to merge top-level commands,
#:  help text)
COMMAND_GROUPS: list[tuple[str, str | None, str]] = [
    ("scores", "score", "Clinical scores: Child-Pugh, ALBI, BCLC."),
    ("dosing", None, "BSA, doses and infusion timetable."),
    ("screening", None, "Eligibility screening of a patient file."),
    ("grading", "grade", "CTCAE grading of lab values and adverse events."),
    ("assessment", "assess", "Tumour response: mRECIST per time point, best overall response."),
    ("course", None, "The protocol's next step for a patient."),
    ("survival", "survival", "Kaplan-Meier, log-rank, Cox, CIF, Fine-Gray, RMST, survreg, Nelson-Aalen."),
    ("design", "design", "Trial design: sample size, Simon, survival designs, simulation."),
    ("database", None, "The trial database: init, import, export, audit."),
    ("analysis", None, "The demo trial and the statistical plan: demo, analyze."),
    ("sap", "sap", "The statistical analysis plan file: validate, show."),
    ("reporting", None, "The report: tables and figures for HTML and Word."),
    ("webapp", None, "The web application."),
    ("interop", None, "Data exchange: CDISC conformance check, REDCap data dictionary."),
    ("locks", None, "Lock and unlock the trial database for analysis."),
]


def build_app() -> typer.Typer:
    """Return the assembled typer application (a command module that fails to import raises)."""
    app = typer.Typer(
        name="hcctrial",
        help=_APP_HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for module_name, group, help_text in COMMAND_GROUPS:
        module = importlib.import_module(f"hcctrial.cli.{module_name}")
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
        module = importlib.import_module(f"hcctrial.cli.{module_name}")
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


#: Exit code of an unexpected error (a bug): EX_SOFTWARE of sysexits.h.
EXIT_INTERNAL_ERROR = 70
#: Where crash logs go (default: $XDG_STATE_HOME/hcctrial, else ~/.local/state/hcctrial).
LOG_DIR_ENV_VAR = "HCCTRIAL_LOG_DIR"


def run(argv: list[str] | None = None) -> None:
    """Entry point of the ``hcctrial`` script: run the command; the one top-level handler.

    Expected errors print one ``error:`` message and exit 2 (an :class:`HcctrialError` its own
    code); anything else writes its traceback to a log file and exits 70 (see the module doc).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        check_arguments(args)
        command = build_command()
        command.main(args=args, prog_name="hcctrial", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _say("error: interrupted")
        sys.exit(130)
    except HcctrialError as exc:
        _say(f"error: {exc}")
        sys.exit(exc.exit_code)
    except Exception as exc:
        sys.exit(_report(exc, args))


def _report(exc: Exception, args: list[str]) -> int:
    """Say what went wrong in one line; return the exit code (2 expected, 70 a bug)."""
    expected = expected_error_message(exc)
    if expected is not None:
        _say(f"error: {expected}")
        return 2
    try:
        log = write_crash_log(exc, args)
    except Exception:  # the handler itself must never raise
        log = None
    where = f"the details are in {log}" if log else "no log file could be written"
    _say(
        f"error: internal error ({type(exc).__name__}: {_first_line(exc)}); {where}. "
        "This is a bug in hcctrial: please report it on the project's issue tracker and "
        "attach that file."
    )
    return EXIT_INTERNAL_ERROR


def _say(text: str) -> None:
    """Write one line to stderr; text that is not encodable (a surrogate) is escaped, not fatal."""
    typer.echo(text.encode("utf-8", "backslashreplace").decode("utf-8"), err=True)


def check_arguments(args: list[str]) -> None:
    """Refuse a command-line argument that is not text (bytes that are not UTF-8 arrive as
    surrogate escapes: they would fail later, when printed or stored)."""
    for number, arg in enumerate(args, start=1):
        if any("\ud800" <= c <= "\udfff" for c in arg):
            raise DataValidationError(
                f"argument {number} ({arg!r}): not valid UTF-8 text; expected text (a file whose "
                "name is not UTF-8 must be renamed)",
                field="arguments",
            )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= 200 else text[:200] + "..."


def expected_error_message(exc: BaseException) -> str | None:
    """Return the one-line message of an error the user can fix, None for a bug.

    Expected: a database or connection problem (named by
    :func:`hcctrial.store.session.database_problem`, never with SQL text) and a file the command
    cannot write or create (an ``OSError`` naming its file: a read-only or full disk, a missing
    directory, a path that is a directory).
    """
    if type(exc).__module__.startswith("sqlalchemy"):
        from hcctrial.store.session import database_problem

        problem = database_problem(exc, "(the trial database)")
        return None if problem is None else problem.message
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot use {exc.filename!s}: {exc.strerror or exc}; check the path and its permissions"
    return None


def crash_log_dir() -> Path:
    """Return the directory of crash logs: $HCCTRIAL_LOG_DIR, else $XDG_STATE_HOME/hcctrial, else
    ~/.local/state/hcctrial."""
    try:  # the settings are the one reader of the environment; a crash must not depend on them
        from hcctrial.settings import load_settings

        return load_settings().crash_log_dir()
    except Exception:
        return Path.home() / ".local" / "state" / "hcctrial"


def write_crash_log(exc: BaseException, argv: list[str] | None) -> Path | None:
    """Write the traceback of ``exc`` with the command line and versions to a new log file;
    return its path (a temporary directory when the usual one is not writable; None if neither)."""
    import platform
    import tempfile
    import traceback
    from datetime import UTC, datetime

    from hcctrial import __version__

    stamp = datetime.now(UTC)
    args = sys.argv[1:] if argv is None else argv
    text = (
        f"hcctrial {__version__} crash report, {stamp.isoformat(timespec='seconds')}\n"
        f"command: hcctrial {' '.join(args)}\n"
        f"python {platform.python_version()} on {platform.platform()}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    for directory in (crash_log_dir(), Path(tempfile.gettempdir())):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix=f"crash-{stamp:%Y%m%dT%H%M%SZ}-", suffix=".log", dir=directory
            )
            with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as out:
                out.write(text)
            return Path(name)
        except OSError:
            continue
    return None


if __name__ == "__main__":  # pragma: no cover
    run()
