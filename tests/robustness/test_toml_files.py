"""Every command that reads a regimen (TOML) file refuses every kind of damaged file by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hcctrial.protocol.regimen import regimen_path
from tests.conftest import CliResult
from tests.robustness.conftest import EXAMPLES, assert_refused
from tests.robustness.files import ACCEPTED_ENCODINGS, ENCODING_DAMAGE, TOML_DAMAGE, write_input

SEED_REGIMEN = regimen_path("sorafenib_tace_haic_folfox")

#: command -> the command line for a regimen file path
TOML_COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "regimen-validate": lambda f: ["regimen", "validate", f],
    "regimen-show": lambda f: ["regimen", "show", f, "--json"],
    "dose": lambda f: ["dose", "--bsa-m2", "1.8", "--child-pugh", "A", "--regimen", f, "--json"],
    "screen": lambda f: [
        "screen",
        str(EXAMPLES / "patients" / "eligible_bclc_b.json"),
        "--regimen",
        f,
        "--json",
    ],
    "next": lambda f: [
        "next",
        str(EXAMPLES / "records" / "first_cycle.json"),
        "--today",
        "2026-01-12",
        "--regimen",
        f,
        "--json",
    ],
}
DAMAGE = {**ENCODING_DAMAGE, **TOML_DAMAGE}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("command", list(TOML_COMMANDS))
def test_damaged_regimen_file_is_refused_naming_the_file(
    cli: Callable[..., CliResult], tmp_path: Path, command: str, damage: str
) -> None:
    path = tmp_path / "regimen.toml"
    write_input(path, DAMAGE[damage](SEED_REGIMEN.read_text(encoding="utf-8")))
    assert_refused(cli(*TOML_COMMANDS[command](str(path))), str(path))


@pytest.mark.parametrize("encoding", ["utf-8-bom", "utf-16-le-bom", "crlf"])
@pytest.mark.parametrize("command", ["regimen-show", "dose"])
def test_accepted_encodings_give_the_plain_files_result(
    cli: Callable[..., CliResult], tmp_path: Path, command: str, encoding: str
) -> None:
    argv = TOML_COMMANDS[command]
    plain = cli(*argv(str(SEED_REGIMEN)))
    assert plain.exit_code == 0, plain.stderr
    path = tmp_path / "regimen.toml"
    write_input(path, ACCEPTED_ENCODINGS[encoding](SEED_REGIMEN.read_text(encoding="utf-8")))
    res = cli(*argv(str(path)))
    assert res.exit_code == 0, res.stderr
    assert res.json() == plain.json()


def test_a_toml_syntax_error_names_line_and_column(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "regimen.toml"
    path.write_text('id = "x"\nname = = 8\n', encoding="utf-8")
    assert_refused(cli("regimen", "validate", str(path)), str(path), "line 2, column")
