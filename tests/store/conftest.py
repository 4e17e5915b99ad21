"""Fixtures of the store tests: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.store.databases import BACKENDS, fresh_database_url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (SQLite file, or a PostgreSQL schema of its own)."""
    with fresh_database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Any]:
    """An engine on a database migrated to the newest schema."""
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine

    eng = make_engine(db_url)
    upgrade_to_head(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sessions(engine: Any) -> Any:
    """The session factory of :func:`engine`."""
    from hcctrial.store.session import session_factory

    return session_factory(engine)
