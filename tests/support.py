"""Paths of the tests' reference material (inside the repository) and small readers used across
the tests.

Everything a test compares against is in ``tests/reference/`` (provenance in its README.md);
nothing here points outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTS_REFERENCE = Path(__file__).resolve().parent / "reference"
#: Clinical, design and survival reference vectors (copied from the project's peer outputs).
REFERENCE = TESTS_REFERENCE
#: The seed paper's figures, each with its quote (``seed/published.json``).
PUBLISHED_JSON = TESTS_REFERENCE / "seed" / "published.json"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Return the records of a JSON-lines file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def published_figures() -> dict[str, Any]:
    """Return the seed paper's figures (``tests/reference/seed/published.json``)."""
    data: dict[str, Any] = json.loads(PUBLISHED_JSON.read_text(encoding="utf-8"))
    return data


def cli_admin(database: str, username: str = "dm") -> list[str]:
    """The command-line arguments that act as admin ``username`` of ``database`` (migrated):
    the account is created if absent (by the database's active admin, or, when there is none,
    the first admin acts for itself; no password, so it signs in nowhere) and a fresh API token
    is issued to it.

    Every command-line write needs an authenticated account (issue 16); this is the tests'
    way to have one. The account's creation is one audited ``users`` insert.
    """
    from sqlalchemy import select

    from hcctrial.services.accounts import add_user
    from hcctrial.services.identity import bootstrap_actor, issue_token
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(database)
    try:
        with open_session(engine) as session:
            found = session.scalars(select(m.User).where(m.User.username == username)).first()
            admin = session.scalars(
                select(m.User).where(m.User.role == m.Role.ADMIN, m.User.active.is_(True))
            ).first()
            if found is None:
                acting = (
                    bootstrap_actor(session, username, "admin")
                    if admin is None
                    else Actor(admin.id, admin.username, m.Role.ADMIN, None)
                )
                uow = UnitOfWork(session, acting)
                pk = add_user(
                    uow,
                    username=username,
                    role="admin",
                    site_id=None,
                    password=None,
                    hash_password=str,
                    reason="test administrator",
                )
            else:
                pk = found.id
            uow = UnitOfWork(session, Actor(pk, username, m.Role.ADMIN, None))
            _, token = issue_token(uow, username, label="tests")
    finally:
        engine.dispose()
    return ["--user", username, "--token", token]
