"""A write racing the database lock on PostgreSQL: it passed its checks before the lock was
committed, then waits for the audit chain's head, which the lock's transaction holds; when the
lock commits, the write sees it and is rolled back (DATABASE-LOCKED) -- nothing lands after the
lock. (SQLite runs one writer at a time.)"""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

from tests.store.databases import fresh_database_url
from tests.web.conftest import TODAY, _seed
from tests.web.test_every_door import LAB, _setup


def test_a_write_checked_before_the_lock_commits_is_refused_after_it(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from hcctrial.errors import StateConflictError
    from hcctrial.services import labs, locks
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session, session_factory

    with fresh_database_url("postgresql", tmp_path) as url:
        _seed(url)
        ids = _setup(url)
        engine = make_engine(url)
        try:
            locker = session_factory(engine)()
            locker.begin()
            locks.lock_database(UnitOfWork(locker, Actor.system("dm")), reason="freeze")
            outcome: dict[str, Any] = {}

            def write() -> None:
                try:
                    with open_session(engine) as s:
                        uow = UnitOfWork(s, Actor.system("nurse"), today=TODAY)
                        labs.record_lab(uow, ids["gz"], LAB, reason="late lab")
                    outcome["result"] = "written"
                except StateConflictError as exc:
                    outcome["result"] = exc.rule

            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(1.0)  # the writer has passed its checks and waits for the chain's head
            assert writer.is_alive()
            locker.commit()
            locker.close()
            writer.join(timeout=30)
            assert outcome == {"result": "DATABASE-LOCKED"}
            with open_session(engine) as s:
                n = s.execute(
                    select(func.count()).where(m.LabResult.sample_date == date(2026, 1, 20))
                ).scalar_one()
            assert n == 0
        finally:
            engine.dispose()
