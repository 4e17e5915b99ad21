"""The installed ``hcctrial`` script, run as a user runs it (a separate process): bad input of
every kind gives exit 2 and one named message, an internal error gives exit 70 and a log file —
and no traceback ever reaches stderr."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.robustness.conftest import EXAMPLES

SCRIPT = Path(sys.executable).with_name("hcctrial")


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HCCTRIAL_LOG_DIR": str(tmp_path / "logs"), **env}
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def _make(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


#: (id, make the command line in a directory, names in the message)
CASES = [
    (
        "json-latin-1",
        lambda d: ["screen", _make(d, "p.json", b'{"patient_id": "Ren\xe9"}')],
        ["p.json"],
    ),
    ("json-nul", lambda d: ["next", _make(d, "r.json", b'{"a":\x00 1}')], ["r.json", "NUL"]),
    ("json-binary", lambda d: ["assess", "bor", _make(d, "b.json", bytes(range(256)))], ["b.json"]),
    ("json-deep", lambda d: ["assess", "mrecist", _make(d, "m.json", b"[" * 99999)], ["m.json"]),
    ("json-duplicate-key", lambda d: ["screen", _make(d, "d.json", b'{"a": 1, "a": 2}')], ["'a'"]),
    ("json-directory", lambda d: ["screen", str(d)], ["is a directory"]),
    ("json-missing", lambda d: ["screen", str(d / "nope.json")], ["nope.json"]),
    (
        "csv-ragged",
        lambda d: [
            "survival",
            "km",
            _make(d, "s.csv", b"t,e\n1,1\n2,0,9\n"),
            "--time",
            "t",
            "--event",
            "e",
        ],
        ["s.csv", "line 3"],
    ),
    (
        "csv-utf16-no-bom",
        lambda d: [
            "survival",
            "km",
            _make(d, "u.csv", "t,e\n1,1\n".encode("utf-16-le")),
            "--time",
            "t",
            "--event",
            "e",
        ],
        ["u.csv", "UTF-16"],
    ),
    (
        "toml-latin-1",
        lambda d: ["regimen", "validate", _make(d, "r.toml", b'id = "r\xe9"\n')],
        ["r.toml"],
    ),
    ("database-directory", lambda d: ["init", "--database", str(d)], ["is a directory"]),
    (
        "database-not-sqlite",
        lambda d: ["audit", "verify", "--database", _make(d, "x.db", b"hello")],
        ["x.db"],
    ),
    (
        "database-refused-port",
        lambda d: ["export", str(d / "o"), "--database", "postgresql://u:pw@127.0.0.1:1/x"],
        ["u:***@"],
    ),
    (
        "database-misspelt",
        lambda d: ["analyze", "--database", str(d / "trail.sqlite")],
        ["trail.sqlite"],
    ),
    ("option-nan", lambda d: ["bsa", "--height-cm", "nan", "--weight-kg", "70"], ["height_cm"]),
    (
        "option-date-9999",
        lambda d: ["next", str(EXAMPLES / "records" / "first_cycle.json"), "--today", "9999-12-31"],
        ["--today"],
    ),
    ("usage-error", lambda d: ["bsa", "--height-cm", "abc", "--weight-kg", "70"], ["--height-cm"]),
]


@pytest.mark.skipif(
    not SCRIPT.exists(), reason="the hcctrial script is not installed beside python"
)
@pytest.mark.parametrize(("make", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_installed_script_names_bad_input_without_a_traceback(
    tmp_path: Path, make: object, names: list[str]
) -> None:
    args = make(tmp_path)  # type: ignore[operator]
    proc = _run(args, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for name in names:
        assert name in proc.stderr, proc.stderr
    assert not (tmp_path / "trail.sqlite").exists()


def test_an_internal_error_in_a_real_process_is_one_line_and_a_log(tmp_path: Path) -> None:
    code = (
        "import sys, hcctrial.clinical.body as b\n"
        "def boom(*a, **k): raise AssertionError('engine invariant broken')\n"
        "b.body_surface_area_m2 = boom\n"
        "from hcctrial.cli.main import run\n"
        "run(sys.argv[1:])\n"
    )
    env = {**os.environ, "HCCTRIAL_LOG_DIR": str(tmp_path / "logs")}
    proc = subprocess.run(
        [sys.executable, "-c", code, "bsa", "--height-cm", "170", "--weight-kg", "70"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 70, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    (log,) = (tmp_path / "logs").glob("crash-*.log")
    assert str(log) in proc.stderr
    assert "AssertionError: engine invariant broken" in log.read_text()


def test_the_script_is_the_one_the_tests_use() -> None:
    found = shutil.which("hcctrial", path=str(SCRIPT.parent))
    assert found is not None and Path(found) == SCRIPT


@pytest.mark.skipif(
    not SCRIPT.exists(), reason="the hcctrial script is not installed beside python"
)
def test_bytes_that_are_not_utf_8_on_the_command_line_are_refused(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(SCRIPT).encode(), b"user", b"add", b"--username", b"Ren\xe9", b"--role", b"admin"],
        capture_output=True,
        env={**os.environ, "HCCTRIAL_LOG_DIR": str(tmp_path / "logs")},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert b"Traceback" not in proc.stderr and b"argument 4" in proc.stderr
