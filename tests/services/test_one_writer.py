"""The services are the only writer of the database, and settings are read in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "hcctrial"
#: Persistence and schema code that writes below the services, by design.
BELOW = {"store"}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_only_the_services_reach_the_audited_writes() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in _modules()
        if p.parent.name != "services"
        and any(n.startswith("hcctrial.services.persistence") for n in _imports(p))
    ]
    assert offenders == []


def test_no_door_writes_rows_itself() -> None:
    """Outside the services and the store, no module builds an INSERT, UPDATE or DELETE or adds
    ORM objects to a session (the session factory refuses the latter anyway)."""
    writers = ("insert(", "sql_update(", "sql_delete(", ".add(", ".merge(", ".bulk_")
    offenders = []
    for p in _modules():
        rel = p.relative_to(SRC)
        if rel.parts[0] in {"services", *BELOW}:
            continue
        text = p.read_text(encoding="utf-8")
        if "from sqlalchemy import" in text and any(w in text for w in ("insert", "update(")):
            tree = ast.parse(text)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
                    bad = {a.name for a in node.names} & {"insert", "update", "delete"}
                    if bad:
                        offenders.append(f"{rel}: imports {sorted(bad)}")
        if "session.add(" in text or "session.merge(" in text:
            offenders.append(f"{rel}: session.add/merge")
    assert offenders == [], writers


def test_the_environment_is_read_only_by_the_settings() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in _modules()
        if p.name != "settings.py"
        and ("os.environ" in (t := p.read_text(encoding="utf-8")) or "getenv(" in t)
    ]
    assert offenders == []


def test_settings_come_from_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from hcctrial.settings import load_settings

    monkeypatch.setenv("HCCTRIAL_DATABASE_URL", "sqlite:///env.sqlite")
    monkeypatch.setenv("HCCTRIAL_FUTURE_TOLERANCE_DAYS", "2")
    monkeypatch.setenv("HCCTRIAL_ARGON2_TIME_COST", "4")
    s = load_settings()
    assert (s.database_url, s.future_tolerance_days, s.argon2_time_cost) == (
        "sqlite:///env.sqlite",
        2,
        4,
    )
    # an explicit value (a command's --database) wins over the environment
    assert load_settings(database_url="sqlite:///cli.sqlite").database_url == "sqlite:///cli.sqlite"


def test_the_password_hasher_is_made_from_the_settings_not_a_module_global() -> None:
    import hcctrial.web.security as security
    from hcctrial.settings import Settings

    assert not hasattr(security, "_HASHER")
    hasher = security.password_hasher(Settings(argon2_time_cost=1, argon2_memory_kib=1024))
    h = security.hash_password(hasher, "a long passphrase")
    assert h.startswith("$argon2id$v=19$m=1024,t=1,")  # the cost the settings gave
    assert security.verify_password(hasher, h, "a long passphrase")


def test_the_tolerance_for_time_zones_is_the_settings(sessions: object) -> None:
    from datetime import date, timedelta

    from hcctrial.services.checks import RuleContext
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.settings import Settings

    today = date(2026, 3, 2)
    with sessions() as s:  # type: ignore[operator]
        uow = UnitOfWork(
            s, Actor.system("x"), today=today, settings=Settings(future_tolerance_days=3)
        )
        assert uow.context.latest_date == today + timedelta(days=3)
        assert isinstance(uow.context, RuleContext)
