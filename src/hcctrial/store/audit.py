"""The append-only, hash-chained and keyed audit trail.

Writing (called by :mod:`hcctrial.services.persistence` in the same transaction as the data change):
every insert, update and delete appends one :class:`~hcctrial.store.models.AuditEntry` with the
actor, the UTC time, the table, the primary key, the full old and new row (canonical JSON, see
:func:`hcctrial.store.values.row_state`) and the reason. Each entry's hash is

    hash = HMAC-SHA256(key, prev_hash + canonical JSON of {seq, at, actor, table, pk, action,
                       old, new, reason})   (hex)

with ``prev_hash`` the previous entry's hash (64 zeros for the first) and ``key`` the audit key kept
outside the database (:mod:`hcctrial.store.audit_key`). Entries written before the database was
keyed (``seq < keyed_from`` of the head, databases created before issue 16) keep their plain
``sha256(prev_hash + body)``; the first keyed entry chains onto them, and the key check binds the
last of them to the key. The single row of ``audit_chain_head`` holds the last ``seq`` and hash,
the chain id, ``keyed_from``, ``anchor_hash`` and the key check; appending locks it (``SELECT ...
FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time anyway), so concurrent writers never
fork the chain, and refuses to write with a key that is not the chain's. The migrations add
triggers refusing UPDATE and DELETE on ``audit_log`` (and TRUNCATE on PostgreSQL).

Verifying is :mod:`hcctrial.store.audit_verify` (``hcctrial audit verify``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hcctrial.store.models import AuditAction, AuditChainHead, AuditEntry, table_of

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "GENESIS_HASH",
    "ChainHead",
    "PendingChange",
    "append_audit",
    "canonical_json",
    "check_audit_key",
    "entry_hash",
    "lock_head",
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
    key: bytes | None,
) -> str:
    """Return the hex digest chaining one audit entry to ``prev_hash``: HMAC-SHA256 under ``key``,
    or the plain sha256 of the entries written before the chain was keyed (``key=None``)."""
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
    message = (prev_hash + body).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.digest(key, message, "sha256").hex()


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


@dataclass(frozen=True)
class ChainHead:
    """The chain head as read (and locked) by a writer: the last entry and the key to chain with.

    ``key`` is None only on a database not yet anchored (during the migrations before
    ``i16_audit``), whose entries are hashed as before keying.
    """

    last_seq: int
    last_hash: str
    key: bytes | None


def check_audit_key(session: Session) -> None:
    """Raise :class:`~hcctrial.store.audit_key.AuditKeyError` unless the configured audit key is
    this database's (``hcctrial serve`` checks it before starting, not at the first save)."""
    lock_head(session, lock=False)


def lock_head(session: Session, *, lock: bool = True) -> ChainHead:
    """Lock the chain head (``FOR UPDATE``), check the audit key against it and return it.

    ``SELECT *`` rather than named columns: the migrations before ``i16_audit`` append audit
    entries through this function while the head has no key columns yet.
    """
    from sqlalchemy import text

    from hcctrial.store.audit_key import AuditKeyError, audit_key, key_check

    locking = lock and session.get_bind().dialect.name != "sqlite"
    lock_sql = " FOR UPDATE" if locking else ""
    head = (
        session.execute(text(f"SELECT * FROM audit_chain_head WHERE id = {_HEAD_ID}{lock_sql}"))
        .mappings()
        .one_or_none()
    )
    if head is None:
        raise RuntimeError("audit_chain_head is missing: run `hcctrial init` (migrations)")
    seq, prev = int(head["last_seq"]), str(head["last_hash"])
    if head.get("chain_id") is None:
        return ChainHead(seq, prev, None)
    chain_id = str(head["chain_id"])
    key = audit_key(chain_id)
    expected = key_check(key, chain_id, int(head["keyed_from"]), str(head["anchor_hash"]))
    if not hmac.compare_digest(expected, str(head["key_check"])):
        raise AuditKeyError(
            f"audit key: the key configured is not the key of this database's audit chain (id "
            f"{chain_id}): its key check differs. Nothing was written. Configure the chain's key "
            "(HCCTRIAL_AUDIT_KEY_FILE, docs/database.md)"
        )
    return ChainHead(seq, prev, key)


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
    from sqlalchemy import insert, update

    if not changes:
        return 0
    head = lock_head(session)
    seq, prev = head.last_seq, head.last_hash
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
            key=head.key,
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


def verify_audit(session: Session, **options: Any) -> Any:
    """Replay the audit trail against the tables (:func:`hcctrial.store.audit_verify.verify_audit`,
    where the report's types live)."""
    from hcctrial.store.audit_verify import verify_audit as verify

    return verify(session, **options)
