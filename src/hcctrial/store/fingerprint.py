"""The content hash of a trial's raw records: which dataset an analysis or a report was made from.

``hcctrial analyze`` and ``hcctrial report`` print it beside the database lock's state, so a
result can be traced to the frozen dataset: the same records give the same hash on SQLite and
PostgreSQL, after ``export`` and ``import``, whatever their versions and timestamps; any change
of a value, a new or a deleted record gives another.

The canonical form (SHA-256, hex), fixed so that anyone can recompute it from ``export`` CSVs:

- the tables of :data:`~hcctrial.store.models.DATA_TABLES` in that order, except ``users``
  (accounts are not trial data, and hold password hashes);
- for each table, the line ``table <name>``, then each row in id order as one line: the canonical
  JSON (sorted keys, no spaces, :func:`hcctrial.store.audit.canonical_json`) of the row's values
  as the audit trail records them (:func:`hcctrial.store.values.row_state`: ISO dates, enum
  values, floats as numbers), without ``version``, ``created_at`` and ``updated_at``;
- every line ends with ``\\n``; the text is UTF-8.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hcctrial.store.audit import canonical_json
from hcctrial.store.models import DATA_TABLES, User, table_of
from hcctrial.store.values import MANAGED_COLUMNS, column_specs, state_value

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = ["HASHED_TABLES", "DatasetHash", "dataset_hash"]

#: The tables the hash covers, in hashing order.
HASHED_TABLES = tuple(model for model in DATA_TABLES if model is not User)


@dataclass(frozen=True)
class DatasetHash:
    """``sha256`` (hex) of the canonical form, and the number of ``records`` it covers."""

    sha256: str
    records: int

    def as_dict(self) -> dict[str, object]:
        return {"sha256": self.sha256, "records": self.records}


def dataset_hash(session: Session, *, batch_size: int = 10_000) -> DatasetHash:
    """The content hash of the trial's raw records (see the module docstring), read in the
    session's transaction."""
    from sqlalchemy import select

    digest = hashlib.sha256()
    records = 0
    for model in HASHED_TABLES:
        table = table_of(model)
        specs = [(n, s) for n, s in column_specs(model).items() if n not in MANAGED_COLUMNS]
        columns = [table.c[n] for n, _ in specs]
        digest.update(f"table {table.name}\n".encode())
        rows = session.execute(
            select(*columns).order_by(table.c.id).execution_options(yield_per=batch_size)
        )
        lines = []
        for row in rows:
            state = {n: state_value(s, v) for (n, s), v in zip(specs, row, strict=True)}
            lines.append(canonical_json(state))
            records += 1
            if len(lines) >= batch_size:
                digest.update(("\n".join(lines) + "\n").encode())
                lines.clear()
        if lines:
            digest.update(("\n".join(lines) + "\n").encode())
    return DatasetHash(digest.hexdigest(), records)
