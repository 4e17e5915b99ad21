"""The lazily converted command group of ``hcctrial`` (``cli.main.build_command``) against typer's
own eager conversion of the same app (``typer.main.get_command(build_app())``): the same commands
in the same order, the same options per command, the same ``--help`` text."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest
import typer.main

from hcctrial.cli.main import build_app, build_command


def _help(command: Any, args: list[str]) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
        command.main(args=args, prog_name="hcctrial", standalone_mode=True)
    return buf.getvalue()


def test_lazy_group_lists_the_same_commands_in_the_same_order() -> None:
    eager = typer.main.get_command(build_app())
    lazy = build_command()
    assert lazy.list_commands(None) == eager.list_commands(None)  # type: ignore[attr-defined]


def test_lazy_group_converts_each_command_to_the_same_options() -> None:
    eager = typer.main.get_command(build_app())
    lazy = build_command()
    for name in eager.list_commands(None):  # type: ignore[attr-defined]
        want = eager.get_command(None, name)  # type: ignore[attr-defined]
        got = lazy.get_command(None, name)
        assert type(got) is type(want), name
        assert [p.opts for p in got.params] == [p.opts for p in want.params], name
        assert got.help == want.help, name


@pytest.mark.parametrize("args", [["--help"], ["score", "--help"], ["demo", "--help"]])
def test_lazy_group_help_text_equals_typers(args: list[str]) -> None:
    assert _help(build_command(), args) == _help(typer.main.get_command(build_app()), args)


def test_unknown_command_is_exit_2(cli: Any) -> None:
    res = cli("no-such-command")
    assert res.exit_code == 2 and "No such command" in res.stderr
