"""``hcctrial assess mrecist`` and ``hcctrial assess bor``: the fixed contracts and bad input.

Expected values are worked by hand (comments) or come from admiralonco's test table (subject 1
of ``tests/testthat/test-derive_param_confirmed_bor.R``, Test 1).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.support import REPO

Cli = Callable[..., CliResult]
EXAMPLES = REPO / "examples" / "mrecist"


def _write(tmp_path: Path, data: Any, name: str = "in.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_mrecist_issue_example_json(cli: Cli) -> None:
    # 83 mm -> 0 mm, AFP 12 <= 20: mRECIST CR; the new 6 mm nodule > 5 mm is the protocol's
    # first PD (see tests/assess/test_mrecist.py::test_issue_example_output).
    result = cli("assess", "mrecist", str(EXAMPLES / "issue_example.json"), "--json")
    assert result.exit_code == 0, result.stderr
    out = result.json()
    (tp,) = out["time_points"]
    assert {
        k: tp[k]
        for k in ("date", "response", "sum_mm", "change_from_baseline_pct", "change_from_nadir_pct")
    } == {
        "date": "2026-03-10",
        "response": "PD",
        "sum_mm": 0.0,
        "change_from_baseline_pct": -100.0,
        "change_from_nadir_pct": -100.0,
    }
    assert isinstance(tp["reasons"], list) and tp["reasons"]
    assert (out["best_overall_response"], out["first_pd_date"], out["confirmed_pd_date"]) == (
        "PD",
        "2026-03-10",
        None,
    )


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_example_file_is_accepted(cli: Cli, path: Path) -> None:
    result = cli("assess", "mrecist", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    assert set(result.json()) >= {
        "time_points",
        "best_overall_response",
        "first_pd_date",
        "confirmed_pd_date",
    }


def test_mrecist_readable_summary(cli: Cli) -> None:
    result = cli("assess", "mrecist", str(EXAMPLES / "issue_example.json"))
    assert result.exit_code == 0
    assert "best overall response: PD" in result.stdout
    assert "first PD (PFS event): 2026-03-10" in result.stdout


def test_mrecist_min_sd_days_option(cli: Cli, tmp_path: Path) -> None:
    # One SD follow-up 35 days after baseline: NE with --min-sd-days 42, SD with 28.
    data = {
        "afp_uln_ng_ml": 20,
        "assessments": [
            {
                "date": "2026-01-05",
                "modality": "CT",
                "target": [{"id": "T1", "organ": "liver", "diameter_mm": 40}],
            },
            {"date": "2026-02-09", "modality": "CT", "target": [{"id": "T1", "diameter_mm": 38}]},
        ],
    }
    path = _write(tmp_path, data)
    assert (
        cli("assess", "mrecist", str(path), "--json", "--min-sd-days", "42").json()[
            "best_overall_response"
        ]
        == "NE"
    )
    assert (
        cli("assess", "mrecist", str(path), "--json", "--min-sd-days", "28").json()[
            "best_overall_response"
        ]
        == "SD"
    )


def test_mrecist_lesion_from_nowhere_exits_2(cli: Cli, tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "issue_example.json").read_text())
    data["assessments"][1]["target"][0]["id"] = "T3"
    result = cli("assess", "mrecist", str(_write(tmp_path, data)), "--json")
    assert result.exit_code == 2
    assert "assessments[1].target[0].id 'T3': not a baseline target lesion" in result.stderr
    assert "Traceback" not in result.stderr


def test_mrecist_follow_up_before_baseline_exits_2(cli: Cli, tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "issue_example.json").read_text())
    data["assessments"][1]["date"] = "2025-12-01"
    result = cli("assess", "mrecist", str(_write(tmp_path, data)))
    assert result.exit_code == 2
    assert "assessments[1].date 2025-12-01: a follow-up on or before the baseline" in result.stderr


def test_mrecist_bad_json_and_missing_file_exit_2(cli: Cli, tmp_path: Path) -> None:
    bad = cli("assess", "mrecist", str(_write(tmp_path, "{not json")))
    assert bad.exit_code == 2 and "not valid JSON (line 1" in bad.stderr
    missing = cli("assess", "mrecist", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "file not found" in missing.stderr


BOR_REQUEST = {
    "treatment_start": "2020-01-01",
    # admiralonco test-derive_param_confirmed_bor.R, subject 1 (Test 1 expects CR 2020-02-01:
    # the CR of 02-01 is confirmed by the CR of 03-01, 29 days later, with one NE between).
    "assessments": [
        {"date": "2020-01-01", "response": "PR"},
        {"date": "2020-02-01", "response": "CR"},
        {"date": "2020-02-16", "response": "NE"},
        {"date": "2020-03-01", "response": "CR"},
        {"date": "2020-04-01", "response": "SD"},
    ],
    "confirmation": True,
    "confirm_days": 28,
    "min_sd_days": 28,
    "max_ne_between": 1,
    "accept_sd_between": False,
}


def test_bor_fixed_contract(cli: Cli, tmp_path: Path) -> None:
    result = cli("assess", "bor", str(_write(tmp_path, BOR_REQUEST)), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json() == {"best_overall_response": "CR", "date": "2020-02-01"}


def test_bor_example_file(cli: Cli) -> None:
    # examples/mrecist/bor/responses.json is BOR_REQUEST: confirmed CR on 2020-02-01.
    result = cli("assess", "bor", str(EXAMPLES / "bor" / "responses.json"), "--json")
    assert result.json() == {"best_overall_response": "CR", "date": "2020-02-01"}


def test_pd_twice_example_first_and_second_pd(cli: Cli) -> None:
    # Worked by hand (examples/mrecist/README.md): baseline 48 + 17 = 65 mm; 03-09: 30 + 12 =
    # 42 mm (-35.4 %, PR; porta node 15 < 20 mm and ascites without cytology are not PD);
    # 05-04: 31 + 12 = 43 mm (PR by mRECIST) + new 8 mm nodule > 5 mm -> protocol PD #1;
    # 07-06: 41 + 14 = 55 mm, (55 - 42) / 42 = +31 % -> PD #2.
    out = cli("assess", "mrecist", str(EXAMPLES / "pd_twice.json"), "--json").json()
    assert [tp["response"] for tp in out["time_points"]] == ["PR", "PD", "PD"]
    assert [tp["mrecist_response"] for tp in out["time_points"]] == ["PR", "PR", "PD"]
    assert [tp["sum_mm"] for tp in out["time_points"]] == [42.0, 43.0, 55.0]
    assert out["time_points"][2]["change_from_nadir_pct"] == 30.95
    assert (out["first_pd_date"], out["confirmed_pd_date"]) == ("2026-05-04", "2026-07-06")
    assert out["best_overall_response"] == "PR"


def test_bor_max_ne_between_0_changes_the_answer(cli: Cli, tmp_path: Path) -> None:
    # With no NE allowed, CR 02-01 is not confirmed; PR 01-01 has its first CR/PR >= 28 days
    # later at 02-01 with nothing between -> confirmed PR on 2020-01-01.
    request = {**BOR_REQUEST, "max_ne_between": 0}
    result = cli("assess", "bor", str(_write(tmp_path, request)), "--json")
    assert result.json() == {"best_overall_response": "PR", "date": "2020-01-01"}


def test_bor_no_assessment_is_missing_with_null_date(cli: Cli, tmp_path: Path) -> None:
    request = {**BOR_REQUEST, "assessments": []}
    result = cli("assess", "bor", str(_write(tmp_path, request)), "--json")
    assert result.json() == {"best_overall_response": "MISSING", "date": None}


def test_bor_readable_summary(cli: Cli, tmp_path: Path) -> None:
    result = cli("assess", "bor", str(_write(tmp_path, BOR_REQUEST)))
    assert result.exit_code == 0
    assert result.stdout.strip() == "best overall response: CR (2020-02-01)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"assessments": [{"date": "2020-03-01", "response": "SD"}, {"date": "2020-02-01", "response": "PR"}]},
         "assessments[1].date: got 2020-02-01"),
        ({"assessments": [{"date": "2020-03-01", "response": "iCR"}]}, "assessments[0].response: got 'iCR'"),
        ({"confirm_days": -1}, "confirm_days: got -1"),
        ({"treatment_start": "2020-13-01"}, "treatment_start: got '2020-13-01'"),
    ],
)  # fmt: skip
def test_bor_bad_input_exits_2_naming_the_item(
    cli: Cli, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    result = cli("assess", "bor", str(_write(tmp_path, {**BOR_REQUEST, **change})), "--json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
