"""The one top-level handler of ``hcctrial`` (:func:`hcctrial.cli.main.run`): an expected error is
one line and exit 2; anything else writes its traceback to a log file and prints one line naming
that file (exit 70); a command module that cannot be imported fails loudly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hcctrial.cli import main
from tests.conftest import CliResult


@pytest.fixture
def log_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HCCTRIAL_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path / "logs"


def _break_bsa(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def boom(*args: object, **kwargs: object) -> float:
        raise exc

    monkeypatch.setattr("hcctrial.clinical.body.body_surface_area_m2", boom)


def test_an_expected_error_is_one_line_and_exit_2(cli: Callable[..., CliResult]) -> None:
    res = cli("bsa", "--height-cm", "1700", "--weight-kg", "70")
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: height_cm: got 1700")


def test_an_unexpected_error_goes_to_a_log_file_and_exit_70(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, log_dir: Path
) -> None:
    _break_bsa(monkeypatch, ZeroDivisionError("float division by zero"))
    res = cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    assert res.exit_code == main.EXIT_INTERNAL_ERROR == 70
    assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1
    logs = list(log_dir.glob("crash-*.log"))
    assert len(logs) == 1
    assert str(logs[0]) in res.stderr and "bug" in res.stderr
    assert "ZeroDivisionError: float division by zero" in res.stderr
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in boom" in text
    assert "command: hcctrial bsa --height-cm 170 --weight-kg 70" in text


def test_two_crashes_in_one_second_keep_both_logs(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, log_dir: Path
) -> None:
    _break_bsa(monkeypatch, RuntimeError("first"))
    cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    _break_bsa(monkeypatch, RuntimeError("second"))
    cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    texts = sorted(p.read_text() for p in log_dir.glob("crash-*.log"))
    assert (
        len(texts) == 2 and any("first" in t for t in texts) and any("second" in t for t in texts)
    )


def test_the_log_falls_back_to_the_temporary_directory(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("HCCTRIAL_LOG_DIR", str(blocked / "logs"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    _break_bsa(monkeypatch, RuntimeError("x"))
    res = cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    assert res.exit_code == 70
    (log,) = (tmp_path / "tmp").glob("crash-*.log")
    assert str(log) in res.stderr


def test_a_file_the_command_cannot_write_is_exit_2_naming_it(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _break_bsa(monkeypatch, PermissionError(13, "Permission denied", str(tmp_path / "out.csv")))
    res = cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    assert res.exit_code == 2
    assert f"cannot use {tmp_path / 'out.csv'}: Permission denied" in res.stderr


def test_a_database_failure_outside_open_database_is_named_without_sql(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    orig = sqlite3.OperationalError("database is locked")
    _break_bsa(monkeypatch, OperationalError("INSERT INTO secrets VALUES (?)", ("pw",), orig))
    res = cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    assert res.exit_code == 2 and "database is locked" in res.stderr
    assert "INSERT" not in res.stderr and "pw" not in res.stderr


def test_interrupt_is_exit_130_without_traceback(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_bsa(monkeypatch, KeyboardInterrupt())
    res = cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    assert res.exit_code == 130 and "Traceback" not in res.stderr


def test_a_command_module_that_cannot_be_imported_fails_loudly(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, log_dir: Path
) -> None:
    groups = [*main.COMMAND_GROUPS, ("no_such_module", None, "Missing.")]
    monkeypatch.setattr(main, "COMMAND_GROUPS", groups)
    res = cli("--help")
    assert res.exit_code == 70
    assert "No module named 'hcctrial.cli.no_such_module'" in res.stderr
    with pytest.raises(ModuleNotFoundError):
        main.build_app()


def test_an_argument_that_is_not_utf_8_is_refused_by_position(
    cli: Callable[..., CliResult],
) -> None:
    res = cli("grade", "ae", "Naus\udce9a")  # the byte 0xe9 of a Latin-1 terminal
    assert res.exit_code == 2
    assert "argument 3 ('Naus\\udce9a'): not valid UTF-8 text" in res.stderr


def test_a_crash_whose_message_is_not_text_still_gives_one_line_and_a_log(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, log_dir: Path
) -> None:
    _break_bsa(monkeypatch, RuntimeError("bad \udcff byte"))
    res = cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    assert res.exit_code == 70 and "Traceback" not in res.stderr
    assert "bad \\udcff byte" in res.stderr
    (log,) = log_dir.glob("crash-*.log")
    assert "RuntimeError: bad \\udcff byte" in log.read_text(encoding="utf-8")
