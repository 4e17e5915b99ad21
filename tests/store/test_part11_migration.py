"""Migration i16_locks (signatures, locks, the role data_manager): down and up again on both
backends; the downgrade refuses while an account has the new role (it would not fit the old
CHECK constraint) and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, select

from hcctrial.store.migrations import alembic_config, current_revision, upgrade_to_head
from hcctrial.store.session import make_engine, open_session


def _below_i16() -> str:
    from alembic.script import ScriptDirectory

    down = ScriptDirectory.from_config(alembic_config()).get_revision("i16_locks").down_revision
    assert isinstance(down, str)
    return down


def _downgrade(engine: Any, target: str) -> None:
    from hcctrial.store.migrations import downgrade_to

    downgrade_to(engine, target)


def test_down_and_up_again_and_no_downgrade_while_a_data_manager_exists(db_url: str) -> None:
    from hcctrial.services.accounts import add_user
    from hcctrial.services.amend import amend_record
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m

    engine = make_engine(db_url)
    try:
        head = upgrade_to_head(engine)
        with open_session(engine) as s:
            uow = UnitOfWork(s, Actor.system("test"))
            uid = add_user(
                uow,
                username="dm",
                role="data_manager",
                site_id=None,
                password=None,
                hash_password=str,
                reason="setup",
            )
        with pytest.raises(RuntimeError, match="data_manager"):
            _downgrade(engine, _below_i16())
        assert current_revision(engine) == head
        assert {"locks", "signatures"} <= set(inspect(engine).get_table_names())
        with open_session(engine) as s:
            user = s.get(m.User, uid)
            assert user is not None
            amend_record(
                UnitOfWork(s, Actor.system("test")),
                m.User,
                uid,
                {"role": "monitor"},
                expected_version=user.version,
                reason="role retired",
            )
        _downgrade(engine, _below_i16())
        assert current_revision(engine) == _below_i16()
        assert not {"locks", "signatures"} & set(inspect(engine).get_table_names())
        assert upgrade_to_head(engine) == head
        with open_session(engine) as s:  # the new role fits the constraint again
            user = s.get(m.User, uid)
            assert user is not None
            amend_record(
                UnitOfWork(s, Actor.system("t")),
                m.User,
                uid,
                {"role": "data_manager"},
                expected_version=user.version,
                reason="role back",
            )
        with open_session(engine) as s:
            assert (
                s.scalars(select(m.User.role).where(m.User.id == uid)).one() is m.Role.DATA_MANAGER
            )
    finally:
        engine.dispose()
