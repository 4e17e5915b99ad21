"""The audit trail: hash chain as documented, append-only guards, tamper detection that names."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from hcctrial.services.persistence import update
from hcctrial.store import models as m
from hcctrial.store.audit_verify import ProblemKind, verify_audit
from tests.store.sample import ACTOR, write_sample_trial


@pytest.fixture
def trial(sessions: Any) -> dict[str, int]:
    with sessions() as s, s.begin():
        ids = write_sample_trial(s)
        update(
            s,
            m.Patient,
            ids["patient"],
            {"status": "follow_up"},
            expected_version=1,
            actor=ACTOR,
            reason="off treatment",
        )
    return ids


def _drop_guards(engine: Any) -> None:
    """Remove the append-only triggers, as someone with full database rights could."""
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.execute(text("DROP TRIGGER audit_log_no_update"))
            c.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))


def _raw(engine: Any, sql: str) -> None:
    with engine.begin() as c:
        c.execute(text(sql))


def _verify(sessions: Any) -> Any:
    with sessions() as s:
        return verify_audit(s)


def test_each_hash_is_hmac_sha256_of_previous_hash_plus_canonical_json(
    sessions: Any, trial: dict[str, int]
) -> None:
    # The documented formula, recomputed here independently with hmac, hashlib and json; the key
    # is the default key file of the chain, in the run's state directory (tests/conftest.py).
    with sessions() as s:
        entries = list(s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.seq)))
        chain_id = s.execute(text("SELECT chain_id FROM audit_chain_head")).scalar_one()
    key_file = Path(os.environ["HCCTRIAL_STATE_DIR"]) / "audit-keys" / f"{chain_id}.key"
    key = key_file.read_bytes().strip()
    assert len(key) == 64 and oct(key_file.stat().st_mode)[-3:] == "600"
    prev = "0" * 64
    for e in entries:
        body = {
            "seq": e.seq,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "table": e.table_name,
            "pk": e.row_pk,
            "action": str(e.action),
            "old": e.old_values,
            "new": e.new_values,
            "reason": e.reason,
        }
        text_ = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert e.prev_hash == prev
        assert e.hash == hmac.new(key, (prev + text_).encode(), hashlib.sha256).hexdigest()
        prev = e.hash
    assert [e.seq for e in entries] == list(range(1, 20))  # 18 inserts + 1 update


def test_intact_database_verifies(sessions: Any, trial: dict[str, int]) -> None:
    report = _verify(sessions)
    assert report.ok and report.problems == ()
    assert (report.entries, report.records) == (19, 18)


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_log SET actor = 'x' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2"]
)
def test_audit_log_refuses_update_and_delete(engine: Any, trial: dict[str, int], sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        _raw(engine, sql)


def test_raw_update_of_a_data_row_is_named(engine: Any, sessions: Any, trial: Any) -> None:
    _raw(engine, f"UPDATE baselines SET ecog = 3 WHERE id = {trial['baseline']}")
    report = _verify(sessions)
    assert not report.ok
    (p,) = report.problems
    assert (p.kind, p.table, p.pk) == (ProblemKind.ROW_CHANGED, "baselines", str(trial["baseline"]))
    assert "ecog: audited 1, now 3" in p.message


def test_raw_insert_without_audit_is_named(engine: Any, sessions: Any, trial: Any) -> None:
    _raw(
        engine,
        "INSERT INTO sites (id, code, name, version, created_at, updated_at) "
        "VALUES (99, 'X', 'Ghost', 1, '2020-01-01 00:00:00', '2020-01-01 00:00:00')",
    )
    (p,) = _verify(sessions).problems
    assert (p.kind, p.table, p.pk) == (ProblemKind.ROW_UNAUDITED, "sites", "99")


def test_raw_delete_of_a_data_row_is_named(engine: Any, sessions: Any, trial: Any) -> None:
    _raw(engine, f"DELETE FROM lesion_measurements WHERE id = {trial['lesion']}")
    (p,) = _verify(sessions).problems
    assert (p.kind, p.table, p.pk) == (
        ProblemKind.ROW_DELETED,
        "lesion_measurements",
        str(trial["lesion"]),
    )


def test_raw_update_of_an_audit_row_is_named(engine: Any, sessions: Any, trial: Any) -> None:
    _drop_guards(engine)
    _raw(engine, "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3")
    first = _verify(sessions).first_problem
    assert first is not None
    assert (first.kind, first.table, first.seq) == (ProblemKind.AUDIT_ENTRY_ALTERED, "audit_log", 3)
    assert "seq 3 (insert of patients id 1)" in first.message


def test_audit_row_edited_together_with_its_data_row_is_found(
    engine: Any, sessions: Any, trial: Any
) -> None:
    # Someone changes the data and rewrites the audited new value to match: the hash breaks.
    _drop_guards(engine)
    _raw(engine, "UPDATE sites SET name = 'Other' WHERE id = 1")
    _raw(
        engine,
        "UPDATE audit_log SET new_values = REPLACE(new_values, 'Sun Yat-sen', 'Other') "
        "WHERE seq = 1",
    )
    problems = _verify(sessions).problems
    assert [(p.kind, p.seq) for p in problems] == [(ProblemKind.AUDIT_ENTRY_ALTERED, 1)]


def test_raw_delete_of_an_audit_row_is_named(engine: Any, sessions: Any, trial: Any) -> None:
    _drop_guards(engine)
    _raw(engine, "DELETE FROM audit_log WHERE seq = 5")
    first = _verify(sessions).first_problem
    assert first is not None
    assert (first.kind, first.seq) == (ProblemKind.AUDIT_ENTRY_MISSING, 5)
    assert "seq 5 are missing" in first.message


def test_cutting_entries_off_the_end_of_the_log_is_found(
    engine: Any, sessions: Any, trial: Any
) -> None:
    _drop_guards(engine)
    _raw(engine, "DELETE FROM audit_log WHERE seq = 19")  # the last entry (the update)
    kinds = [p.kind for p in _verify(sessions).problems]
    assert ProblemKind.AUDIT_LOG_TRUNCATED in kinds
    assert ProblemKind.ROW_CHANGED in kinds  # the patient no longer matches its audited state
