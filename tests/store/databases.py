"""Fresh, isolated test databases: a SQLite file, or a PostgreSQL schema of its own.

PostgreSQL: ``HCCTRIAL_TEST_POSTGRES_URL`` (default the trust-auth server at 127.0.0.1:5432,
database ``test``). Each test gets ``CREATE SCHEMA test_<uuid>`` and a URL whose connections set
``search_path`` to it, so tests run in parallel without seeing each other; the schema is dropped
afterwards. Without a server the PostgreSQL cases are skipped — except in CI (``CI=true``), where
they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_URL = os.environ.get(
    "HCCTRIAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def fresh_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database of ``backend``; remove it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'trial.sqlite'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    try:
        admin = psycopg.connect(_libpq_url(PG_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_URL}: {exc}")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
            yield url.render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
