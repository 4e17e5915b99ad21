"""``analyze`` and ``report`` name the dataset they read: the database lock's state and the content
hash of the raw records, so a result can be traced to the frozen dataset.

The expected hash is recomputed here independently of hcctrial's code, from the SQLite file with
the ``sqlite3`` module, following the canonical form of ``docs/database.md`` /
:mod:`hcctrial.store.fingerprint`: the data tables in import order except ``users``; per table the
line ``table <name>`` and each row in id order as sorted-key JSON without ``version``,
``created_at``, ``updated_at`` (booleans as true/false, dates as ISO text).
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support import cli_admin

#: The import order of the data tables (docs/database.md), ``users`` left out.
TABLES = (
    "sites",
    "patients",
    "screenings",
    "screening_criteria",
    "baselines",
    "lab_results",
    "treatment_cycles",
    "cycle_doses",
    "adverse_events",
    "imaging_assessments",
    "lesion_measurements",
    "followups",
    "protocol_deviations",
    "withdrawals",
    "derived_overrides",
    "cycle_exams",
)
PASSWORD = "a long passphrase for the data manager"


def independent_hash(path: Path) -> tuple[str, int]:
    """SHA-256 of the canonical form, straight from the SQLite file; and the number of rows."""
    digest, n = hashlib.sha256(), 0
    with sqlite3.connect(path) as con:
        for table in TABLES:
            info = con.execute(f"PRAGMA table_info({table})").fetchall()
            columns = [r[1] for r in info if r[1] not in ("version", "created_at", "updated_at")]
            booleans = {r[1] for r in info if r[2].upper() == "BOOLEAN"}
            digest.update(f"table {table}\n".encode())
            sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"
            for row in con.execute(sql):
                state = {
                    c: (bool(v) if c in booleans and v is not None else v)
                    for c, v in zip(columns, row, strict=True)
                }
                text = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                digest.update((text + "\n").encode())
                n += 1
    return digest.hexdigest(), n


def _lock(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, db: Path, *args: str) -> Any:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    return cli(*args, "--database", db)


def test_analyze_prints_the_lock_state_and_the_hash_of_the_records_it_read(
    demo_database_copy: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = demo_database_copy
    expected, rows = independent_hash(db)
    out = cli("analyze", "--database", db, "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["dataset"] == {
        "locked": False,
        "locked_at": None,
        "locked_by": None,
        "reason": None,
        "sha256": expected,
        "records": rows,
    }
    admin = cli_admin(f"sqlite:///{db}", "admin")  # the account that adds the data manager
    add = ("user", "add", "--username=dm", "--role=data_manager", "--password-stdin", *admin)
    assert _lock(cli, monkeypatch, db, *add).exit_code == 0
    lock = ("lock", "--user", "dm", "--reason", "final analysis")
    assert _lock(cli, monkeypatch, db, *lock).exit_code == 0
    out = cli("analyze", "--database", db)
    assert out.exit_code == 0, out.stderr
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("dataset: LOCKED since 20") and "by dm (final analysis)" in line
    assert f"sha256 {expected} over {rows} records" in line  # locking changed no record
    dataset = cli("analyze", "--database", db, "--json").json()["dataset"]
    assert (dataset["locked"], dataset["locked_by"], dataset["sha256"]) == (True, "dm", expected)


def test_a_changed_value_changes_the_hash(
    demo_database_copy: Path, cli: Callable[..., Any]
) -> None:
    from sqlalchemy import select

    from hcctrial.services.amend import amend_record
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.fingerprint import dataset_hash
    from hcctrial.store.session import make_engine, open_session

    db = demo_database_copy
    before, _ = independent_hash(db)
    engine = make_engine(f"sqlite:///{db}")
    with open_session(engine) as s:
        assert dataset_hash(s).sha256 == before
        ae = s.scalars(select(m.AdverseEvent).order_by(m.AdverseEvent.id)).first()
        assert ae is not None
        amend_record(
            UnitOfWork(s, Actor.system("test")),
            m.AdverseEvent,
            ae.id,
            {"serious": not ae.serious},
            expected_version=ae.version,
            reason="source data verification",
        )
    engine.dispose()
    after, _ = independent_hash(db)
    assert after != before
    assert cli("analyze", "--database", db, "--json").json()["dataset"]["sha256"] == after


def test_report_prints_the_lock_state_and_the_hash(
    demo_database_copy: Path,
    cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The report command's own output (the rendering is stubbed: tests/report covers it)."""
    db = demo_database_copy
    expected, rows = independent_hash(db)

    def fake_build(engine: Any, out: Path, *_: Any, **__: Any) -> Any:
        return SimpleNamespace(
            out_dir=out, html=None, docx=None, pdf=None, xlsx=None, csv=[], figures=[], tables=[]
        )

    monkeypatch.setattr("hcctrial.report.build.build_report", fake_build)
    out = cli("report", "--database", db, "--out", tmp_path / "r", "--json")
    assert out.exit_code == 0, out.stderr
    dataset = out.json()["dataset"]
    assert (dataset["locked"], dataset["sha256"], dataset["records"]) == (False, expected, rows)
    out = cli("report", "--database", db, "--out", tmp_path / "r")
    assert f"dataset: NOT locked (the records may still change); sha256 {expected}" in out.stdout


def test_the_report_itself_names_the_data_it_was_made_from(demo_database_copy: Path) -> None:
    """The methods section of the report (HTML, Word, the web's download) carries the lock
    state and the hash of the records read in the same transaction as the report's data."""
    from hcctrial.report.from_database import report_inputs_from_database
    from hcctrial.store.session import make_engine

    expected, rows = independent_hash(demo_database_copy)
    engine = make_engine(f"sqlite:///{demo_database_copy}")
    try:
        inputs = report_inputs_from_database(engine)
    finally:
        engine.dispose()
    assert (
        "The database was not locked for analysis (its records may have changed since). The "
        f"report was made from {rows} raw records with the content hash SHA-256 {expected}"
    ) in inputs.notes[-1]
