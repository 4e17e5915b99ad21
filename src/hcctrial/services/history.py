"""Restoring a trial with its history: ``hcctrial import DIR --with-history`` into an empty database.

``hcctrial export DIR`` writes every table (ids, versions, created and updated times) and
``audit_log.csv``: every entry with who, when (UTC), the table and id, the action, the old and new
row (canonical JSON) and the reason. The restore re-creates exactly that trial in another
database — the SQLite to PostgreSQL migration, and back:

1. the target must be empty (no record, no audit entry: a new ``hcctrial init``);
2. the audit log is read and checked: sequence numbers 1..N, actions, times, JSON states;
3. each record is re-created from its **last audited state** (so every value, text and version is
   the one the log holds, byte for byte), and the table files are checked against those states —
   a row that differs, is missing or is extra is a named error (the export was edited, or was not
   taken from an intact database). A user's password hash, which the log keeps only as a digest,
   comes from ``users.csv`` and must have that digest;
4. the entries are written with the same seq, time, actor, table, id, action, old and new rows and
   reason, chained again under the target database's audit key (its own chain id and key: the
   source's hashes cannot be kept without the source's key, and a database's key is its own);
5. ``audit verify`` runs in the same transaction: anything but intact and nothing is written.

The rows are restored as they were accepted, not re-checked by the trial's rules (the rules of the
day they were entered applied then; the audit log is the evidence of it). Take a new checkpoint
(``hcctrial audit checkpoint``) of the target after the restore; the source's checkpoints name the
same seq numbers but hashes under the source's key.
"""

from __future__ import annotations

import csv
import hmac
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.errors import DataValidationError, IntegrityError
from hcctrial.store import models as m
from hcctrial.store.audit_verify import entry_body
from hcctrial.store.csv_io import AUDIT_FILE
from hcctrial.store.values import audited_digest, check_value, column_specs, format_cell

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = ["restore_history"]

_AUDIT_COLUMNS = (
    "seq",
    "at",
    "actor",
    "table_name",
    "row_pk",
    "action",
    "old_values",
    "new_values",
    "reason",
)
_BATCH = 20_000
_MODELS = {model.__tablename__: model for model in m.AUDITED_TABLES}


class HistoryError(DataValidationError):
    """The export cannot be restored with its history: the message names the file, row and why."""


def _refuse_non_empty(session: Session) -> None:
    from sqlalchemy import func, select

    found = []
    models: list[type[Any]] = [m.AuditEntry, *m.AUDITED_TABLES]
    for model in models:
        n = int(session.execute(select(func.count()).select_from(m.table_of(model))).scalar_one())
        if n:
            found.append(f"{n} rows in {m.table_of(model).name}")
    if found:
        raise HistoryError(
            "import --with-history: the database must be empty (a new `hcctrial init`); it holds "
            + ", ".join(found[:5]),
            field="--with-history",
        )


def _audit_rows(directory: Path) -> Iterator[tuple[int, dict[str, str]]]:
    path = directory / AUDIT_FILE
    if not path.is_file():
        raise HistoryError(
            f"import --with-history: {path} is missing (written by `hcctrial export`)"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _AUDIT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise HistoryError(f"{AUDIT_FILE}: the header lacks {', '.join(missing)}")
        yield from enumerate(reader, start=2)


def _entry(number: int, raw: dict[str, str], expected_seq: int) -> dict[str, Any]:
    """One audit entry of the file as Python values (a named error for a bad cell)."""

    def bad(column: str, expected: str) -> HistoryError:
        return HistoryError(
            f"{AUDIT_FILE} row {number}, column {column}: got {raw.get(column)!r}; expected "
            f"{expected}",
            field=column,
        )

    try:
        seq = int(raw["seq"])
    except ValueError:
        raise bad("seq", "an integer") from None
    if seq != expected_seq:
        raise bad("seq", f"{expected_seq} (the entries in order, none missing)")
    try:
        at = datetime.fromisoformat(raw["at"])
    except ValueError:
        raise bad("at", "a UTC timestamp") from None
    if at.utcoffset() != timedelta(0):
        raise bad("at", "a UTC timestamp ending +00:00")
    if raw["action"] not in {a.value for a in m.AuditAction}:
        raise bad("action", "insert, update or delete")
    if raw["table_name"] not in _MODELS:
        raise bad("table_name", "a table of the trial")
    states: dict[str, str | None] = {}
    for column in ("old_values", "new_values"):
        text = raw[column]
        if text == "":
            states[column] = None
            continue
        try:
            loaded = json.loads(text)
        except ValueError:
            raise bad(column, "the row as JSON") from None
        if not isinstance(loaded, dict):
            raise bad(column, "the row as a JSON object")
        states[column] = text
    return {
        "seq": seq,
        "at": at,
        "actor": raw["actor"],
        "table_name": raw["table_name"],
        "row_pk": raw["row_pk"],
        "action": m.AuditAction(raw["action"]),
        "old_values": states["old_values"],
        "new_values": states["new_values"],
        "reason": raw["reason"],
    }


def _python_values(table: str, state: dict[str, Any], secret: dict[str, str | None]) -> list[Any]:
    """The values of a record (column order) from its audited state; the secret columns from the
    table file (``secret``), checked against the digests the state holds."""
    model = _MODELS[table]
    values: list[Any] = []
    for name, spec in column_specs(model).items():
        raw = state.get(name)
        if spec.audit_digest:
            given = secret.get(name)
            if audited_digest(given) != raw:
                raise HistoryError(
                    f"{table}.csv id {state.get('id')}, column {name}: the value in the file "
                    "does not have the digest its last audited state holds",
                    field=name,
                )
            values.append(given)
        elif raw is None or spec.kind == "str":
            values.append(raw)
        else:
            value, problem = check_value(spec, raw)
            if problem is not None:
                raise HistoryError(
                    f"{AUDIT_FILE}: {table} id {state.get('id')}, column {name}: got {raw!r}; "
                    f"expected {problem.expected}",
                    field=name,
                )
            values.append(value)
    return values


def _table_file(directory: Path, table: str) -> dict[str, tuple[int, dict[str, str]]]:
    path = directory / f"{table}.csv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {raw.get("id", ""): (n, raw) for n, raw in enumerate(csv.DictReader(handle), 2)}


def _check_file(
    directory: Path, table: str, states: dict[str, dict[str, Any]]
) -> dict[str, dict[str, str | None]]:
    """Compare ``<table>.csv`` with the last audited states; return each id's secret cells."""
    model = _MODELS[table]
    specs = column_specs(model)
    rows = _table_file(directory, table)
    extra = sorted(set(rows) - set(states), key=lambda k: rows[k][0])
    if extra:
        raise HistoryError(
            f"{table}.csv row {rows[extra[0]][0]}: id {extra[0]} has no audit history (a row "
            "added to the export, or an export of a database that does not verify)",
            field="id",
        )
    secrets: dict[str, dict[str, str | None]] = {}
    for pk, state in states.items():
        if pk not in rows:
            raise HistoryError(
                f"{table}.csv: id {pk} is missing, but the audit log holds it as a current record",
                field="id",
            )
        number, raw = rows[pk]
        secrets[pk] = {}
        for name, spec in specs.items():
            cell = raw.get(name, "")
            if spec.audit_digest:
                secrets[pk][name] = cell or None
                continue
            if cell != _cell_of_state(spec, state.get(name)):
                raise HistoryError(
                    f"{table}.csv row {number}, column {name}: got {cell!r}; its last audited "
                    f"state holds {state.get(name)!r}",
                    field=name,
                )
    return secrets


def _cell_of_state(spec: Any, value: Any) -> str:
    """The CSV cell ``hcctrial export`` writes for a value of an audited state."""
    if value is None:
        return ""
    if spec.kind in ("date", "datetime"):
        converted, problem = check_value(spec, value)
        if problem is not None:
            return str(value)
        value = converted
    return format_cell(spec, value)


def restore_history(session: Session, directory: Path) -> dict[str, int]:
    """Re-create the exported trial and its audit chain in the empty database of ``session``
    (in its transaction; nothing is committed here). Returns rows per table and ``audit_log``."""
    from hcctrial.services.persistence import advance_id_sequence
    from hcctrial.store.audit import GENESIS_HASH, _iso_utc, lock_head
    from hcctrial.store.audit_verify import verify_audit
    from hcctrial.store.bulk_insert import insert_rows

    directory = Path(directory)
    _refuse_non_empty(session)
    head = lock_head(session)
    assert head.key is not None and head.last_seq == 0
    audit = m.table_of(m.AuditEntry)
    names = (*_AUDIT_COLUMNS, "prev_hash", "hash")
    latest: dict[str, dict[str, str | None]] = {t: {} for t in _MODELS}
    prev, seq, batch = GENESIS_HASH, 0, []
    for number, raw in _audit_rows(directory):
        e = _entry(number, raw, seq + 1)
        seq = e["seq"]
        body = entry_body(
            seq=seq,
            at=_iso_utc(e["at"]),
            actor=e["actor"],
            table=e["table_name"],
            pk=e["row_pk"],
            action=e["action"].value,
            old=e["old_values"],
            new=e["new_values"],
            reason=e["reason"],
        )
        digest = hmac.digest(head.key, (prev + body).encode("utf-8"), "sha256").hex()
        batch.append((*(e[c] for c in _AUDIT_COLUMNS), prev, digest))
        prev = digest
        latest[e["table_name"]][e["row_pk"]] = e["new_values"]
        if len(batch) >= _BATCH:
            insert_rows(session, audit, names, batch)
            batch = []
    insert_rows(session, audit, names, batch)
    counts = _restore_records(session, directory, latest)
    for model in m.AUDITED_TABLES:
        advance_id_sequence(session, model)
    from sqlalchemy import update

    session.execute(
        update(m.table_of(m.AuditChainHead))
        .where(m.table_of(m.AuditChainHead).c.id == 1)
        .values(last_seq=seq, last_hash=prev)
    )
    report = verify_audit(session)
    if not report.ok:
        first = report.problems[0]
        raise IntegrityError(
            f"import --with-history: the restored trial does not verify ({len(report.problems)} "
            f"problem(s); first: {first.message}); nothing was written"
        )
    counts["audit_log"] = seq
    return counts


def _restore_records(
    session: Session, directory: Path, latest: dict[str, dict[str, str | None]]
) -> dict[str, int]:
    from hcctrial.store.bulk_insert import insert_rows

    counts: dict[str, int] = {}
    for model in m.AUDITED_TABLES:
        table = model.__tablename__
        states = {pk: json.loads(text) for pk, text in latest[table].items() if text is not None}
        secrets = _check_file(directory, table, states)
        rows = [
            _python_values(table, state, secrets[pk])
            for pk, state in sorted(states.items(), key=lambda kv: int(kv[0]))
        ]
        insert_rows(session, m.table_of(model), list(column_specs(model)), rows)
        counts[table] = len(rows)
    return counts
