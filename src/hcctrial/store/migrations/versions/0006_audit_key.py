"""The audit chain is keyed: its head gets a chain id, ``keyed_from``, ``anchor_hash`` and a key check
(issue 16).

From this revision on every audit entry's hash is an HMAC-SHA256 under the audit key
(:mod:`hcctrial.store.audit_key`). The entries already written keep their plain sha256 hashes (they
cannot be re-hashed without rewriting the append-only log): ``keyed_from`` is the first entry to
come, ``anchor_hash`` the hash of the last entry so far, and the key check binds both and the new
chain id to the key. The key is the configured one (``HCCTRIAL_AUDIT_KEY``,
``HCCTRIAL_AUDIT_KEY_FILE``) or, when none is configured, a new key file
``<state dir>/audit-keys/<chain id>.key`` made now (docs/database.md says how to keep it).

Password hashes leave the audit trail: from now on a user's audited state holds ``"sha256:<hex>"``
of the Argon2 hash (:func:`hcctrial.store.values.audited_digest`), never the hash. For every user
whose last audited state holds a hash, one audited update (actor ``migration i16_audit``) records
the change of form, so ``audit verify`` still finds each row equal to its last audited state. (The
hashes written by earlier entries stay where they are: the log is append-only.)

The downgrade drops the four columns (entries written under the key then no longer verify with the
older code).

Revision ID: i16_audit
Revises: i12_vocabulary
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "i16_audit"
down_revision: str | None = "i16_locks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("chain_id", sa.String(length=32)),
    ("keyed_from", sa.Integer()),
    ("anchor_hash", sa.String(length=64)),
    ("key_check", sa.String(length=64)),
)


def upgrade() -> None:
    from hcctrial.store.audit_key import key_check, new_chain_id, new_key

    with op.batch_alter_table("audit_chain_head") as batch:
        for name, type_ in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    head = sa.table(
        "audit_chain_head",
        sa.column("id", sa.Integer),
        sa.column("last_seq", sa.Integer),
        sa.column("last_hash", sa.String),
        *(sa.column(name, type_) for name, type_ in _COLUMNS),
    )
    bind = op.get_bind()
    row = bind.execute(sa.select(head.c.last_seq, head.c.last_hash).where(head.c.id == 1)).one()
    chain_id = new_chain_id()
    keyed_from, anchor = int(row.last_seq) + 1, str(row.last_hash)
    key = new_key(chain_id)
    bind.execute(
        sa.update(head)
        .where(head.c.id == 1)
        .values(
            chain_id=chain_id,
            keyed_from=keyed_from,
            anchor_hash=anchor,
            key_check=key_check(key, chain_id, keyed_from, anchor),
        )
    )
    _digest_password_hashes()


def _digest_password_hashes() -> None:
    """Append one audited update per user whose last audited state holds a password hash."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from hcctrial.store.audit import PendingChange, append_audit
    from hcctrial.store.models import AuditAction
    from hcctrial.store.values import audited_digest

    bind = op.get_bind()
    latest: dict[str, str | None] = {}
    for pk, new in bind.execute(
        sa.text("SELECT row_pk, new_values FROM audit_log WHERE table_name = 'users' ORDER BY seq")
    ):
        latest[str(pk)] = new
    changes = []
    for pk, text in latest.items():
        state: Any = json.loads(text) if text else None
        secret = None if not isinstance(state, dict) else state.get("password_hash")
        if isinstance(secret, str) and not secret.startswith("sha256:"):
            new_state = {**state, "password_hash": audited_digest(secret)}
            changes.append(PendingChange("users", int(pk), AuditAction.UPDATE, state, new_state))
    if changes:
        reason = "password hashes leave the audit trail: a digest of the hash is kept (issue 16)"
        now = datetime.now(UTC)
        append_audit(
            Session(bind=bind), changes, actor="migration i16_audit", reason=reason, at=now
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_chain_head") as batch:
        for name, _type in reversed(_COLUMNS):
            batch.drop_column(name)
