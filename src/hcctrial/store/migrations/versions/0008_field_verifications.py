"""Source-data verification of single fields (issue 19): the ``field_verifications`` table.

One row per verified field of a form (``form`` = the record's table, ``record_id``, ``field``):
who verified it, when, at which version of the record, and -- once a later change of the field's
value cleared the mark -- who changed it, when and the version the change made.

Revision ID: i19_sdv_fields
Revises: i19_datamgmt
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i19_sdv_fields"
down_revision: str | None = "i19_datamgmt"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "field_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("verified_by", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_version", sa.Integer(), nullable=False),
        sa.Column("cleared_by", sa.String(length=64), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_version", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_field_verifications_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_verifications")),
        sa.UniqueConstraint(
            "form", "record_id", "field", name=op.f("uq_field_verifications_form_record_id_field")
        ),
    )
    op.create_index(
        op.f("ix_field_verifications_patient_id"), "field_verifications", ["patient_id"]
    )


def downgrade() -> None:
    op.drop_table("field_verifications")
