"""The keyed chain as an attacker would try it: forge, rewrite, cut, scramble; and checkpoints.

The attacker here has full database rights (drops the append-only triggers) and knows the
documented hash formula; only the "with the key" cases also read the key file. Every case runs on
SQLite and PostgreSQL through the command line (``audit verify --json``, ``audit checkpoint``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.cli.test_cli_database import _sample_dir
from tests.conftest import CliResult
from tests.store.databases import BACKENDS, fresh_database_url
from tests.support import cli_admin


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database_url(request.param, tmp_path) as u:
        yield u


@pytest.fixture
def trial(cli: Callable[..., CliResult], url: str, tmp_path: Path) -> str:
    """A database with the importing admin and 5 imported rows (6 audit entries), verified intact."""
    assert cli("init", "--database", url).exit_code == 0
    r = cli("import", str(_sample_dir(tmp_path)), "--database", url, *cli_admin(url, "dm"))
    assert r.exit_code == 0, r.stderr
    return url


def _sql(url: str, *statements: str | tuple[str, dict[str, Any]], drop_guards: bool = True) -> None:
    from hcctrial.store.session import make_engine

    engine: Any = make_engine(url)
    try:
        with engine.begin() as c:
            if drop_guards and engine.dialect.name == "sqlite":
                c.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
                c.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            elif drop_guards:
                c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            for sql in statements:
                if isinstance(sql, tuple):
                    c.execute(text(sql[0]), sql[1])
                else:
                    c.execute(text(sql))
    finally:
        engine.dispose()


def _rows(url: str, sql: str) -> list[Any]:
    from hcctrial.store.session import make_engine

    engine: Any = make_engine(url)
    try:
        with engine.connect() as c:
            return list(c.execute(text(sql)))
    finally:
        engine.dispose()


def _body(seq: int, at: str, actor: str, table: str, pk: str, action: str, old: Any, new: Any,
          reason: str) -> str:  # fmt: skip
    """The documented hashed body, written here with json (independent of the code)."""
    fields = {"seq": seq, "at": at, "actor": actor, "table": table, "pk": pk, "action": action}
    fields |= {"old": old, "new": new, "reason": reason}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _key(url: str) -> bytes:
    (chain_id,) = _rows(url, "SELECT chain_id FROM audit_chain_head")[0]
    key_file = Path(os.environ["HCCTRIAL_STATE_DIR"]) / "audit-keys" / f"{chain_id}.key"
    return key_file.read_bytes().strip()


def _verify(cli: Callable[..., CliResult], url: str, *extra: str) -> tuple[int, dict[str, Any]]:
    r = cli("audit", "verify", "--database", url, "--json", *extra)
    assert "Traceback" not in r.stderr
    return r.exit_code, (r.json() if r.stdout.strip() else {})


def _forge_update(url: str, key: bytes | None) -> None:
    """Append an UPDATE of patient 2 by the non-existent user dr.forger, hashed by the documented
    formula (plain sha256 without the key, HMAC with it), and move the head along."""
    (seq, prev) = _rows(url, "SELECT last_seq, last_hash FROM audit_chain_head")[0]
    (old,) = _rows(url, "SELECT new_values FROM audit_log WHERE table_name='patients' "
                        "AND row_pk='2'")[0]  # fmt: skip
    new_state = json.loads(old) | {"status": "deceased"}
    new = json.dumps(new_state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    at = "2024-01-01T00:00:00+00:00"
    body = _body(seq + 1, at, "dr.forger", "patients", "2", "update", old, new, "correction")
    message = (prev + body).encode()
    digest = (
        hashlib.sha256(message).hexdigest()
        if key is None
        else hmac.new(key, message, hashlib.sha256).hexdigest()
    )
    stored_at = "2024-01-01 00:00:00.000000" if url.startswith("sqlite") else at
    _sql(
        url,
        "UPDATE patients SET status = 'deceased' WHERE id = 2",
        (
            "INSERT INTO audit_log (seq, at, actor, table_name, row_pk, action, old_values, "
            f"new_values, reason, prev_hash, hash) VALUES ({seq + 1}, '{stored_at}', "
            "'dr.forger', 'patients', '2', 'update', :old, :new, 'correction', :prev, :digest)",
            {"old": old, "new": new, "prev": prev, "digest": digest},
        ),
        f"UPDATE audit_chain_head SET last_seq = {seq + 1}, last_hash = '{digest}'",
    )


def test_intact_trial_verifies_with_the_fixed_json(cli: Any, trial: str) -> None:
    code, report = _verify(cli, trial)
    assert code == 0
    assert report["intact"] is True and report["entries"] == 6 and report["problems"] == []


def test_forged_entry_by_a_non_existent_user_is_detected(cli: Any, trial: str) -> None:
    _forge_update(trial, key=None)  # the formula is public, the key is not
    code, report = _verify(cli, trial)
    assert code == 1 and report["intact"] is False
    (problem,) = report["problems"]
    assert (problem["table"], problem["id"]) == ("audit_log", 7)
    assert "dr.forger" in problem["what"] and "forged" in problem["what"]


def test_forger_holding_the_key_is_caught_only_by_a_kept_checkpoint(
    cli: Any, trial: str, tmp_path: Path
) -> None:
    kept = tmp_path / "cp.json"
    r = cli("audit", "checkpoint", "--database", trial, "--out", str(kept))
    assert r.exit_code == 0, r.stderr
    checkpoint = json.loads(kept.read_text())
    assert checkpoint == json.loads(r.stdout)
    assert set(checkpoint) == {"seq", "head", "at"} and checkpoint["seq"] == 6
    assert checkpoint["at"].endswith("Z")
    # Rewrite history from entry 2 on, with the key: every hash recomputed, the head too.
    key = _key(trial)
    rows = _rows(trial, "SELECT seq, at, actor, table_name, row_pk, action, old_values, "
                        "new_values, reason, prev_hash FROM audit_log ORDER BY seq")  # fmt: skip
    prev = rows[0][9]
    updates = []
    for seq, at, _actor, table, pk, action, old, new, reason, _prev in rows:
        at_text = (at if not isinstance(at, str) else __import__("datetime").datetime
                   .fromisoformat(at).replace(tzinfo=__import__("datetime").UTC)).isoformat()  # fmt: skip
        actor = "dr.forger" if seq >= 2 else _actor
        body = _body(seq, at_text, actor, table, pk, action.lower(), old, new, reason)
        digest = hmac.new(key, (prev + body).encode(), hashlib.sha256).hexdigest()
        updates.append(
            f"UPDATE audit_log SET actor = '{actor}', prev_hash = '{prev}', hash = '{digest}' "
            f"WHERE seq = {seq}"
        )
        prev = digest
    updates.append(f"UPDATE audit_chain_head SET last_hash = '{prev}'")
    _sql(trial, *updates)
    code, report = _verify(cli, trial)
    assert code == 0, report  # with the key and without a checkpoint the rewrite passes
    code, report = _verify(cli, trial, "--checkpoint", str(kept))
    assert code == 1
    assert [(p["table"], p["id"], p["kind"]) for p in report["problems"]] == [
        ("audit_log", 6, "checkpoint_mismatch")
    ]


def test_last_entry_removed_with_its_row_and_head_needs_a_checkpoint(
    cli: Any, trial: str, tmp_path: Path
) -> None:
    kept = tmp_path / "cp.json"
    assert cli("audit", "checkpoint", "--database", trial, "--out", str(kept)).exit_code == 0
    (seq, table, pk, prev) = _rows(
        trial, "SELECT seq, table_name, row_pk, prev_hash FROM audit_log ORDER BY seq DESC"
    )[0]
    _sql(
        trial,
        f"DELETE FROM {table} WHERE id = {pk}",
        f"DELETE FROM audit_log WHERE seq = {seq}",
        f"UPDATE audit_chain_head SET last_seq = {seq - 1}, last_hash = '{prev}'",
    )
    assert _verify(cli, trial)[0] == 0  # nothing inside the database can tell
    code, report = _verify(cli, trial, "--checkpoint", str(kept))
    assert code == 1
    assert report["problems"][0]["kind"] == "checkpoint_mismatch"
    assert "ends at seq 5, before the checkpoint kept at seq 6" in report["problems"][0]["what"]


def test_a_rewritten_tail_without_the_key_is_detected_without_a_checkpoint(
    cli: Any, trial: str
) -> None:
    # Rewriting entries 4-6 and the head by the public formula (no key): the hashes do not verify.
    rows = _rows(trial, "SELECT seq, prev_hash FROM audit_log WHERE seq >= 4 ORDER BY seq")
    prev = rows[0][1]
    statements = []
    for seq, _ in rows:
        digest = hashlib.sha256(f"{prev}forged{seq}".encode()).hexdigest()
        statements.append(
            f"UPDATE audit_log SET reason = 'rewritten', prev_hash = '{prev}', hash = '{digest}' "
            f"WHERE seq = {seq}"
        )
        prev = digest
    statements.append(f"UPDATE audit_chain_head SET last_hash = '{prev}'")
    _sql(trial, *statements)
    code, report = _verify(cli, trial)
    assert code == 1
    assert [(p["id"], p["kind"]) for p in report["problems"]] == [
        (4, "audit_entry_altered"),
        (5, "audit_entry_altered"),
        (6, "audit_entry_altered"),
    ]


def test_values_of_the_wrong_type_are_named_problems_not_crashes(cli: Any, trial: str) -> None:
    if not trial.startswith("sqlite"):
        pytest.skip("PostgreSQL refuses a value of the wrong type itself")
    _sql(
        trial,
        "UPDATE lab_results SET sample_date = 'not a date' WHERE id = 1",
        "UPDATE screenings SET eligible = 'maybe' WHERE id = 1",
        "UPDATE audit_log SET at = 'yesterday' WHERE seq = 2",
    )
    code, report = _verify(cli, trial)
    assert code == 1
    named = {(p["table"], p["id"]): p["what"] for p in report["problems"]}
    assert "at holds 'yesterday', expected a UTC timestamp" in named[("audit_log", 2)]
    assert "sample_date holds 'not a date', expected a date" in named[("lab_results", 1)]
    assert "eligible holds 'maybe', expected true or false" in named[("screenings", 1)]


def test_cannot_run_exits_2(cli: Any, trial: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"seq": "five"}')
    r = cli("audit", "verify", "--database", trial, "--checkpoint", str(bad))
    assert r.exit_code == 2 and "--checkpoint" in r.stderr and "Traceback" not in r.stderr
    r = cli("audit", "verify", "--database", trial, "--checkpoint", str(tmp_path / "missing"))
    assert r.exit_code == 2
    # A wrong key (someone else's, or a key file lost and replaced) cannot verify: exit 2, named.
    admin = cli_admin(trial, "dm")  # a token issued under the right key, before it is replaced
    wrong = tmp_path / "wrong.key"
    wrong.write_text("w" * 64)
    os.environ["HCCTRIAL_AUDIT_KEY_FILE"] = str(wrong)
    try:
        r = cli("audit", "verify", "--database", trial)
        assert r.exit_code == 2 and "not the key of this database's audit chain" in r.stderr
        new = tmp_path / "new"
        new.mkdir()
        (new / "sites.csv").write_text("id,code,name,country\n2,PUMCH,Peking Union,China\n")
        r = cli("import", str(new), "--database", trial, *admin)  # nor write with it
        assert r.exit_code == 2 and "Nothing was written" in r.stderr
        r = cli("serve", "--database", trial, "--port", "1")  # refused before it would start
        assert r.exit_code == 2 and "not the key of this database's audit chain" in r.stderr
    finally:
        del os.environ["HCCTRIAL_AUDIT_KEY_FILE"]
    assert _verify(cli, trial)[0] == 0
