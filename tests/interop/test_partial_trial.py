"""A trial in progress: a patient whose records cannot be derived yet (no INR before day 0) stays
in the raw tables and SDTM, is named as left out of the derived datasets, and every package is
still written and conformant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.interop.test_redcap import _db, _hand_made
from tests.support import cli_admin


@pytest.fixture
def partial_db(cli: Callable[..., CliResult], tmp_path: Path) -> Path:
    db = _db(tmp_path, cli)
    records, dictionary = _hand_made(tmp_path, cli)
    r = cli("import", str(records), "--format", "redcap", "--dictionary", str(dictionary),
            "--database", str(db), *cli_admin(f"sqlite:///{db}"))
    assert r.exit_code == 0, r.stderr
    return db


def test_every_format_of_a_partial_trial(cli: Callable[..., CliResult], partial_db: Path,
                                         tmp_path: Path) -> None:
    r = cli("export", str(tmp_path / "all"), "--database", str(partial_db), "--format", "all",
            "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert "inr" in out["not_derived"]["R-001"]  # Child-Pugh needs INR before day 0
    assert out["rows"]["sdtm/dm.xpt"] == 2 and out["rows"]["adam/adsl.xpt"] == 0
    assert out["rows"]["sdtm/ae.xpt"] == 2  # raw records stay in SDTM
    check = cli("cdisc", "check", str(tmp_path / "all"), "--json")
    assert check.exit_code == 0, check.json()["violations"][:5]
    assert {p["standard"] for p in check.json()["packages"]} == {"SDTM", "ADaM"}
    assert (tmp_path / "all" / "csv" / "patients.csv").exists()
