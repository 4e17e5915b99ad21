"""``hcctrial next PATIENT_RECORD.json``: JSON contract, bad input (exit 2 naming the item), and
every example record runs. Expected actions and doses are worked by hand in the comments."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO

RECORDS = REPO / "examples" / "records"

#: example -> (today, expected action), each worked from the protocol's words
EXAMPLES = {
    # no cycle yet, screening labs adequate
    "first_cycle": ("2026-01-12", "give_cycle"),
    # ANC 0.8 after cycle 1 = CTCAE grade 3; recovered to 2.0: one HAIC level lower
    "grade3_neutropenia": ("2026-02-09", "give_cycle_reduced"),
    # HFSR grade 2 since 2026-01-30, still ongoing after 7 days: interrupt sorafenib
    "hfsr_grade2": ("2026-02-09", "pause_sorafenib"),
    # HFSR grade 3 resolved on 2026-02-05: resume one level lower
    "hfsr_grade3": ("2026-02-09", "reduce_sorafenib"),
    # CR (targets gone, AFP 12 <= 20) confirmed 4 weeks later: TACE-HAIC stops, sorafenib goes on
    "after_cr": ("2026-04-08", "stop_haic_continue_sorafenib"),
    # 8 cycles given: the maximum
    "after_8_cycles": ("2026-08-03", "stop_haic_continue_sorafenib"),
    # PD seen twice
    "confirmed_pd": ("2026-05-04", "stop_all"),
}


def test_every_example_record_is_covered() -> None:
    assert sorted(p.stem for p in RECORDS.glob("*.json")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_record_runs(cli: Callable[..., Any], name: str) -> None:
    today, action = EXAMPLES[name]
    r = cli("next", RECORDS / f"{name}.json", "--today", today, "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["action"] == action
    text = cli("next", RECORDS / f"{name}.json", "--today", today)
    assert text.exit_code == 0 and f"Next step: {action}" in text.stdout


def test_json_keys_and_reduced_doses(cli: Callable[..., Any]) -> None:
    r = cli("next", RECORDS / "grade3_neutropenia.json", "--today", "2026-02-09", "--json")
    out = r.json()
    for key in (
        "action",
        "haic",
        "sorafenib",
        "reasons",
        "cycle_number",
        "haic_level",
        "dose_sheet",
        "sorafenib_level",
        "sorafenib_daily_mg",
        "due_date",
        "next_imaging_date",
        "next_afp_date",
        "overdue",
    ):
        assert key in out
    assert (out["cycle_number"], out["haic_level"]) == (2, -1)
    doses = {d["name"]: d["dose_mg"] for d in out["dose_sheet"]["drugs"]}
    # BSA: Mosteller sqrt(170 x 70 / 3600) = 1.818 -> 1.82 m²; level -1 = 80 %:
    # oxaliplatin 1.82 x 75 x 0.8 = 109.2 -> 109; 5-FU 1.82 x 1500 x 0.8 = 2184
    assert doses["oxaliplatin"] == 109.0 and doses["fluorouracil"] == 2184.0
    assert out["due_date"] == "2026-02-09" and out["due_latest"] == "2026-02-23"
    reason = out["reasons"][0]
    # issue 3's keys, and issue 13's: whether the rule is an interpretation and its alternative
    assert set(reason) == {"rule", "finding", "quote", "source", "interpretation", "alternative"}
    assert isinstance(out["interpretation"], bool) and isinstance(out["interpretations"], list)


def test_regimen_option_sister_regimen(cli: Callable[..., Any], tmp_path: Path) -> None:
    rec = json.loads((RECORDS / "after_8_cycles.json").read_text())
    rec.pop("regimen")
    for c in rec["cycles"]:
        c["sorafenib_level"] = None
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rec))
    r = cli("next", path, "--today", "2026-08-03", "--regimen", "tace_haic_folfox", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["action"] == "follow_up_only"  # no sorafenib to continue


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: r["cycles"][0].update(date="2026-01-01"),
            "cycles[0].date: 2026-01-01 is before treatment_start",
        ),
        (lambda r: r["cycles"][0].update(cycle=2), "cycles[0].cycle: got 2; expected 1"),
        (lambda r: r["labs"].__setitem__(0, {**r["labs"][0], "unit": "kg"}), "labs[0]"),
        (lambda r: r.update(unknown_key=1), "unknown_key: unknown key"),
    ],
)
def test_bad_record_exit_2_names_the_item(
    cli: Callable[..., Any], tmp_path: Path, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    rec = json.loads((RECORDS / "grade3_neutropenia.json").read_text())
    edit(rec)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rec))
    r = cli("next", path, "--today", "2026-02-09", "--json")
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.stderr


def test_bad_today_and_missing_file_exit_2(cli: Callable[..., Any], tmp_path: Path) -> None:
    r = cli("next", RECORDS / "first_cycle.json", "--today", "12/01/2026")
    assert r.exit_code == 2 and "--today" in r.stderr
    r = cli("next", tmp_path / "nope.json")
    assert r.exit_code == 2 and "file not found" in r.stderr
    r = cli("next", RECORDS / "first_cycle.json", "--today", "2026-01-01")
    assert r.exit_code == 2 and "after today 2026-01-01" in r.stderr
