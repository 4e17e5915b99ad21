"""The append-only, hash-chained audit trail and its verifier.

Writing (called by :mod:`hcctrial.services.persistence` in the same transaction as the data change):
every insert, update and delete appends one :class:`~hcctrial.store.models.AuditEntry` with the
actor, the UTC time, the table, the primary key, the full old and new row (canonical JSON, see
:func:`hcctrial.store.values.row_state`) and the reason. Each entry's hash is

    hash = sha256(prev_hash + canonical JSON of {seq, at, actor, table, pk, action, old, new,
                  reason})

with ``prev_hash`` the previous entry's hash (64 zeros for the first). The single row of
``audit_chain_head`` holds the last ``seq`` and hash; appending locks it (``SELECT ... FOR UPDATE``
on PostgreSQL; SQLite has one writer at a time anyway), so concurrent writers never fork the chain.
The migration adds triggers refusing UPDATE and DELETE on ``audit_log`` (and TRUNCATE on
PostgreSQL).

Verifying (:func:`verify_audit`) replays the log:

1. the chain: sequence numbers 1, 2, ... without gaps, each ``prev_hash`` equal to the previous
   hash, each hash equal to the hash of the entry's content, the head equal to the last entry —
   so an edited, deleted or cut-off audit row is found;
2. the state: for every audited table, the latest audited state of each record must equal the
   current row; a row present without audit (inserted behind the application's back), a row whose
   values differ (updated behind its back) and an audited row that is missing (deleted behind its
   back) are each reported with the table, the primary key and what differs.

Limit: a hash chain without a secret detects changes made by anyone who does not recompute the
hashes; someone who rewrites the whole chain from the tampered row onwards (and the head) is caught
only by comparing the head hash with a copy kept elsewhere (``audit verify`` prints it).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hcctrial.store.models import (
    DATA_TABLES,
    AuditAction,
    AuditChainHead,
    AuditEntry,
    table_of,
)
from hcctrial.store.values import row_state

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "GENESIS_HASH",
    "AuditProblem",
    "AuditReport",
    "PendingChange",
    "ProblemKind",
    "append_audit",
    "canonical_json",
    "entry_hash",
    "verify_audit",
]

GENESIS_HASH = "0" * 64
_HEAD_ID = 1
#: The encoder of :func:`canonical_json`, built once (``json.dumps`` builds one per call).
_CANONICAL_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(obj: object) -> str:
    """Return the canonical JSON text of ``obj``: sorted keys, no spaces, UTF-8, no NaN."""
    return _CANONICAL_ENCODER.encode(obj)


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: str,
    actor: str,
    table: str,
    pk: str,
    action: str,
    old: str | None,
    new: str | None,
    reason: str,
) -> str:
    """Return the sha256 hex digest chaining one audit entry to ``prev_hash``."""
    body = canonical_json(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "table": table,
            "pk": pk,
            "action": action,
            "old": old,
            "new": new,
            "reason": reason,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _iso_utc(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat()


@dataclass(frozen=True)
class PendingChange:
    """One change to audit: the table, the primary key, and the old/new canonical rows."""

    table: str
    pk: int
    action: AuditAction
    old: dict[str, object] | None
    new: dict[str, object] | None


def append_audit(
    session: Session,
    changes: Sequence[PendingChange],
    *,
    actor: str,
    reason: str,
    at: datetime,
) -> int:
    """Append one hash-chained audit entry per change, in the session's transaction.

    Returns the sequence number of the last entry written (0 when ``changes`` is empty).
    """
    from sqlalchemy import insert, select, update

    if not changes:
        return 0
    head = session.execute(
        select(AuditChainHead.last_seq, AuditChainHead.last_hash)
        .where(AuditChainHead.id == _HEAD_ID)
        .with_for_update()
    ).one_or_none()
    if head is None:
        raise RuntimeError("audit_chain_head is missing: run `hcctrial init` (migrations)")
    seq, prev = int(head.last_seq), str(head.last_hash)
    at_text = _iso_utc(at)
    rows: list[dict[str, Any]] = []
    for change in changes:
        seq += 1
        old = None if change.old is None else canonical_json(change.old)
        new = None if change.new is None else canonical_json(change.new)
        pk = str(change.pk)
        digest = entry_hash(
            prev,
            seq=seq,
            at=at_text,
            actor=actor,
            table=change.table,
            pk=pk,
            action=change.action.value,
            old=old,
            new=new,
            reason=reason,
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "table_name": change.table,
                "row_pk": pk,
                "action": change.action,
                "old_values": old,
                "new_values": new,
                "reason": reason,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    session.execute(insert(table_of(AuditEntry)), rows)
    session.execute(
        update(table_of(AuditChainHead))
        .where(table_of(AuditChainHead).c.id == _HEAD_ID)
        .values(last_seq=seq, last_hash=prev)
    )
    return seq


# ------------------------------------------------------------------------------------- verify
class ProblemKind(enum.StrEnum):
    """What ``audit verify`` found wrong."""

    AUDIT_ENTRY_ALTERED = "audit_entry_altered"
    AUDIT_ENTRY_MISSING = "audit_entry_missing"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken"
    AUDIT_LOG_TRUNCATED = "audit_log_truncated"
    ROW_CHANGED = "row_changed"
    ROW_UNAUDITED = "row_unaudited"
    ROW_DELETED = "row_deleted"


@dataclass(frozen=True)
class AuditProblem:
    """One broken record: its table and primary key, the audit sequence number, and the detail."""

    kind: ProblemKind
    table: str
    pk: str | None
    seq: int | None
    detail: str

    @property
    def message(self) -> str:
        """One line naming the record and what is wrong."""
        where = self.table if self.pk is None else f"{self.table} id {self.pk}"
        return f"{where}: {self.detail}"

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "table": self.table,
            "pk": self.pk,
            "seq": self.seq,
            "detail": self.detail,
            "message": self.message,
        }


@dataclass(frozen=True)
class AuditReport:
    """The result of :func:`verify_audit`: ``ok`` when chain and tables agree."""

    entries: int
    records: int
    head_hash: str
    problems: tuple[AuditProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> AuditProblem | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "records": self.records,
            "head_hash": self.head_hash,
            "problems": [p.as_dict() for p in self.problems],
        }


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _differences(audited: dict[str, Any], current: dict[str, Any]) -> str:
    parts = []
    for key in sorted(set(audited) | set(current)):
        a, c = audited.get(key), current.get(key)
        if a != c:
            parts.append(f"{key}: audited {a!r}, now {c!r}")
    return "; ".join(parts) or "values differ"


def verify_audit(session: Session, *, batch_size: int = 10_000) -> AuditReport:
    """Replay the audit chain and compare the latest audited state with the current tables.

    Reads everything in one transaction; memory grows with the number of records (a 16-byte digest
    per record, not the rows themselves).
    """
    from sqlalchemy import select

    problems: list[AuditProblem] = []
    audit = table_of(AuditEntry)
    # (table, pk) -> (seq of the latest entry, digest of the latest state or None if deleted)
    latest: dict[tuple[str, str], tuple[int, bytes | None]] = {}
    expected_seq = 1
    prev = GENESIS_HASH
    entries = 0
    result = session.execute(
        select(audit).order_by(audit.c.seq).execution_options(yield_per=batch_size)
    )
    for row in result.mappings():
        entries += 1
        seq = int(row["seq"])
        table, pk = str(row["table_name"]), str(row["row_pk"])
        if seq != expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
            problems.append(
                AuditProblem(
                    ProblemKind.AUDIT_ENTRY_MISSING,
                    "audit_log",
                    None,
                    expected_seq,
                    f"audit entries seq {missing} are missing (deleted from the log)",
                )
            )
        elif row["prev_hash"] != prev:
            problems.append(
                AuditProblem(
                    ProblemKind.AUDIT_CHAIN_BROKEN,
                    "audit_log",
                    str(seq),
                    seq,
                    f"seq {seq} ({table} id {pk}) does not link to the entry before it",
                )
            )
        action = row["action"]
        action_value = action.value if isinstance(action, enum.Enum) else str(action)
        recomputed = entry_hash(
            str(row["prev_hash"]),
            seq=seq,
            at=_iso_utc(row["at"]),
            actor=str(row["actor"]),
            table=table,
            pk=pk,
            action=action_value,
            old=row["old_values"],
            new=row["new_values"],
            reason=str(row["reason"]),
        )
        if recomputed != row["hash"]:
            problems.append(
                AuditProblem(
                    ProblemKind.AUDIT_ENTRY_ALTERED,
                    "audit_log",
                    str(seq),
                    seq,
                    f"entry seq {seq} ({action_value} of {table} id {pk}) was altered: its "
                    "content no longer matches its hash",
                )
            )
        new = row["new_values"]
        latest[(table, pk)] = (seq, None if new is None else _digest(str(new)))
        prev = str(row["hash"])
        expected_seq = seq + 1

    head = session.execute(
        select(AuditChainHead.last_seq, AuditChainHead.last_hash).where(
            AuditChainHead.id == _HEAD_ID
        )
    ).one_or_none()
    head_seq, head_hash = (0, GENESIS_HASH) if head is None else (head.last_seq, head.last_hash)
    if head_seq != expected_seq - 1 or head_hash != prev:
        problems.append(
            AuditProblem(
                ProblemKind.AUDIT_LOG_TRUNCATED,
                "audit_log",
                None,
                head_seq,
                f"the chain head records seq {head_seq} but the log ends at seq "
                f"{expected_seq - 1}: entries were removed from its end (or the head was edited)",
            )
        )

    records = 0
    from hcctrial.store.models_datamgmt import DATAMGMT_TABLES

    for model in (*DATA_TABLES, *DATAMGMT_TABLES):
        data_table = table_of(model)
        name = data_table.name
        rows = session.execute(
            select(data_table).order_by(data_table.c.id).execution_options(yield_per=batch_size)
        )
        for current in rows.mappings():
            records += 1
            pk = str(current["id"])
            state = row_state(model, current)
            text = _canonical_state(state)
            seen = latest.pop((name, pk), None)
            if seen is None or seen[1] is None:
                how = "has no audit entry" if seen is None else "was deleted according to the audit"
                problems.append(
                    AuditProblem(
                        ProblemKind.ROW_UNAUDITED,
                        name,
                        pk,
                        None if seen is None else seen[0],
                        f"row {how}: it was inserted behind the application's back",
                    )
                )
            elif seen[1] != _digest(text):
                audited = _audited_state(session, seen[0])
                problems.append(
                    AuditProblem(
                        ProblemKind.ROW_CHANGED,
                        name,
                        pk,
                        seen[0],
                        "row differs from its last audited state (changed behind the "
                        f"application's back): {_differences(audited, state)}",
                    )
                )
    for (name, pk), (seq, digest) in sorted(latest.items(), key=lambda kv: kv[1][0]):
        if digest is not None:
            problems.append(
                AuditProblem(
                    ProblemKind.ROW_DELETED,
                    name,
                    pk,
                    seq,
                    "row is in the audit trail but missing from the table (deleted behind the "
                    "application's back)",
                )
            )
    return AuditReport(entries=entries, records=records, head_hash=prev, problems=tuple(problems))


def _canonical_state(state: dict[str, object]) -> str:
    return canonical_json(state)


def _audited_state(session: Session, seq: int) -> dict[str, Any]:
    from sqlalchemy import select

    text = session.execute(select(AuditEntry.new_values).where(AuditEntry.seq == seq)).scalar_one()
    try:
        loaded = json.loads(text or "null")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
