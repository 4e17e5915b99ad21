"""Which database: explicit URL or path, $HCCTRIAL_DATABASE_URL, else ./hcctrial.sqlite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hcctrial.store.session import database_url


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        ("sqlite:///a.sqlite", "postgresql://x/y", "sqlite:///a.sqlite"),  # explicit wins
        (None, "postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),  # then the env
        (None, "postgres://u@h/db", "postgresql+psycopg://u@h/db"),  # psycopg v3 driver
        ("postgresql://u@h:5432/db", None, "postgresql+psycopg://u@h:5432/db"),
    ],
)
def test_database_url_precedence(
    monkeypatch: pytest.MonkeyPatch, given: str | None, env: str | None, expected: str
) -> None:
    if env is None:
        monkeypatch.delenv("HCCTRIAL_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("HCCTRIAL_DATABASE_URL", env)
    assert database_url(given) == expected


def test_default_is_a_sqlite_file_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HCCTRIAL_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert database_url() == f"sqlite:///{tmp_path / 'hcctrial.sqlite'}"
    assert database_url("trial.db") == f"sqlite:///{tmp_path / 'trial.db'}"  # a plain path


def test_importing_the_cli_module_creates_no_engine_and_loads_no_sqlalchemy() -> None:
    code = (
        "import sys, hcctrial.cli.database, hcctrial.store.session; "
        "print('sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
