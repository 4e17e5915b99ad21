"""hcctrial.store: the trial database (SQLAlchemy 2 + Alembic), its service layer and audit trail.

- :mod:`~hcctrial.store.models` — the tables (typed ``Mapped[...]`` models);
- :mod:`~hcctrial.store.session` — engine/session factories (SQLite WAL default, PostgreSQL by URL);
- :mod:`~hcctrial.store.services` — audited create/update/delete with optimistic locking;
- :mod:`~hcctrial.store.audit` — the hash-chained audit log and ``verify_audit``;
- :mod:`~hcctrial.store.csv_io` — CSV import (all-or-nothing) and export;
- :mod:`~hcctrial.store.migrations` — ``upgrade_to_head(engine)``.

Importing this package does not import SQLAlchemy; import the submodules.
"""

__all__ = ["audit", "csv_io", "migrations", "models", "services", "session", "values"]
