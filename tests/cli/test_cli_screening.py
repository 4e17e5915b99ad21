"""CLI contract of ``hcctrial screen PATIENT.json``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.support import REPO

Cli = Callable[..., CliResult]
EXAMPLES = REPO / "examples" / "patients"


@pytest.mark.parametrize(
    ("name", "eligible"),
    [
        ("eligible_bclc_b.json", True),
        ("ineligible_child_pugh_b8.json", False),
        ("missing_data.json", None),
    ],
)
def test_screen_fixed_contract(cli: Cli, name: str, eligible: bool | None) -> None:
    r = cli("screen", str(EXAMPLES / name), "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["eligible"] is eligible
    assert len(out["criteria"]) == 15  # diagnosis + 9 inclusion checks (items 1-7) + 5 exclusions
    for c in out["criteria"]:
        assert {"id", "verdict", "value", "threshold", "reason"} <= set(c)
        assert c["verdict"] in {"met", "not_met", "not_evaluable"}


def test_screen_missing_data_names_what_is_missing(cli: Cli) -> None:
    out = cli("screen", str(EXAMPLES / "missing_data.json"), "--json").json()
    ne = {c["id"]: c["reason"] for c in out["criteria"] if c["verdict"] == "not_evaluable"}
    assert ne == {
        "lvef": "missing: labs.lvef",
        "no_uncontrolled_infection": "missing: history.infection",
    }


def test_screen_text_output(cli: Cli) -> None:
    r = cli("screen", str(EXAMPLES / "ineligible_child_pugh_b8.json"))
    assert r.exit_code == 0
    assert "NOT ELIGIBLE" in r.stdout and "B8" in r.stdout


def test_screen_sister_regimen(cli: Cli, tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "eligible_bclc_b.json").read_text())
    data["history"]["prior_sorafenib"] = True
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    assert cli("screen", str(path), "--json").json()["eligible"] is False
    assert (
        cli("screen", str(path), "--regimen", "tace_haic_folfox", "--json").json()["eligible"]
        is True
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"labs": {"wbc": "4 furlongs"}}', "labs.wbc"),
        ('{"labs": {"albumin": "35 g/dL"}}', "labs.albumin"),
        ('{"agee_years": 50}', "agee_years"),
        ('{"ecog": "one"}', "ecog"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_screen_bad_input(cli: Cli, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    r = cli("screen", str(path), "--json")
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_screen_missing_file(cli: Cli, tmp_path: Path) -> None:
    r = cli("screen", str(tmp_path / "none.json"))
    assert r.exit_code == 2 and "file not found" in r.stderr and "none.json" in r.stderr
