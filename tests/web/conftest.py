"""Fixtures of the web tests: a migrated trial database with two sites, one user per role, and
signed-in TestClients (HTTPS base URL, since the session cookie is Secure).

Every test that uses :func:`web_db` (through :func:`app` or :func:`login`) runs twice: on a SQLite
file and on a PostgreSQL schema of its own (:mod:`tests.store.databases`: skipped without a server,
except under ``CI=true``, where a missing server fails). A module pins one backend by overriding
the :func:`backend` fixture (the Playwright flow stays on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.store.databases import BACKENDS, fresh_database_url

PASSWORD = "correct horse battery"

#: username -> (role, site code or None)
USERS: dict[str, tuple[str, str | None]] = {
    "admin": ("admin", None),
    "inv_gz": ("investigator", "GZ"),
    "coord_gz": ("coordinator", "GZ"),
    "inv_sh": ("investigator", "SH"),
    "monitor": ("monitor", None),
    "monitor_sh": ("monitor", "SH"),
    "stat": ("statistician", None),
}

#: The decision date the web tests run on (the app's clock is replaced).
TODAY = date(2026, 3, 2)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test runs on: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded SQLite file, made once per test process and copied for each test (saves the
    migration and the seeding, ~0.3 s a test)."""
    path = tmp_path_factory.mktemp("template") / "trial.sqlite"
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture
def web_db(backend: str, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """URL of a migrated database with sites GZ and SH and the users of :data:`USERS`."""
    import shutil

    with fresh_database_url(backend, tmp_path) as url:
        if backend == "sqlite":
            shutil.copyfile(sqlite_template, url.removeprefix("sqlite:///"))
        else:
            _seed(url)
        yield url


def web_settings(url: str) -> Any:
    """The settings of a test application on ``url``: a fixed secret, a cheap argon2 (fast tests;
    never in production)."""
    from hcctrial.settings import Settings

    return Settings(
        database_url=url,
        secret_key="test-secret-of-at-least-32-bytes-long",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )


def _seed(url: str) -> None:
    from hcctrial.services.accounts import add_site, add_user
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine, open_session
    from hcctrial.web.security import hash_password, password_hasher

    settings = web_settings(url)
    hasher = password_hasher(settings)
    engine = make_engine(url)
    upgrade_to_head(engine)
    with open_session(engine) as s:
        uow = UnitOfWork(s, Actor.system("test"), settings=settings)
        sites = {
            code: add_site(uow, code=code, name=name, reason="setup")
            for code, name in (("GZ", "Guangzhou"), ("SH", "Shanghai"))
        }
        pw = hash_password(hasher, PASSWORD)
        for username, (role, site) in USERS.items():
            add_user(
                uow,
                username=username,
                role=role,
                site_id=sites.get(site or ""),
                password=PASSWORD,
                hash_password=lambda _: pw,  # one hash for all: the seeding stays fast
                reason="setup",
            )
    engine.dispose()


@pytest.fixture
def app(web_db: str) -> Iterator[Any]:
    from hcctrial.web import create_app

    application = create_app(web_settings(web_db))
    application.state.web.today = lambda: TODAY
    yield application
    application.state.web.engine.dispose()


def _csrf(client: Any) -> str:
    return str(client.get("/api/me").json()["csrf_token"])


def sign_in(app: Any, username: str, password: str = PASSWORD) -> Any:
    """Return a TestClient signed in as ``username`` (``client.csrf`` holds its CSRF token)."""
    import re

    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    client.csrf = _csrf(client)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def login(app: Any) -> Callable[[str], Any]:
    """``login("inv_gz")`` -> a signed-in TestClient."""
    return lambda username: sign_in(app, username)
