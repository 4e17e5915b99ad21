"""Ids are never given twice (issue 19): the ``id_high_water`` table.

SQLite gives a new row ``max(id) + 1``: after the newest record of a table was deleted, its id
went to the next record, and what names records by (table, id) -- the audit trail, form states,
queries, signatures -- then named the new one (a deleted lab's "verified" mark shown on its
successor). The table keeps, per record table, the largest id ever given; it is seeded here from
the audit trail, which holds every id a record ever had (deleted ones included).

Revision ID: i19_id_high_water
Revises: i19_sdv_fields
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i19_id_high_water"
down_revision: str | None = "i19_sdv_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "id_high_water",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_id_high_water")),
    )
    marks: dict[str, int] = {}
    rows = op.get_bind().execute(sa.text("SELECT table_name, row_pk FROM audit_log"))
    for name, pk in rows:
        if str(pk).isdigit():
            marks[name] = max(marks.get(name, 0), int(pk))
    if marks:
        op.bulk_insert(table, [{"table_name": k, "last_id": v} for k, v in sorted(marks.items())])


def downgrade() -> None:
    op.drop_table("id_high_water")
