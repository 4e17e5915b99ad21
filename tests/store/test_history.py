"""``export`` -> ``import --with-history``: the trial and every audit entry survive SQLite ->
PostgreSQL -> SQLite unchanged (who, when, old, new, reason), and the restored chain verifies; an
edited export or a non-empty target is refused, naming why."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.cli.test_cli_database import _sample_dir
from tests.conftest import CliResult
from tests.store.databases import fresh_database_url
from tests.support import cli_admin

_ENTRY = "SELECT seq, at, actor, table_name, row_pk, action, old_values, new_values, reason "


def _entries(url: str) -> list[tuple[Any, ...]]:
    """Every entry as (seq, UTC time, actor, table, id, action, old, new, reason)."""
    from datetime import UTC, datetime

    from hcctrial.store.session import make_engine

    engine: Any = make_engine(url)
    try:
        with engine.connect() as c:
            rows = c.execute(text(_ENTRY + "FROM audit_log ORDER BY seq")).all()
    finally:
        engine.dispose()
    out = []
    for row in rows:
        at = row[1] if isinstance(row[1], datetime) else datetime.fromisoformat(row[1])
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        out.append((row[0], at, *row[2:]))
    return out


def _with_history(url: str, tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """A trial with inserts, updates, a deletion and a password: the sample import, then changes
    through the audited writes."""
    from hcctrial.services.persistence import create, delete, update
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    assert cli("init", "--database", url).exit_code == 0
    r = cli("import", str(_sample_dir(tmp_path)), "--database", url, *cli_admin(url, "dm"))
    assert r.exit_code == 0, r.stderr
    engine: Any = make_engine(url)
    try:
        with open_session(engine) as s:
            update(s, m.Patient, 2, {"study_id": "HCC-002b"}, expected_version=1, actor="dm",
                   reason="typo in the study id")  # fmt: skip
            delete(s, m.LabResult, 1, expected_version=1, actor="inv",
                   reason="entered on wrong patient")  # fmt: skip
            create(s, m.User, {"id": 100, "username": "dr.wang", "full_name": "Wang, Ï",
                               "role": "investigator", "site_id": 1, "active": True,
                               "password_hash": "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"},
                   actor="admin", reason="new investigator")  # fmt: skip
            update(s, m.Screening, 1, {"notes": ""}, expected_version=1, actor="dm",
                   reason="empty note, not none")  # fmt: skip
    finally:
        engine.dispose()


def _tables(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in directory.glob("*.csv") if p.name != "audit_log.csv"}


def test_history_round_trip_sqlite_postgresql_sqlite(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    _with_history(source, tmp_path, cli)
    original = _entries(source)
    assert [e[5] for e in original][-4:] == ["update", "delete", "insert", "update"]
    assert cli("export", str(tmp_path / "one"), "--database", source).exit_code == 0
    with fresh_database_url("postgresql", tmp_path) as pg:
        assert cli("init", "--database", pg).exit_code == 0
        r = cli("import", str(tmp_path / "one"), "--database", pg, "--with-history", "--json")
        assert r.exit_code == 0, r.stderr
        assert r.json()["rows"]["audit_log"] == len(original)
        assert _entries(pg) == original
        r = cli("audit", "verify", "--database", pg, "--json")
        assert r.exit_code == 0 and r.json()["entries"] == len(original), r.stdout
        assert cli("export", str(tmp_path / "two"), "--database", pg).exit_code == 0
    back = f"sqlite:///{tmp_path / 'back.sqlite'}"
    assert cli("init", "--database", back).exit_code == 0
    r = cli("import", str(tmp_path / "two"), "--database", back, "--with-history")
    assert r.exit_code == 0, r.stderr
    assert _entries(back) == original
    assert cli("audit", "verify", "--database", back).exit_code == 0
    assert cli("export", str(tmp_path / "three"), "--database", back).exit_code == 0
    assert _tables(tmp_path / "three") == _tables(tmp_path / "one")  # versions, times, ids, ""
    # the restored database goes on: a new write chains on and verifies
    r = cli("import", str(_new_site(tmp_path)), "--database", back, *cli_admin(back, "dm"))
    assert r.exit_code == 0, r.stderr
    assert cli("audit", "verify", "--database", back).exit_code == 0


def _new_site(tmp_path: Path) -> Path:
    d = tmp_path / "new-site"
    d.mkdir()
    (d / "sites.csv").write_text("id,code,name,country\n2,PUMCH,Peking Union,China\n")
    return d


@pytest.fixture
def exported(cli: Callable[..., CliResult], tmp_path: Path) -> Path:
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    _with_history(source, tmp_path, cli)
    assert cli("export", str(tmp_path / "out"), "--database", source).exit_code == 0
    return tmp_path / "out"


def _edit(path: Path, row_id: str, column: str, value: str) -> None:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["id"] == row_id:
            row[column] = value
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_an_edited_export_or_a_non_empty_target_is_refused(
    cli: Callable[..., CliResult], exported: Path, tmp_path: Path
) -> None:
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    assert cli("init", "--database", target).exit_code == 0
    _edit(exported / "patients.csv", "1", "status", "deceased")
    r = cli("import", str(exported), "--database", target, "--with-history")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert "patients.csv row 2, column status: got 'deceased'" in r.stderr
    _edit(exported / "patients.csv", "1", "status", "enrolled")
    _edit(exported / "users.csv", "100", "password_hash", "$argon2id$v=19$m=8,t=1,p=1$eA$eA")
    r = cli("import", str(exported), "--database", target, "--with-history")
    assert r.exit_code == 2 and "users.csv id 100, column password_hash" in r.stderr
    assert cli("audit", "verify", "--database", target, "--json").json()["entries"] == 0
    # a database that already holds records is not a target for a restore
    _edit(exported / "users.csv", "100", "password_hash", "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA")
    assert cli("import", str(exported), "--database", target, "--with-history").exit_code == 0
    r = cli("import", str(exported), "--database", target, "--with-history")
    assert r.exit_code == 2 and "must be empty" in r.stderr
