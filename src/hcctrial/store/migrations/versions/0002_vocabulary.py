"""One vocabulary: the stored enum values become the domain's, and the patient's states the state
machine's (issue 12).

- ``baselines.encephalopathy``: ``grade_1_2`` / ``grade_3_4`` -> ``grade-1-2`` / ``grade-3-4``
  (the values of :class:`hcctrial.clinical.scores.Encephalopathy`);
- ``screening_criteria.verdict``: ``missing`` -> ``not_evaluable`` (the values of
  :class:`hcctrial.protocol.eligibility.Verdict`);
- ``patients.status``: new states ``off_treatment`` and ``lost_to_follow_up``; ``completed``
  (never written by any door, and not a state of the state machine) -> ``follow_up``.

The CHECK constraints of the three columns are replaced. Every rewritten row gets its version
raised and a hash-chained audit entry (actor ``migration i12_vocabulary``, old and new row), so
``hcctrial audit verify`` still finds every row equal to its last audited state. The downgrade
reverses the values (``off_treatment`` -> ``on_treatment``, ``lost_to_follow_up`` ->
``withdrawn``), again audited.

Revision ID: i12_vocabulary
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "i12_vocabulary"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR = "migration i12_vocabulary"

_OLD_STATUS = (
    "screening",
    "screen_failure",
    "enrolled",
    "on_treatment",
    "follow_up",
    "completed",
    "withdrawn",
    "deceased",
)
_NEW_STATUS = (
    "screening",
    "screen_failure",
    "enrolled",
    "on_treatment",
    "off_treatment",
    "follow_up",
    "withdrawn",
    "lost_to_follow_up",
    "deceased",
)
#: (table, column, enum name, old values, new values, rewrite on upgrade)
_COLUMNS = (
    (
        "baselines",
        "encephalopathy",
        "encephalopathy",
        ("none", "grade_1_2", "grade_3_4"),
        ("none", "grade-1-2", "grade-3-4"),
        {"grade_1_2": "grade-1-2", "grade_3_4": "grade-3-4"},
    ),
    (
        "screening_criteria",
        "verdict",
        "criterion_verdict",
        ("met", "not_met", "missing"),
        ("met", "not_met", "not_evaluable"),
        {"missing": "not_evaluable"},
    ),
    ("patients", "status", "patient_status", _OLD_STATUS, _NEW_STATUS, {"completed": "follow_up"}),
)
_DOWN = {
    "encephalopathy": {"grade-1-2": "grade_1_2", "grade-3-4": "grade_3_4"},
    "verdict": {"not_evaluable": "missing"},
    "status": {"off_treatment": "on_treatment", "lost_to_follow_up": "withdrawn"},
}


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _rewrite(table: str, column: str, mapping: dict[str, str], reason: str) -> None:
    """Rewrite ``column`` values by ``mapping``, raising each row's version, and audit each row."""
    from sqlalchemy.orm import Session

    from hcctrial.store import models as m
    from hcctrial.store.audit import PendingChange, append_audit
    from hcctrial.store.values import column_specs, row_state

    model = next(x for x in m.DATA_TABLES if x.__tablename__ == table)
    typed = m.table_of(model)
    raw = sa.cast(typed.c[column], sa.String(32))  # the stored text, whatever the enum says
    columns = [raw.label(n) if n == column else typed.c[n] for n in column_specs(model)]
    bind = op.get_bind()
    rows = bind.execute(sa.select(*columns).where(raw.in_(list(mapping)))).mappings().all()
    if not rows:
        return
    plain = sa.table(
        table,
        sa.column("id", sa.Integer),
        sa.column(column, sa.String(32)),
        sa.column("version", sa.Integer),
        sa.column("updated_at", m.UtcDateTime()),
    )
    now = datetime.now(UTC)
    changes = []
    for row in rows:
        old = row_state(model, row)
        new = {**old, column: mapping[row[column]], "version": int(row["version"]) + 1}
        new["updated_at"] = now.isoformat()
        bind.execute(
            sa.update(plain)
            .where(plain.c.id == row["id"])
            .values({column: new[column], "version": new["version"], "updated_at": now})
        )
        changes.append(PendingChange(table, int(row["id"]), m.AuditAction.UPDATE, old, new))
    append_audit(Session(bind=bind), changes, actor=ACTOR, reason=reason, at=now)


def _drop_check(table: str, column: str, name: str, values: Sequence[str]) -> None:
    """Drop the CHECK constraint of an enum column (SQLite: by recreating the table)."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
        return
    with op.batch_alter_table(table, recreate="always") as batch:
        batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch.alter_column(
            column, existing_type=_enum(values, name), type_=sa.String(32), existing_nullable=False
        )


def _add_check(table: str, column: str, name: str, values: Sequence[str]) -> None:
    """Add the CHECK constraint of an enum column with ``values`` (as the models declare it)."""
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(
            op.f(f"ck_{table}_{name}"), table, sa.column(column).in_(list(values))
        )
        return
    with op.batch_alter_table(table, recreate="always") as batch:
        batch.alter_column(
            column, existing_type=sa.String(32), type_=_enum(values, name), existing_nullable=False
        )


def upgrade() -> None:
    for table, column, name, old, new, mapping in _COLUMNS:
        _drop_check(table, column, name, old)
        _rewrite(table, column, mapping, "one vocabulary: the domain's value (issue 12)")
        _add_check(table, column, name, new)


def downgrade() -> None:
    for table, column, name, old, new, _ in _COLUMNS:
        _drop_check(table, column, name, new)
        _rewrite(table, column, _DOWN[column], "downgrade of the vocabulary (issue 12)")
        _add_check(table, column, name, old)
