"""The audit trail's bulk-insert path: the same entries as :func:`hcctrial.store.audit.append_audit`,
built for thousands of new rows at a time (used by :func:`hcctrial.services.persistence.create_many`).

What differs is only how the same bytes are produced: each row's canonical JSON from pre-encoded
``"key":`` prefixes and per-column value encoders (:func:`insert_state_texts`) rather than a dict
and a ``json.dumps`` per row; the hashed body of an insert entry from parts encoded once per batch
(:func:`insert_entry_hashes`); the entries written at driver level
(:func:`hcctrial.store.bulk_insert.insert_rows`). Both builders are checked against the general
functions (:func:`~hcctrial.store.audit.canonical_json` of
:func:`~hcctrial.store.values.row_state`, :func:`~hcctrial.store.audit.entry_hash`) by property
tests, and at run time on the first row of every batch.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from hcctrial.store.audit import _HEAD_ID, _iso_utc, canonical_json, entry_hash, lock_head
from hcctrial.store.models import AuditAction, AuditChainHead, AuditEntry, table_of
from hcctrial.store.values import (
    ColumnSpec,
    audited_digest,
    column_specs,
    row_state,
    state_value,
)

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = ["append_insert_audit", "insert_entry_hashes", "insert_state_texts"]


def insert_entry_hashes(
    prev_hash: str,
    first_seq: int,
    *,
    at: str,
    actor: str,
    table: str,
    pks: Sequence[str],
    news: Sequence[str],
    reason: str,
    key: bytes | None,
) -> list[str]:
    """Return the chained hashes of insert entries ``first_seq, first_seq + 1, ...``.

    The same values as :func:`entry_hash` with ``action="insert"`` and ``old=None``, computed
    without building a dict per entry: the canonical JSON body of an insert, keys sorted
    (``action, actor, at, new, old, pk, reason, seq, table``), differs between entries only in
    ``new``, ``pk`` and ``seq``, so its constant parts are encoded once. Strings are escaped by
    the encoder :func:`canonical_json` uses (``json.encoder.encode_basestring``, i.e.
    ``ensure_ascii=False``); ``seq`` is an int, written as ``json`` writes ints.
    """
    enc = encode_basestring
    head = f'{{"action":{enc(AuditAction.INSERT.value)},"actor":{enc(actor)},"at":{enc(at)},"new":'
    middle = ',"old":null,"pk":'
    tail_reason = f',"reason":{enc(reason)},"seq":'
    tail_table = f',"table":{enc(table)}}}'
    sha256, digest = hashlib.sha256, hmac.digest
    hashes: list[str] = []
    append = hashes.append
    seq = first_seq
    for pk, new in zip(pks, news, strict=True):
        body = head + enc(new) + middle + enc(pk) + tail_reason + str(seq) + tail_table
        message = (prev_hash + body).encode("utf-8")
        if key is None:
            prev_hash = sha256(message).hexdigest()
        else:
            prev_hash = digest(key, message, "sha256").hex()
        append(prev_hash)
        seq += 1
    return hashes


def _json_value_encoder(spec: ColumnSpec) -> Callable[[object], str]:
    """Return ``v -> canonical_json(state_value(spec, v))`` for one column, fast for common types.

    The shortcuts write what :mod:`json` writes for the state value (``float.__repr__``,
    ``int.__repr__``, ``true``/``false``, ``null``, strings through ``encode_basestring``);
    anything else goes through the general form.
    """

    def general(v: object) -> str:
        return canonical_json(state_value(spec, v))

    if spec.audit_digest:
        return lambda v: canonical_json(audited_digest(state_value(spec, v)))
    kind = spec.kind
    if kind == "float":

        def float_text(v: object) -> str:
            if type(v) is float and math.isfinite(v):
                return float.__repr__(v)
            return "null" if v is None else general(v)

        return float_text
    if kind == "int":
        return lambda v: int.__repr__(v) if type(v) is int else "null" if v is None else general(v)
    if kind == "bool":
        return lambda v: (
            ("true" if v else "false") if type(v) is bool else "null" if v is None else general(v)
        )
    if kind == "str":
        return lambda v: (
            encode_basestring(v) if type(v) is str else "null" if v is None else general(v)
        )
    if kind == "date":
        return lambda v: (
            f'"{v.isoformat()}"' if type(v) is date else "null" if v is None else general(v)
        )
    if kind == "enum":
        assert spec.enum_class is not None
        texts = {m: general(m) for m in spec.enum_class}
        enum_class = spec.enum_class
        return lambda v: texts[v] if type(v) is enum_class else "null" if v is None else general(v)
    return general


def insert_state_texts(
    model: type[Any],
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
    pks: Sequence[int],
    constants: Mapping[str, object],
) -> list[str]:
    """Return ``canonical_json(row_state(model, row))`` of each new row, built without dicts.

    A row is ``rows[i]`` (values in the order of ``names``), its id ``pks[i]`` and the
    ``constants`` (``version``, ``created_at``, ``updated_at``, the same for every row). The
    canonical JSON of a row is ``{"key":value,...}`` with the keys sorted, so each column's
    ``"key":`` prefix and each constant are encoded once and each value by its column's encoder.
    The first row is checked against the general form (:func:`canonical_json` of
    :func:`row_state`), so a drift would stop the import rather than store wrong hashes.
    """
    specs = column_specs(model)
    position = {name: i for i, name in enumerate(names)}
    id_index = position.get("id", len(names))  # the id is appended when the rows lack it
    slots: list[tuple[str, int, Callable[[object], str]]] = []
    for key in sorted(specs):
        prefix = encode_basestring(key) + ":"
        if key in constants:
            fixed = _json_value_encoder(specs[key])(constants[key])
            slots.append((prefix, 0, lambda _v, text=fixed: text))  # type: ignore[misc]
        else:
            index = id_index if key == "id" else position[key]
            slots.append((prefix, index, _json_value_encoder(specs[key])))
    with_id = "id" not in position
    texts: list[str] = []
    append = texts.append
    for pk, row in zip(pks, rows, strict=True):
        values = (*row, pk) if with_id else row
        append("{" + ",".join([p + enc(values[i]) for p, i, enc in slots]) + "}")
    if texts:
        first = dict(zip(names, rows[0], strict=True))
        first.update(constants, id=pks[0])
        if canonical_json(row_state(model, first)) != texts[0]:  # pragma: no cover
            raise RuntimeError("audit: the bulk row JSON differs from row_state; refusing to write")
    return texts


def append_insert_audit(
    session: Session,
    table: str,
    pks: Sequence[int],
    news: Sequence[str],
    *,
    actor: str,
    reason: str,
    at: datetime,
) -> int:
    """Append the audit entries of freshly inserted rows (the bulk path's :func:`append_audit`).

    ``news`` are the rows' canonical JSON texts (``canonical_json(row_state(model, row))``,
    built by the caller). The entries are exactly those :func:`append_audit` writes for
    ``PendingChange(table, pk, AuditAction.INSERT, None, state)``; they are inserted by
    :func:`hcctrial.store.bulk_insert.insert_rows` (``COPY`` on PostgreSQL). Returns the last
    sequence number written (0 when there is nothing to audit).
    """
    from sqlalchemy import update

    from hcctrial.store.bulk_insert import insert_rows

    if not pks:
        return 0
    head = lock_head(session)
    first, prev = head.last_seq + 1, head.last_hash
    at_text = _iso_utc(at)
    pk_texts = [str(pk) for pk in pks]
    hashes = insert_entry_hashes(
        prev,
        first,
        at=at_text,
        actor=actor,
        table=table,
        pks=pk_texts,
        news=news,
        reason=reason,
        key=head.key,
    )
    # Guard against any drift from the documented formula: recompute the first entry in full.
    check = entry_hash(
        prev,
        seq=first,
        at=at_text,
        actor=actor,
        table=table,
        pk=pk_texts[0],
        action=AuditAction.INSERT.value,
        old=None,
        new=news[0],
        reason=reason,
        key=head.key,
    )
    if check != hashes[0]:  # pragma: no cover - would be a programming error
        raise RuntimeError("audit: the bulk hash differs from entry_hash; refusing to write")
    last = first + len(hashes) - 1
    insert_rows(
        session,
        table_of(AuditEntry),
        ("seq", "row_pk", "new_values", "prev_hash", "hash"),
        list(
            zip(range(first, last + 1), pk_texts, news, [prev, *hashes[:-1]], hashes, strict=True)
        ),
        {
            "at": at,
            "actor": actor,
            "table_name": table,
            "action": AuditAction.INSERT,
            "old_values": None,
            "reason": reason,
        },
    )
    session.execute(
        update(table_of(AuditChainHead))
        .where(table_of(AuditChainHead).c.id == _HEAD_ID)
        .values(last_seq=last, last_hash=hashes[-1])
    )
    return last
