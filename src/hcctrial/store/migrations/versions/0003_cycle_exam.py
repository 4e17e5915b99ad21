"""The pre-cycle examination (issue 13): table ``cycle_exams`` -- ECOG performance status and
weight recorded before a cycle (:class:`hcctrial.store.models_exam.CycleExam`).

Revision ID: i13_cycle_exam
Revises: i12_vocabulary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i13_cycle_exam"
down_revision: str | None = "i12_vocabulary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cycle_exams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("ecog", sa.Integer(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_cycle_exams_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_exams")),
    )
    op.create_index(op.f("ix_cycle_exams_patient_id"), "cycle_exams", ["patient_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cycle_exams_patient_id"), table_name="cycle_exams")
    op.drop_table("cycle_exams")
