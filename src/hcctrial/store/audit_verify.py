"""``audit verify``: replay the keyed audit chain, check it against kept checkpoints and the tables.

1. **The key.** The head's key check must match the configured audit key
   (:mod:`hcctrial.store.audit_key`); a missing or different key is an :class:`AuditKeyError`
   (the command cannot run: exit code 2), never a flood of "altered" entries.
2. **The chain.** Sequence numbers 1, 2, ... without gaps; each ``prev_hash`` equal to the previous
   hash; each hash equal to the HMAC of the entry's content (plain sha256 before ``keyed_from``);
   the last pre-key entry equal to the anchor the key check binds; the head equal to the last
   entry. An entry edited or forged without the key, a deleted entry and a cut-off end are found.
3. **Checkpoints** (``hcctrial audit checkpoint``: ``{"seq", "head", "at"}`` kept elsewhere): the
   recomputed hash of entry ``seq`` must equal ``head``, and the chain must reach ``seq``. So a
   history rewritten behind a checkpoint, even by someone holding the key, is found, and so is the
   end of the log removed together with its rows and the head.
4. **The state.** For every audited table, the latest audited state of each record must equal the
   current row (inserted, updated or deleted behind the application's back is named).

Every column is read as the database stores it (no SQLAlchemy type conversion), so a value of the
wrong type — text in a date column, a timestamp that does not parse — is a named problem on its
row (:attr:`ProblemKind.UNREADABLE`), never a crash: :mod:`hcctrial.store.audit_rows` reads the
rows and writes their canonical JSON. That, and the entry body built by concatenation
(:func:`entry_body`), keep ``audit verify`` of ~600,000 entries within seconds.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from hcctrial.store.audit import GENESIS_HASH
from hcctrial.store.audit_key import AuditKeyError, audit_key, key_check
from hcctrial.store.audit_rows import (
    Unreadable,
    at_cached,
    at_text,
    shown,
    state_encoder,
    stored_rows,
    stored_state_text,
    text_value,
)
from hcctrial.store.models import AUDITED_TABLES
from hcctrial.store.values import column_specs

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "AuditProblem",
    "AuditReport",
    "Checkpoint",
    "ProblemKind",
    "entry_body",
    "stored_state_text",
    "verify_audit",
]

_ACTIONS = frozenset({"insert", "update", "delete"})
_AUDIT_COLUMNS = (
    "seq, at, actor, table_name, row_pk, action, old_values, new_values, reason, prev_hash, hash"
)


class ProblemKind(enum.StrEnum):
    """What ``audit verify`` found wrong."""

    AUDIT_ENTRY_ALTERED = "audit_entry_altered"
    AUDIT_ENTRY_MISSING = "audit_entry_missing"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken"
    AUDIT_LOG_TRUNCATED = "audit_log_truncated"
    ANCHOR_CHANGED = "anchor_changed"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"
    UNREADABLE = "unreadable"
    ROW_CHANGED = "row_changed"
    ROW_UNAUDITED = "row_unaudited"
    ROW_DELETED = "row_deleted"


@dataclass(frozen=True)
class AuditProblem:
    """One broken record: its table and primary key (for ``audit_log`` the seq), the audit
    sequence number concerned, and what is wrong."""

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
        """The fixed JSON form ``{"table", "id", "what"}`` (plus ``kind`` and ``seq``)."""
        ident: object = self.pk
        if self.pk is not None and self.pk.isdigit():
            ident = int(self.pk)
        return {
            "table": self.table,
            "id": ident,
            "what": self.detail,
            "kind": self.kind.value,
            "seq": self.seq,
            # the keys of the JSON before issue 16, kept beside the fixed ones
            "pk": self.pk,
            "detail": self.detail,
            "message": self.detail if self.pk is None else f"{self.table} id {self.pk}: {self.detail}",
        }


@dataclass(frozen=True)
class Checkpoint:
    """A kept copy of the chain head: entry ``seq`` had hash ``head`` at time ``at``."""

    seq: int
    head: str
    at: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "head": self.head, "at": self.at}


@dataclass(frozen=True)
class AuditReport:
    """The result of :func:`verify_audit`: ``ok`` when the chain, checkpoints and tables agree."""

    entries: int
    records: int
    head_hash: str
    problems: tuple[AuditProblem, ...] = field(default_factory=tuple)
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> AuditProblem | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, object]:
        """The fixed JSON form ``{"intact", "entries", "problems"}`` plus the head and counts."""
        return {
            "intact": self.ok,
            "entries": self.entries,
            "problems": [p.as_dict() for p in self.problems],
            "records": self.records,
            "head": self.head_hash,
            "checkpoints": self.checkpoints,
            # the keys of the JSON before issue 16, kept beside the fixed ones
            "ok": self.ok,
            "head_hash": self.head_hash,
        }


def entry_body(
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
    """Return ``canonical_json`` of the hashed body of an entry, built by concatenation (fast).

    Keys in sorted order; strings escaped by the encoder :func:`canonical_json` uses; ``seq`` as
    ``json`` writes an int.
    """
    enc = encode_basestring
    return (
        f'{{"action":{enc(action)},"actor":{enc(actor)},"at":{enc(at)},"new":'
        f'{"null" if new is None else enc(new)},"old":{"null" if old is None else enc(old)},'
        f'"pk":{enc(pk)},"reason":{enc(reason)},"seq":{seq},"table":{enc(table)}}}'
    )


# ------------------------------------------------------------------------------------ verify
@dataclass
class _Head:
    last_seq: int
    last_hash: str
    keyed_from: int
    anchor_hash: str
    key: bytes


def _read_head(session: Session) -> _Head:
    from sqlalchemy import text

    row = session.execute(text("SELECT * FROM audit_chain_head WHERE id = 1")).mappings().first()
    if row is None or row.get("chain_id") is None:
        raise AuditKeyError(
            "audit key: the database's audit_chain_head has no chain id (run `hcctrial init`, or "
            "the head row was removed)"
        )
    try:
        head = _Head(
            int(row["last_seq"]),
            str(row["last_hash"]),
            int(row["keyed_from"]),
            str(row["anchor_hash"]),
            audit_key(str(row["chain_id"])),
        )
    except (TypeError, ValueError):
        raise AuditKeyError(
            "audit key: the audit_chain_head row holds values that are not numbers where "
            f"numbers belong (last_seq {row['last_seq']!r}, keyed_from {row['keyed_from']!r})"
        ) from None
    expected = key_check(head.key, str(row["chain_id"]), head.keyed_from, head.anchor_hash)
    if not hmac.compare_digest(expected, str(row["key_check"])):
        raise AuditKeyError(
            f"audit key: the key configured is not the key of this database's audit chain (id "
            f"{row['chain_id']}), or the chain's anchor in audit_chain_head was altered: the key "
            "check differs. Configure the chain's key (docs/database.md) and run again"
        )
    return head


def _digest(text: str) -> int:
    """A record state's fingerprint for the state comparison: Python's string hash (SipHash under
    the process's random key, so no stored text can be made to collide with another on purpose;
    64 bits; 8 bytes a record instead of the text)."""
    return hash(text)


@dataclass
class _Replay:
    """The chain pass's running state."""

    head: _Head
    checkpoints: dict[int, str]
    problems: list[AuditProblem] = field(default_factory=list)
    latest: dict[tuple[str, str], tuple[int, int | None]] = field(default_factory=dict)
    expected_seq: int = 1
    prev: str = GENESIS_HASH
    entries: int = 0

    def problem(self, kind: ProblemKind, seq: int | None, detail: str) -> None:
        pk = None if seq is None else str(seq)
        self.problems.append(AuditProblem(kind, "audit_log", pk, seq, detail))

    def run(self, rows: Iterable[Sequence[Any]]) -> None:
        """Replay ``rows`` (stored audit entries in seq order). The common case — an entry in
        order, linked, of readable values, its hash right, no checkpoint or anchor at it — is
        checked inline; anything else goes through :meth:`entry`, which names the problem."""
        enc, digest, key = encode_basestring, hmac.digest, self.head.key
        keyed_from, special = self.head.keyed_from, {*self.checkpoints, self.head.keyed_from - 1}
        latest, at_of = self.latest, at_cached
        for row in rows:
            seq, at_raw, actor, table, pk, action, old, new, reason, prev_hash, stored = row
            fast = (
                seq == self.expected_seq
                and prev_hash == self.prev
                and seq >= keyed_from
                and seq not in special
                and action in _ACTIONS
            )
            if fast:
                try:
                    body = (
                        f'{{"action":{enc(action)},"actor":{enc(actor)},"at":{enc(at_of(at_raw))}'
                        f',"new":{"null" if new is None else enc(new)},"old":'
                        f'{"null" if old is None else enc(old)},"pk":{enc(pk)},"reason":'
                        f'{enc(reason)},"seq":{seq},"table":{enc(table)}}}'
                    )
                except (TypeError, Unreadable):
                    fast = False
                else:
                    message = (prev_hash + body).encode("utf-8")
                    fast = digest(key, message, "sha256").hex() == stored
            if not fast:
                self.entry(row)
                continue
            self.entries += 1
            latest[(table, pk)] = (seq, None if new is None else hash(new))
            self.prev = stored
            self.expected_seq = seq + 1

    def entry(self, row: Sequence[Any]) -> None:
        self.entries += 1
        seq_raw, at_raw, actor, table, pk, action, old, new, reason, prev_hash, stored = row
        seq = int(seq_raw)  # an INTEGER PRIMARY KEY on SQLite, integer on PostgreSQL
        if seq != self.expected_seq:
            gap = self.expected_seq if seq == self.expected_seq + 1 else None
            missing = f"{gap}" if gap else f"{self.expected_seq}-{seq - 1}"
            self.problems.append(
                AuditProblem(
                    ProblemKind.AUDIT_ENTRY_MISSING,
                    "audit_log",
                    str(self.expected_seq),
                    self.expected_seq,
                    f"audit entries seq {missing} are missing (deleted from the log)",
                )
            )
        elif prev_hash != self.prev:
            self.problem(
                ProblemKind.AUDIT_CHAIN_BROKEN,
                seq,
                f"seq {seq} ({table} id {pk}) does not link to the entry before it",
            )
        try:
            body = entry_body(
                seq=seq,
                at=at_text(at_raw),
                actor=text_value("actor", actor) or "",
                table=text_value("table_name", table) or "",
                pk=text_value("row_pk", pk) or "",
                action=_action(action),
                old=text_value("old_values", old, nullable=True),
                new=text_value("new_values", new, nullable=True),
                reason=text_value("reason", reason) or "",
            )
        except Unreadable as exc:
            self.problem(ProblemKind.UNREADABLE, seq, f"entry seq {seq}: {exc}")
            recomputed = str(stored)
        else:
            message = (str(prev_hash) + body).encode("utf-8")
            if seq >= self.head.keyed_from:
                recomputed = hmac.digest(self.head.key, message, "sha256").hex()
            else:
                recomputed = hashlib.sha256(message).hexdigest()
            if recomputed != stored:
                self.problem(
                    ProblemKind.AUDIT_ENTRY_ALTERED,
                    seq,
                    f"entry seq {seq} ({action} of {table} id {pk}) by {actor} was altered or "
                    "forged: its content no longer matches its keyed hash",
                )
        self._anchors(seq, recomputed)
        if type(table) is str and type(pk) is str:
            self.latest[(table, pk)] = (seq, None if new is None else _digest(str(new)))
        self.prev = str(stored)
        self.expected_seq = seq + 1

    def _anchors(self, seq: int, recomputed: str) -> None:
        if seq == self.head.keyed_from - 1 and recomputed != self.head.anchor_hash:
            self.problem(
                ProblemKind.ANCHOR_CHANGED,
                seq,
                f"entry seq {seq}, the last written before the chain was keyed, no longer has "
                "the hash the key check anchors: the history before keying was rewritten",
            )
        kept = self.checkpoints.get(seq)
        if kept is not None and kept != recomputed:
            self.problem(
                ProblemKind.CHECKPOINT_MISMATCH,
                seq,
                f"entry seq {seq} does not have the hash of the checkpoint kept for it "
                f"({kept[:16]}...): the history up to seq {seq} was rewritten",
            )


def _action(value: object) -> str:
    if type(value) is str and value in _ACTIONS:
        return value
    raise Unreadable(f"action holds {shown(value)}, expected insert, update or delete")


def verify_audit(
    session: Session, *, checkpoints: Sequence[Checkpoint] = (), batch_size: int = 20_000
) -> AuditReport:
    """Verify the key, the chain, the ``checkpoints`` and the tables (see the module doc).

    Reads everything in one transaction; memory grows with the number of records (a 16-byte digest
    per record, not the rows themselves). Raises :class:`AuditKeyError` when the key is missing or
    not this chain's.
    """

    head = _read_head(session)
    replay = _Replay(head, {c.seq: c.head for c in checkpoints})
    replay.run(
        stored_rows(session, f"SELECT {_AUDIT_COLUMNS} FROM audit_log ORDER BY seq", batch_size)
    )
    last = replay.expected_seq - 1
    if head.keyed_from - 1 == 0 and head.anchor_hash != GENESIS_HASH:
        replay.problem(ProblemKind.ANCHOR_CHANGED, None, "the chain's anchor was altered")
    if head.last_seq != last or head.last_hash != replay.prev:
        replay.problems.append(
            AuditProblem(
                ProblemKind.AUDIT_LOG_TRUNCATED,
                "audit_chain_head",
                "1",
                head.last_seq,
                f"the chain head records seq {head.last_seq} but the log ends at seq {last}: "
                "entries were removed from its end (or the head was edited)",
            )
        )
    for cp in checkpoints:
        if cp.seq > last:
            replay.problem(
                ProblemKind.CHECKPOINT_MISMATCH,
                cp.seq,
                f"the log ends at seq {last}, before the checkpoint kept at seq {cp.seq} (taken "
                f"{cp.at or 'at an unknown time'}): entries were removed from its end",
            )
        elif cp.seq == 0 and cp.head != GENESIS_HASH:
            replay.problem(ProblemKind.CHECKPOINT_MISMATCH, 0, "checkpoint seq 0 is not genesis")
    records = _compare_tables(session, replay, batch_size)
    return AuditReport(
        entries=replay.entries,
        records=records,
        head_hash=replay.prev,
        problems=tuple(replay.problems),
        checkpoints=len(checkpoints),
    )


def _compare_tables(session: Session, replay: _Replay, batch_size: int) -> int:
    """Compare every data row with its latest audited state; return the number of rows read."""

    problems, latest = replay.problems, replay.latest
    records = 0
    for model in AUDITED_TABLES:  # data, signatures and locks, form states and queries
        name = model.__tablename__
        names = list(column_specs(model))
        encode = state_encoder(model)
        id_index = names.index("id")
        sql = f"SELECT {', '.join(names)} FROM {name} ORDER BY id"
        for row in stored_rows(session, sql, batch_size):
            records += 1
            pk = str(row[id_index])
            seen = latest.pop((name, pk), None)
            try:
                state = encode(row)
            except Unreadable as exc:
                seq = None if seen is None else seen[0]
                problems.append(AuditProblem(ProblemKind.UNREADABLE, name, pk, seq, str(exc)))
                continue
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
            elif seen[1] != _digest(state):
                detail = _differences(_audited_state(session, seen[0]), json.loads(state))
                problems.append(
                    AuditProblem(
                        ProblemKind.ROW_CHANGED,
                        name,
                        pk,
                        seen[0],
                        "row differs from its last audited state (changed behind the "
                        f"application's back): {detail}",
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
    return records


def _differences(audited: dict[str, Any], current: dict[str, Any]) -> str:
    parts = []
    for key in sorted(set(audited) | set(current)):
        a, c = audited.get(key), current.get(key)
        if a != c:
            parts.append(f"{key}: audited {a!r}, now {c!r}")
    return "; ".join(parts) or "values differ"


def _audited_state(session: Session, seq: int) -> dict[str, Any]:
    from sqlalchemy import text

    stored = session.execute(
        text("SELECT new_values FROM audit_log WHERE seq = :seq"), {"seq": seq}
    ).scalar_one()
    try:
        loaded = json.loads(stored or "null") if isinstance(stored, str) else None
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
