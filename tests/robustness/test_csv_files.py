"""``hcctrial survival km|logrank|cox`` refuse every kind of damaged CSV file by name (the one
reader: encodings, ragged and truncated rows, duplicate columns, over-long cells) and every bad
column or value by column and row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.robustness.conftest import assert_refused
from tests.robustness.files import ACCEPTED_ENCODINGS, CSV_DAMAGE, ENCODING_DAMAGE, write_input

#: 12 patients: time (months), status (1 = event), arm, age (a Cox covariate)
SURVIVAL_CSV = (
    "time,status,arm,age\n"
    "5,1,a,61\n8,0,b,55\n12,1,a,70\n3,1,b,48\n20,0,a,66\n7,1,b,59\n"
    "15,1,a,52\n9,0,b,73\n11,1,a,64\n2,1,b,45\n18,0,a,68\n6,1,b,57\n"
)

#: command -> the command line for a CSV path
SURVIVAL_COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "km": lambda f: ["survival", "km", f, "--time", "time", "--event", "status", "--json"],
    "logrank": lambda f: [
        "survival",
        "logrank",
        f,
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "arm",
        "--json",
    ],
    "cox": lambda f: [
        "survival",
        "cox",
        f,
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "age",
        "--json",
    ],
}
DAMAGE = {**ENCODING_DAMAGE, **CSV_DAMAGE}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("command", list(SURVIVAL_COMMANDS))
def test_damaged_csv_file_is_refused_naming_the_file(
    cli: Callable[..., CliResult], tmp_path: Path, command: str, damage: str
) -> None:
    path = tmp_path / "cohort.csv"
    write_input(path, DAMAGE[damage](SURVIVAL_CSV))
    assert_refused(cli(*SURVIVAL_COMMANDS[command](str(path))), str(path))


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("ragged-row-too-many-cells", ["line 3 has 5 cells; expected 4"]),
        ("ragged-row-too-few-cells", ["line 3 has 3 cells; expected 4"]),
        ("truncated-mid-row", ["line 13 has 1 cells; expected 4"]),
        ("duplicate-column", ["header row names column 'time' more than once"]),
        ("field-over-length-limit", ["line 2, column 'age': a cell of 20000 characters"]),
    ],
)
def test_the_message_names_the_line(
    cli: Callable[..., CliResult], tmp_path: Path, damage: str, words: list[str]
) -> None:
    path = tmp_path / "cohort.csv"
    write_input(path, CSV_DAMAGE[damage](SURVIVAL_CSV))
    assert_refused(cli(*SURVIVAL_COMMANDS["km"](str(path))), str(path), *words)


@pytest.mark.parametrize("encoding", list(ACCEPTED_ENCODINGS))
@pytest.mark.parametrize("command", list(SURVIVAL_COMMANDS))
def test_accepted_encodings_give_the_plain_files_result(
    cli: Callable[..., CliResult], tmp_path: Path, command: str, encoding: str
) -> None:
    plain_path = tmp_path / "plain.csv"
    plain_path.write_text(SURVIVAL_CSV, encoding="utf-8")
    plain = cli(*SURVIVAL_COMMANDS[command](str(plain_path)))
    assert plain.exit_code == 0, plain.stderr
    path = tmp_path / "cohort.csv"
    write_input(path, ACCEPTED_ENCODINGS[encoding](SURVIVAL_CSV))
    res = cli(*SURVIVAL_COMMANDS[command](str(path)))
    assert res.exit_code == 0, res.stderr
    assert res.json() == plain.json()


def _edit(row: int, column: str, value: str) -> str:
    """SURVIVAL_CSV with one cell replaced (row 1 = first data row = file line 2)."""
    lines = SURVIVAL_CSV.splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


#: (id, CSV text, command, extra arguments replacing the defaults, names in the message)
VALUE_CASES: list[tuple[str, str, str, list[str] | None, list[str]]] = [
    ("negative-time", _edit(2, "time", "-8"), "km", None, ["'time'", "line 3", "negative"]),
    ("text-time", _edit(3, "time", "twelve"), "km", None, ["'time'", "line 4", "twelve"]),
    ("infinite-time", _edit(3, "time", "inf"), "km", None, ["'time'", "line 4"]),
    ("event-code-2", _edit(1, "status", "2"), "km", None, ["'status'", "line 2"]),
    ("event-code-text", _edit(1, "status", "dead"), "km", None, ["'status'", "line 2"]),
    ("event-negative", _edit(4, "status", "-1"), "logrank", None, ["'status'", "line 5"]),
    ("time-with-unit", _edit(5, "time", "20 months"), "cox", None, ["'time'", "line 6"]),
    (
        "missing-time-column",
        SURVIVAL_CSV,
        "km",
        ["--time", "months", "--event", "status"],
        ["'months'", "not found"],
    ),
    (
        "missing-event-column",
        SURVIVAL_CSV,
        "logrank",
        ["--time", "time", "--event", "died", "--group", "arm"],
        ["'died'"],
    ),
    (
        "missing-group-column",
        SURVIVAL_CSV,
        "logrank",
        ["--time", "time", "--event", "status", "--group", "treatment"],
        ["'treatment'"],
    ),
    (
        "missing-covariate",
        SURVIVAL_CSV,
        "cox",
        ["--time", "time", "--event", "status", "--covariates", "weight"],
        ["'weight'"],
    ),
    (
        "semicolon-separated",
        SURVIVAL_CSV.replace(",", ";"),
        "km",
        None,
        ["'time'", "not found"],
    ),
    ("header-only", SURVIVAL_CSV.splitlines()[0] + "\n", "km", None, ["cohort.csv"]),
    (
        "all-times-missing",
        "time,status,arm,age\nNA,1,a,50\n,0,b,60\n",
        "km",
        None,
        ["cohort.csv"],
    ),
    (
        "one-group-only",
        SURVIVAL_CSV.replace(",b,", ",a,"),
        "logrank",
        None,
        ["one group"],
    ),
]


@pytest.mark.parametrize(
    ("text", "command", "args", "names"),
    [case[1:] for case in VALUE_CASES],
    ids=[case[0] for case in VALUE_CASES],
)
def test_bad_column_or_value_is_refused_naming_it(
    cli: Callable[..., CliResult],
    tmp_path: Path,
    text: str,
    command: str,
    args: list[str] | None,
    names: list[str],
) -> None:
    path = tmp_path / "cohort.csv"
    path.write_text(text, encoding="utf-8")
    argv = SURVIVAL_COMMANDS[command](str(path))
    if args is not None:
        argv = [*argv[:3], *args, "--json"]
    assert_refused(cli(*argv), *names)
