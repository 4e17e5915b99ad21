"""hcctrial.store: the trial database (SQLAlchemy 2 + Alembic): tables, sessions, audit trail.

- :mod:`~hcctrial.store.models` — the tables (typed ``Mapped[...]`` models);
- :mod:`~hcctrial.store.session` — engine/session factories (SQLite WAL default, PostgreSQL by URL);
- :mod:`~hcctrial.store.values` — column specifications, value checks, canonical row form;
- :mod:`~hcctrial.store.audit` — the hash-chained audit log and ``verify_audit``;
- :mod:`~hcctrial.store.csv_io` — the CSV file format: export, and reading files for the import;
- :mod:`~hcctrial.store.migrations` — ``upgrade_to_head(engine)``.

Importing this package does not import SQLAlchemy; import the submodules.
"""

__all__ = ["audit", "csv_io", "migrations", "models", "session", "values"]
