"""``hcctrial import DIR`` refuses every damaged or wrong table file whole: exit 2, a message
naming the file (and row and column for a bad cell), no traceback, and the database's row counts
unchanged (a non-empty trial database: the sample trial, into which the clean file set imports).
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.robustness.conftest import assert_refused
from tests.robustness.files import CSV_DAMAGE, ENCODING_DAMAGE, write_input
from tests.store.test_csv_io import _shift
from tests.support import cli_admin


@pytest.fixture(scope="module")
def import_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a SQLite trial database holding the sample trial, a clean import set of a second trial)."""
    from hcctrial.store.csv_io import export_directory
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine, open_session
    from tests.store.sample import write_sample_trial

    base = tmp_path_factory.mktemp("import-base")
    engine = make_engine(base / "trial.sqlite")
    try:
        upgrade_to_head(engine)
        with open_session(engine) as session:
            write_sample_trial(session)
        with open_session(engine) as session:
            export_directory(session, base / "set")
    finally:
        engine.dispose()
    (base / "set" / "audit_log.csv").unlink()
    _shift(base / "set", 1000)
    # the admin every import acts as, with its token (copied with the database to each case)
    _ADMIN[:] = cli_admin(f"sqlite:///{base / 'trial.sqlite'}")
    return base / "trial.sqlite", base / "set"


#: --user/--token of the imports (set by :func:`import_base`)
_ADMIN: list[str] = []


def row_counts(database: Path) -> dict[str, int]:
    """Rows per table of a SQLite file (read-only)."""
    conn = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


@pytest.fixture
def workspace(import_base: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the trial database and of the clean import set, for one case."""
    database, files = import_base
    shutil.copyfile(database, tmp_path / "trial.sqlite")
    shutil.copytree(files, tmp_path / "set")
    return tmp_path / "trial.sqlite", tmp_path / "set"


def _import(cli: Callable[..., CliResult], database: Path, files: Path) -> CliResult:
    return cli(
        "import",
        str(files),
        "--database",
        str(database),
        *_ADMIN,
        "--reason",
        "t",
    )


def test_the_clean_set_imports(cli: Callable[..., CliResult], workspace: tuple[Path, Path]) -> None:
    database, files = workspace
    before = row_counts(database)
    res = _import(cli, database, files)
    assert res.exit_code == 0, res.stderr
    assert row_counts(database)["patients"] == before["patients"] + 2


@pytest.mark.parametrize("damage", list({**ENCODING_DAMAGE, **CSV_DAMAGE}))
def test_a_damaged_table_file_is_refused_and_nothing_is_written(
    cli: Callable[..., CliResult], workspace: tuple[Path, Path], damage: str
) -> None:
    database, files = workspace
    path = files / "patients.csv"
    text = path.read_text(encoding="utf-8")
    path.unlink()
    write_input(path, {**ENCODING_DAMAGE, **CSV_DAMAGE}[damage](text))
    before = row_counts(database)
    assert_refused(_import(cli, database, files), "patients")
    assert row_counts(database) == before


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[row][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


#: (id, table, data row (1 = first), column, value, names in the message)
CELL_CASES: list[tuple[str, str, int, str, str, list[str]]] = [
    ("duplicate-id-in-file", "patients", 2, "id", "1001", ["patients.csv row 3", "column id"]),
    ("id-used-in-database", "patients", 1, "id", "1", ["patients.csv row 2", "already used"]),
    ("id-text", "patients", 1, "id", "abc", ["patients.csv row 2", "id"]),
    ("id-negative", "patients", 1, "id", "-4", ["patients.csv row 2", "id"]),
    ("id-missing", "patients", 1, "id", "", ["patients.csv row 2", "id"]),
    ("duplicate-study-id", "patients", 2, "study_id", "HCC-001-B", ["study_id"]),
    ("date-format", "patients", 1, "enrolment_date", "04/03/2019", ["enrolment_date"]),
    ("impossible-date", "patients", 1, "enrolment_date", "2019-02-30", ["enrolment_date"]),
    ("date-in-year-9999", "patients", 1, "enrolment_date", "9999-12-31", ["2199-12-31"]),
    ("date-in-year-1800", "lab_results", 1, "sample_date", "1800-01-01", ["1900-01-01"]),
    ("date-five-digit-year", "patients", 1, "enrolment_date", "99999-01-01", ["enrolment_date"]),
    ("id-5000-digits", "patients", 1, "id", "9" * 5000, ["patients.csv row 2", "id"]),
    ("age-400-digits", "baselines", 1, "age_years", "9" * 400, ["age_years"]),
    ("height-overflows", "baselines", 1, "height_cm", "1e400", ["height_cm"]),
    ("grade-fraction", "adverse_events", 1, "grade", "2.5", ["grade"]),
    ("unknown-status", "patients", 1, "status", "dead", ["status", "dead"]),
    ("missing-site", "patients", 1, "site_id", "99", ["site_id", "99"]),
    ("lab-negative", "lab_results", 1, "value_entered", "-35", ["value_entered"]),
    ("lab-wrong-unit", "lab_results", 1, "unit_entered", "kg", ["unit_entered", "kg"]),
    ("lab-unit-in-value", "lab_results", 1, "value_entered", "35 g/L", ["value_entered"]),
    ("lab-implausible", "lab_results", 1, "value_entered", "1e300", ["value_entered"]),
    ("lab-nan", "lab_results", 1, "value_entered", "nan", ["value_entered"]),
    ("lab-infinite", "lab_results", 1, "value_entered", "inf", ["value_entered"]),
    ("lab-unknown-analyte", "lab_results", 1, "analyte", "troponin", ["analyte", "troponin"]),
    ("lab-missing-value", "lab_results", 1, "value_entered", "", ["value_entered"]),
    ("lab-bad-date", "lab_results", 1, "sample_date", "2019-13-01", ["sample_date"]),
    ("height-in-mm", "baselines", 1, "height_cm", "1700", ["height_cm", "1700"]),
    ("height-with-unit", "baselines", 1, "height_cm", "170 cm", ["height_cm"]),
    ("negative-age", "baselines", 1, "age_years", "-5", ["age_years"]),
    ("age-fraction", "baselines", 1, "age_years", "52.5", ["age_years"]),
    ("unknown-sex", "baselines", 1, "sex", "x", ["sex"]),
    ("weight-zero", "baselines", 1, "weight_kg", "0", ["weight_kg"]),
    ("ae-grade-7", "adverse_events", 1, "grade", "7", ["grade", "7"]),
    ("ae-not-ctcae", "adverse_events", 1, "term", "Headache pain", ["term"]),
    ("negative-diameter", "lesion_measurements", 1, "diameter_mm", "-61", ["diameter_mm"]),
    ("negative-dose", "cycle_doses", 1, "given_mg", "-153", ["given_mg"]),
    ("bool-word", "screenings", 1, "eligible", "perhaps", ["eligible"]),
    ("missing-cycle", "cycle_doses", 1, "cycle_id", "77", ["cycle_id"]),
]


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "names"),
    [case[1:] for case in CELL_CASES],
    ids=[case[0] for case in CELL_CASES],
)
def test_a_bad_cell_is_refused_by_row_and_column_and_nothing_is_written(
    cli: Callable[..., CliResult],
    workspace: tuple[Path, Path],
    table: str,
    row: int,
    column: str,
    value: str,
    names: list[str],
) -> None:
    database, files = workspace
    _set_cell(files / f"{table}.csv", row, column, value)
    before = row_counts(database)
    assert_refused(_import(cli, database, files), f"{table}.csv", *names)
    assert row_counts(database) == before


def _rewrite(path: Path, edit: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")


#: (id, file, edit of its lines, names in the message)
FILE_CASES: list[tuple[str, str, Callable[[list[str]], list[str]], list[str]]] = [
    (
        "second-status-column",  # DictReader would let the last 'status' win for every patient
        "patients.csv",
        lambda ls: [ls[0] + ",status"] + [ln + ",withdrawn" for ln in ls[1:]],
        ["patients.csv", "'status' more than once"],
    ),
    (
        "lab-row-cut-short",  # csv would pad the cut row with NULLs
        "lab_results.csv",
        lambda ls: [*ls[:-1], ls[-1][: ls[-1].index(",g/L")]],
        ["lab_results.csv", "line 2 has"],
    ),
    ("unknown-column", "sites.csv", lambda ls: [ls[0] + ",colour", ls[1] + ",red"], ["colour"]),
    (
        "missing-required-column",
        "patients.csv",
        lambda ls: [ln.split(",", 1)[1] for ln in ls],
        ["id"],
    ),
    ("header-only-renamed", "patients.csv", lambda ls: [ls[0].upper(), *ls[1:]], ["ID"]),
]


@pytest.mark.parametrize(
    ("name", "edit", "names"),
    [case[1:] for case in FILE_CASES],
    ids=[case[0] for case in FILE_CASES],
)
def test_a_wrong_file_is_refused_and_nothing_is_written(
    cli: Callable[..., CliResult],
    workspace: tuple[Path, Path],
    name: str,
    edit: Callable[[list[str]], list[str]],
    names: list[str],
) -> None:
    database, files = workspace
    _rewrite(files / name, edit)
    before = row_counts(database)
    assert_refused(_import(cli, database, files), *names)
    assert row_counts(database) == before


def test_an_unknown_table_file_is_refused(
    cli: Callable[..., CliResult], workspace: tuple[Path, Path]
) -> None:
    database, files = workspace
    (files / "patient.csv").write_text("id\n1\n", encoding="utf-8")
    before = row_counts(database)
    assert_refused(_import(cli, database, files), "patient.csv")
    assert row_counts(database) == before


@pytest.mark.parametrize("what", ["missing", "file", "empty-directory"])
def test_import_of_a_directory_that_is_not_one_of_table_files(
    cli: Callable[..., CliResult], workspace: tuple[Path, Path], what: str
) -> None:
    database, files = workspace
    target = files.parent / "elsewhere"
    if what == "file":
        target.write_text("id\n", encoding="utf-8")
    elif what == "empty-directory":
        target.mkdir()
    before = row_counts(database)
    assert_refused(_import(cli, database, target), str(target))
    assert row_counts(database) == before
