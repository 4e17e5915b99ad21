"""Fixtures of the services tests: the store's databases (SQLite and PostgreSQL) and actors."""

from __future__ import annotations

from tests.store.conftest import db_url, engine, sessions

__all__ = ["db_url", "engine", "sessions"]
