"""The content hash of the raw records (``hcctrial.store.fingerprint``) names the data, not the
database: the same trial gives the same hash on SQLite and on PostgreSQL after ``export`` and
``import`` (new versions, new timestamps, another backend), and any changed value gives another."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.store.databases import fresh_database_url
from tests.support import cli_admin
from tests.web.conftest import _seed
from tests.web.test_every_door import _setup


def _hash(url: str) -> tuple[str, int]:
    from hcctrial.store.fingerprint import dataset_hash
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    with open_session(engine) as s:
        h = dataset_hash(s)
    engine.dispose()
    return h.sha256, h.records


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_the_same_records_give_the_same_hash_on_every_backend(
    cli: Callable[..., Any], tmp_path: Path, target: str
) -> None:
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    _seed(source)
    _setup(source)
    expected = _hash(source)
    assert expected[1] > 20  # sites, patients, screenings, criteria, labs, cycles, ...
    assert cli("export", tmp_path / "csv", "--database", source).exit_code == 0
    (tmp_path / "csv" / "audit_log.csv").unlink()
    (tmp_path / "csv" / "users.csv").unlink()  # accounts are not hashed; the importer's is made here
    copy = tmp_path / "copy"
    copy.mkdir()
    with fresh_database_url(target, copy) as url:
        assert cli("init", "--database", url).exit_code == 0
        out = cli(
            "import", tmp_path / "csv", "--database", url, "--reason", "copy", *cli_admin(url)
        )
        assert out.exit_code == 0, out.stderr
        assert _hash(url) == expected


def test_a_changed_or_added_record_changes_the_hash_and_its_deletion_restores_it(
    tmp_path: Path,
) -> None:
    from sqlalchemy import select

    from hcctrial.services.amend import amend_record, delete_record
    from hcctrial.services.labs import record_lab
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session
    from tests.web.conftest import TODAY
    from tests.web.test_every_door import LAB

    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    _seed(url)
    ids = _setup(url)
    seen = [_hash(url)]
    engine = make_engine(url)

    def act(change: Callable[[Any, Any], None]) -> None:
        with open_session(engine) as s:
            change(s, UnitOfWork(s, Actor.system("test"), today=TODAY))
        seen.append(_hash(url))

    def amend(s: Any, uow: Any) -> None:
        lesion = s.get(m.LesionMeasurement, ids["gz_lesion"])
        amend_record(
            uow,
            m.LesionMeasurement,
            lesion.id,
            {"diameter_mm": 49.5},
            expected_version=lesion.version,
            reason="remeasured",
        )

    def add(s: Any, uow: Any) -> None:
        record_lab(uow, ids["gz"], LAB, reason="new lab")

    def delete(s: Any, uow: Any) -> None:
        lab = s.scalars(
            select(m.LabResult).where(m.LabResult.sample_date == TODAY.replace(month=1, day=20))
        ).one()
        delete_record(uow, m.LabResult, lab.id, expected_version=lab.version, reason="duplicate")

    for change in (amend, add, delete):
        act(change)
    engine.dispose()
    start, amended, added, deleted = seen
    assert len({start, amended, added}) == 3  # every change of the data changes the hash
    assert added[1] == amended[1] + 1
    assert deleted == amended  # the added lab deleted again: the same records, the same hash
