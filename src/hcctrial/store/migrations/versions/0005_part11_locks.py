"""Part 11 controls (issue 16): the ``signatures`` and ``locks`` tables, and the role
``data_manager`` (who locks records, casebooks and the database).

The CHECK constraint of ``users.role`` is replaced by one that admits ``data_manager``; the
downgrade refuses while an account has that role (it would not fit the old constraint) and drops
the two tables.

Revision ID: i16_locks
Revises: i12_vocabulary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i16_locks"
down_revision: str | None = "i16_signin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_ROLES = ("investigator", "coordinator", "monitor", "statistician", "admin")
_NEW_ROLES = (*_OLD_ROLES, "data_manager")


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _set_roles(old: Sequence[str], new: Sequence[str]) -> None:
    """Replace the CHECK constraint of ``users.role`` (SQLite: by recreating the table)."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
        op.create_check_constraint(op.f("ck_users_role"), "users", sa.column("role").in_(new))
        return
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.alter_column(
            "role", existing_type=_enum(old, "role"), type_=sa.String(32), existing_nullable=False
        )
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.alter_column(
            "role", existing_type=sa.String(32), type_=_enum(new, "role"), existing_nullable=False
        )


def _record_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    _set_roles(_OLD_ROLES, _NEW_ROLES)
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", _enum(("record", "casebook"), "signature_scope"), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("record_version", sa.Integer(), nullable=True),
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(length=64), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column(
            "meaning",
            _enum(("reviewed_and_approved", "authored"), "signature_meaning"),
            nullable=False,
        ),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status", _enum(("signed", "changed_after_signing"), "signature_status"), nullable=False
        ),
        *_record_columns(),
        sa.ForeignKeyConstraint(
            ["signer_id"],
            ["users.id"],
            name=op.f("fk_signatures_signer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
    )
    op.create_index(op.f("ix_signatures_patient_id"), "signatures", ["patient_id"], unique=False)
    op.create_table(
        "locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", _enum(("record", "casebook", "database"), "lock_scope"), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("table_name", sa.String(length=64), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("unlocked_by", sa.String(length=64), nullable=True),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlock_reason", sa.Text(), nullable=True),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locks")),
    )
    op.create_index(op.f("ix_locks_patient_id"), "locks", ["patient_id"], unique=False)
    op.create_index(op.f("ix_locks_active"), "locks", ["active"], unique=False)


def downgrade() -> None:
    bind = op.get_bind()
    n = bind.execute(sa.text("SELECT count(*) FROM users WHERE role = 'data_manager'")).scalar()
    if n:
        raise RuntimeError(
            f"cannot downgrade below i16_locks: {n} account(s) have the role data_manager; "
            "change their role first"
        )
    op.drop_index(op.f("ix_locks_active"), table_name="locks")
    op.drop_index(op.f("ix_locks_patient_id"), table_name="locks")
    op.drop_table("locks")
    op.drop_index(op.f("ix_signatures_patient_id"), table_name="signatures")
    op.drop_table("signatures")
    _set_roles(_NEW_ROLES, _OLD_ROLES)
