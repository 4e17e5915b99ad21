"""The demo runs on PostgreSQL too (own schema; skipped without a server except in CI) and gives
the same results as on SQLite: the derivations do not depend on the backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.demo.demo_run import demo_output
from tests.store.databases import fresh_database_url


@pytest.mark.slow
def test_demo_on_postgresql_gives_the_sqlite_results(tmp_path: Path, cli: Any) -> None:
    with fresh_database_url("postgresql", tmp_path) as url:
        res = cli("demo", "--out", str(tmp_path / "out"), "--database", url, "--json")
        assert res.exit_code == 0, res.stderr
        pg = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
        again = cli("analyze", "--database", url, "--json")
        assert again.exit_code == 0, again.stderr
    _, lite = demo_output()
    pg.pop("demo")
    lite_copy = {k: v for k, v in lite.items() if k != "demo"}
    assert pg == lite_copy
    analyzed = again.json()
    assert analyzed["pfs"] == lite["pfs"] and analyzed["os"] == lite["os"]
