"""Every command that reads a JSON file refuses every kind of damaged file by name (exit 2, no
traceback), and reads the encodings it accepts exactly as plain UTF-8."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.robustness.conftest import EXAMPLES, assert_refused
from tests.robustness.files import (
    ACCEPTED_ENCODINGS,
    ENCODING_DAMAGE,
    JSON_DAMAGE,
    write_input,
)

#: command -> (a valid input file, the command line for a file path)
JSON_COMMANDS: dict[str, tuple[Path, Callable[[str], list[str]]]] = {
    "screen": (EXAMPLES / "patients" / "eligible_bclc_b.json", lambda f: ["screen", f, "--json"]),
    "next": (
        EXAMPLES / "records" / "first_cycle.json",
        lambda f: ["next", f, "--today", "2026-01-12", "--json"],
    ),
    "assess-mrecist": (
        EXAMPLES / "mrecist" / "issue_example.json",
        lambda f: ["assess", "mrecist", f, "--json"],
    ),
    "assess-bor": (
        EXAMPLES / "mrecist" / "bor" / "responses.json",
        lambda f: ["assess", "bor", f, "--json"],
    ),
}
DAMAGE = {**ENCODING_DAMAGE, **JSON_DAMAGE}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("command", list(JSON_COMMANDS))
def test_damaged_json_file_is_refused_naming_the_file(
    cli: Callable[..., CliResult], tmp_path: Path, command: str, damage: str
) -> None:
    source, argv = JSON_COMMANDS[command]
    path = tmp_path / "input.json"
    write_input(path, DAMAGE[damage](source.read_text(encoding="utf-8")))
    assert_refused(cli(*argv(str(path))), str(path))


@pytest.mark.parametrize("encoding", list(ACCEPTED_ENCODINGS))
@pytest.mark.parametrize("command", list(JSON_COMMANDS))
def test_accepted_encodings_give_the_plain_files_result(
    cli: Callable[..., CliResult], tmp_path: Path, command: str, encoding: str
) -> None:
    source, argv = JSON_COMMANDS[command]
    plain = cli(*argv(str(source)))
    assert plain.exit_code == 0, plain.stderr
    path = tmp_path / "input.json"
    write_input(path, ACCEPTED_ENCODINGS[encoding](source.read_text(encoding="utf-8")))
    res = cli(*argv(str(path)))
    assert res.exit_code == 0, res.stderr
    assert res.json() == plain.json()


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("latin-1-byte", ["byte offset", "UTF-8"]),
        ("nul-byte", ["NUL byte at byte offset"]),
        ("utf-16-without-bom", ["UTF-16 without a byte-order mark"]),
        ("duplicate-key", ["appears twice in one object"]),
        ("nan", ["NaN is not a JSON number"]),
        ("nested-100-deep", ["nested 100 levels deep; expected at most 64"]),
        ("nested-100000-deep", ["nested too deeply"]),
        ("oversize-17-mb", ["bytes; expected a file of at most 16777216 bytes"]),
        ("top-level-array", ["an array at the top level; expected a JSON object"]),
        ("truncated-half", ["not valid JSON (line"]),
        ("directory", ["is a directory"]),
        ("missing", ["file not found"]),
    ],
)
def test_the_message_says_what_is_wrong(
    cli: Callable[..., CliResult], tmp_path: Path, damage: str, words: list[str]
) -> None:
    source, argv = JSON_COMMANDS["screen"]
    path = tmp_path / "patient.json"
    write_input(path, DAMAGE[damage](source.read_text(encoding="utf-8")))
    assert_refused(cli(*argv(str(path))), "patient file", str(path), *words)


def test_latin_1_offset_is_the_offending_byte(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "p.json"
    # 0-based offsets: '{' 0, '"patient_id"' 1-12, ':' 13, ' ' 14, '"' 15, 'Ren' 16-18, é 19
    path.write_bytes(b'{"patient_id": "Ren\xe9"}')
    assert_refused(cli("screen", str(path)), "byte offset 19", "0xe9")
