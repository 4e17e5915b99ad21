"""A sister plan is a new file: the example plan (time to progression against a historical curve by
the one-sample log-rank test) runs through ``analyze``, ``report`` and ``design`` with no code of
its own; and the design commands read the seed plan's design."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.demo.demo_run import demo_output

SISTER = "ttp_one_sample_logrank"


@pytest.fixture(scope="module")
def sister_json() -> dict[str, Any]:
    import contextlib
    import io

    from hcctrial.cli.main import run

    out, _ = demo_output()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as exc:
        run(["analyze", "--database", str(out / "demo.sqlite"), "--sap", SISTER, "--json"])
    assert exc.value.code in (0, None)
    return dict(json.loads(buf.getvalue()))


def test_the_one_sample_logrank_primary_is_observed_against_expected_by_hand(
    sister_json: dict[str, Any],
) -> None:
    """O = TTP events; E = sum of log(2) t / 7 over every patient's TTP time in months (the
    exponential null with a 7-month median); z = (E - O) / sqrt(E)."""
    import csv

    out, _ = demo_output()
    rows = [r for r in csv.DictReader((out / "endpoints.csv").open()) if r["endpoint"] == "ttp"]
    assert len(rows) == 66
    observed = sum(int(r["event"]) for r in rows)
    expected = sum(math.log(2) * int(r["days"]) / 30.4375 / 7.0 for r in rows)
    primary = sister_json["analysis"]["primary"]
    lr = primary["one_sample_logrank"]
    assert primary["endpoint"] == "ttp" and primary["test"] == "one-sample-logrank"
    assert lr["observed"] == observed == 43  # TTP events = the paper's 43 progressions
    assert lr["expected"] == pytest.approx(expected, rel=1e-12)
    assert lr["z"] == pytest.approx((expected - observed) / math.sqrt(expected), rel=1e-12)
    assert primary["rejected"] is True and primary["p"] < 0.05


def test_the_sister_plans_conventions_fill_the_fixed_keys(sister_json: dict[str, Any]) -> None:
    j = sister_json
    assert j["plan"]["id"] == SISTER
    # [outputs]: "pfs" is standard PFS here; medians by R's rule; follow-up by reverse KM
    assert j["pfs"]["endpoint"] == "pfs" and j["pfs"]["events"] == 49
    assert j["pfs"]["median_method"] == "r" and j["pfs"]["median"] == j["pfs"]["r_median"]
    assert j["followup"]["median"] == j["followup"]["reverse_km_median"]
    assert set(j["pfs"]["rates"]) == {"6", "12"} and set(j["os"]["rates"]) == {"12", "24"}
    # response rates over the response-evaluable population with Wilson intervals
    assert j["orr"]["method"] == "wilson"
    assert j["analysis"]["response"]["population"] == "response_evaluable"
    # its adverse-event table has its own three rows, over the safety population
    assert [a["term"] for a in j["adverse_events"]] == [
        "platelet_count_decreased",
        "transaminase_increased",
        "hand_foot_skin_reaction",
    ]


def test_the_sister_plan_report_builds_with_its_tables(cli: Any, tmp_path: Any) -> None:
    import csv

    out, _ = demo_output()
    r = cli(
        "report", "--database", str(out / "demo.sqlite"), "--out", str(tmp_path),
        "--format", "csv", "--sap", SISTER, "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert r.json()["plan"]["id"] == SISTER
    primary = list(csv.reader((tmp_path / "tables" / "primary.csv").open(encoding="utf-8")))
    # the table's CSV: its title, the header, the rows (issue 17's layout)
    title, header, row = primary[0], primary[1], primary[2]
    assert title[0].startswith("Primary endpoint: Time to progression")
    column = header.index("Observed vs expected events")
    assert row[column].startswith("O = 43, E = ")
    assert (tmp_path / "tables" / "subgroups_ttp.csv").exists()


# --------------------------------------------------------------------------- design from a plan
def test_design_single_arm_without_flags_is_the_seed_plans_design(cli: Any) -> None:
    r = cli("design", "single-arm", "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    # the paper: two-sided 0.05, power 0.9, 30 % vs 50 % -> 59.2 -> 60; x 1.1 -> 66
    assert (out["n"], out["n_enrolled"]) == (60, 66)
    assert out["plan"]["id"] == "sorafenib_tace_haic_folfox"


def test_design_single_arm_flags_override_the_plan(cli: Any) -> None:
    r = cli("design", "single-arm", "--sap", "sorafenib_tace_haic_folfox", "--sides", "1", "--json")
    # one-sided 0.05: 48.6 -> 49; the plan's 10 % drop-out, multiplied: 49 x 1.1 = 53.9 -> 54
    assert (r.json()["n"], r.json()["n_enrolled"]) == (49, 54)


def test_design_single_arm_with_one_rate_only_is_exit_2(cli: Any) -> None:
    r = cli("design", "single-arm", "--p0", "0.3")
    assert r.exit_code == 2 and "--p1" in r.stderr


def test_design_of_the_wrong_kind_for_the_plan_is_exit_2(cli: Any) -> None:
    r = cli("design", "one-sample-logrank")
    assert r.exit_code == 2 and "design single-arm" in r.stderr
    r = cli("design", "single-arm", "--sap", SISTER)
    assert r.exit_code == 2 and "one-sample-logrank" in r.stderr


def test_design_one_sample_logrank_reads_the_sister_plan(cli: Any) -> None:
    from hcctrial.stats.design_survival import one_sample_logrank_wu

    r = cli("design", "one-sample-logrank", "--sap", SISTER, "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["n"] == one_sample_logrank_wu(7.0, 0.7, 48, 17, 0.05, 0.8) == 58
