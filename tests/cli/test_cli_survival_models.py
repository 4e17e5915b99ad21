"""``hcctrial survival cif|crr|rmst|survreg|nelson-aalen``: fixed JSON contracts, values against
R's reference outputs (tests/reference/survival/models/), bad input with exit code 2."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.stats.survival_reference import close
from tests.support import TESTS_REFERENCE

MODELS = TESTS_REFERENCE / "survival" / "models"
MGUS2 = MODELS / "data" / "mgus2_cr.csv"
PBC = MODELS / "data" / "pbc_cr.csv"


@cache
def competing() -> dict[str, Any]:
    return json.loads((MODELS / "competing_risks_r.json").read_text())


def test_cif_json_contract_and_values_match_cmprsk(cli) -> None:
    res = cli(
        "survival",
        "cif",
        PBC,
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "trt",
        "--at",
        "1000,2000",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    assert set(out) >= {"groups", "gray_test"}
    assert set(out["gray_test"]) >= {"chisq", "df", "p"}
    ref = competing()["pbc"]["cuminc_trt"]
    assert [(g["group"], g["cause"]) for g in out["groups"]] == [
        ("1", 1),
        ("2", 1),
        ("1", 2),
        ("2", 2),
    ]
    assert out["n_dropped"] == 106
    for g in out["groups"]:
        assert set(g) >= {"group", "cause", "steps", "at"}
        r = ref["curves"][f"{g['group']} {g['cause']}"]
        assert [s["time"] for s in g["steps"]] == r["time"]
        for s, est, var in zip(g["steps"], r["est"], r["var"], strict=True):
            assert set(s) >= {"time", "cif", "se", "lower", "upper"}
            assert close(s["cif"], est) and close(s["se"] ** 2, var)
            assert s["lower"] < s["cif"] < s["upper"]
        at_ref = dict(zip(ref["at"], zip(r["at_est"], r["at_var"], strict=True), strict=True))
        for a in g["at"]:
            est, var = at_ref[a["time"]]
            assert close(a["cif"], est) and close(a["se"] ** 2, var)
    gt = out["gray_test"]
    assert close(gt["chisq"], ref["tests"]["stat"][0]) and close(gt["p"], ref["tests"]["pv"][0])
    assert gt["df"] == 1


def test_cif_without_group_has_no_gray_test(cli) -> None:
    out = cli("survival", "cif", MGUS2, "--time", "etime", "--event", "event", "--json").json()
    assert out["gray_test"] is None
    assert [(g["group"], g["cause"]) for g in out["groups"]] == [(None, 1), (None, 2)]


@pytest.mark.parametrize(
    ("body", "args", "message"),
    [
        # the shared CSV reader names the data row or, with issue 15a's change, the file line
        ("t,e\n1,1\n2,x\n", [], r"column 'e': (row 2|line 3) has 'x'; expected a number"),
        ("t,e\n1,1\n2,1.5\n", [], r"column 'e': line 3 has '1\.5'; expected 0 \(censored\)"),
        ("t,e\n1,1\n-2,0\n", [], "column 't': line 3 has negative time -2"),
        ("t,e\n1,0\n2,0\n", [], "no events"),
        ("t,e\n1,1\n2,0\n", ["--group", "g"], "column 'g' not found"),
        ("t,e\n1,1\n2,0\n", ["--at", "6,x"], "--at: got 'x'"),
    ],
)
def test_cif_bad_input_exit_2_naming_the_column(
    cli, tmp_path: Path, body: str, args: list[str], message: str
) -> None:
    f = tmp_path / "d.csv"
    f.write_text(body)
    res = cli("survival", "cif", f, "--time", "t", "--event", "e", *args, "--json")
    assert res.exit_code == 2
    assert re.search(message, res.stderr) and "Traceback" not in res.stderr


COX_TERM = {"name", "coef", "se", "hr", "lower", "upper", "z", "p"}


@pytest.mark.parametrize("cause", [1, 2])
def test_crr_terms_have_cox_keys_and_match_cmprsk(cli, cause: int) -> None:
    res = cli(
        "survival",
        "crr",
        MGUS2,
        "--time",
        "etime",
        "--event",
        "event",
        "--covariates",
        "age,sex,hgb",
        "--cause",
        str(cause),
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    ref = competing()["mgus2"][f"crr_cause{cause}"]
    assert [t["name"] for t in out["terms"]] == ref["names"]  # sex: reference level F
    assert out["n"] == ref["n"] and out["n_dropped"] == ref["n_missing"]
    for j, t in enumerate(out["terms"]):
        assert set(t) == COX_TERM
        for key in ("coef", "se", "z", "p", "lower", "upper"):
            assert close(t[key], ref[key][j]), (key, t, ref[key][j])
    assert close(out["loglik"], ref["loglik"]) and out["converged"] is True
    assert out["cause"] == cause and out["lr_test"]["df"] == 3


def test_crr_bad_covariate_exit_2(cli, tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("t,e,x\n1,1,0\n2,2,1\n3,0,1\n")
    res = cli("survival", "crr", f, "--time", "t", "--event", "e", "--covariates", "x,y")
    assert res.exit_code == 2 and "column 'y' not found" in res.stderr
    res = cli(
        "survival", "crr", f, "--time", "t", "--event", "e", "--covariates", "x", "--cause", "3"
    )
    assert res.exit_code == 2 and "no event of cause 3" in res.stderr


@cache
def na_rmst() -> dict[str, Any]:
    return json.loads((MODELS / "nelson_aalen_rmst_r.json").read_text())


def test_rmst_json_per_group_difference_and_ratio_match_r(cli) -> None:
    res = cli(
        "survival",
        "rmst",
        MODELS / "data" / "aml.csv",
        "--time",
        "time",
        "--event",
        "status",
        "--tau",
        "20",
        "--group",
        "group",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    ref = na_rmst()["aml"]["rmst"][0]
    assert ref["tau"] == out["tau"] == 20
    for g, est, se in zip(out["groups"], ref["rmean"], ref["se"], strict=True):
        assert set(g) >= {"group", "rmst", "se", "lower", "upper"}
        assert close(g["rmst"], est) and close(g["se"], se)
    d, r = out["difference"], out["ratio"]
    assert out["comparisons"][0]["group"] == "Nonmaintained"
    assert out["comparisons"][0]["reference"] == "Maintained"
    for key, rkey in (
        ("estimate", "diff"),
        ("se", "diff_se"),
        ("lower", "diff_lower"),
        ("upper", "diff_upper"),
        ("p", "diff_p"),
    ):
        assert close(d[key], ref[rkey]), key
    for key, rkey in (
        ("estimate", "ratio"),
        ("lower", "ratio_lower"),
        ("upper", "ratio_upper"),
        ("p", "ratio_p"),
    ):
        assert close(r[key], ref[rkey]), key


def test_rmst_three_groups_list_comparisons_and_no_single_difference(cli) -> None:
    out = cli(
        "survival",
        "rmst",
        MODELS / "data" / "colon.csv",
        "--time",
        "time",
        "--event",
        "status",
        "--tau",
        "1825",
        "--group",
        "group",
        "--json",
    ).json()
    ref = na_rmst()["colon"]["rmst"][1]
    assert out["difference"] is None and len(out["comparisons"]) == 2
    assert [
        close(c["difference"]["estimate"], x)
        for c, x in zip(out["comparisons"], ref["diff"], strict=True)
    ] == [True, True]


def test_nelson_aalen_json_matches_survfit(cli) -> None:
    out = cli(
        "survival",
        "nelson-aalen",
        MODELS / "data" / "ovarian.csv",
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "group",
        "--json",
    ).json()
    ref = na_rmst()["ovarian"]["nelson_aalen"]
    steps = [s for g in out["groups"] for s in g["steps"]]
    assert [s["time"] for s in steps] == ref["time"]
    assert all(close(s["cumhaz"], h) for s, h in zip(steps, ref["cumhaz"], strict=True))
    assert all(close(s["se"], h) for s, h in zip(steps, ref["std_chaz"], strict=True))
    assert set(steps[0]) >= {"time", "n_risk", "n_event", "cumhaz", "se", "lower", "upper"}


@pytest.mark.parametrize(
    ("command", "extra", "message"),
    [
        ("rmst", ["--tau", "0"], "--tau: got 0.0; expected a time > 0"),
        ("rmst", ["--tau", "5", "--group", "nope"], "column 'nope' not found"),
        ("nelson-aalen", ["--conf-level", "95"], "--conf-level: got 95.0"),
    ],
)
def test_rmst_and_nelson_aalen_bad_input_exit_2(
    cli, tmp_path: Path, command: str, extra: list[str], message: str
) -> None:
    f = tmp_path / "d.csv"
    f.write_text("t,e\n1,1\n2,0\n3,1\n")
    res = cli("survival", command, f, "--time", "t", "--event", "e", *extra)
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.stderr
    f.write_text("t,e\n1,1\n2,2\n")
    tau = ["--tau", "1"] if command == "rmst" else []
    res = cli("survival", command, f, "--time", "t", "--event", "e", *tau)
    assert res.exit_code == 2 and re.search(r"(row 2|line 3) has '?2'?", res.stderr)


@pytest.mark.parametrize("dist", ["weibull", "exponential", "lognormal", "loglogistic"])
def test_survreg_json_matches_r(cli, dist: str) -> None:
    res = cli(
        "survival",
        "survreg",
        MODELS / "data" / "aml.csv",
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "group",
        "--dist",
        dist,
        "--quantiles",
        "0.1,0.25,0.5,0.75,0.9",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    ref = json.loads((MODELS / "survreg_r.json").read_text())[dist]["aml"]
    assert [t["name"] for t in out["terms"]] == ref["names"]
    n_terms = len(ref["names"])  # ref["se"] ends with Log(scale) when it is estimated
    for t, c, s in zip(out["terms"], ref["coef"], ref["se"][:n_terms], strict=True):
        assert close(t["coef"], c, 1e-6) and close(t["se"], s, 1e-6)
    assert close(out["loglik"], ref["loglik"], 1e-9)
    assert close(out["log_scale"]["estimate"] + 1.0, ref["log_scale"] + 1.0, 1e-6)
    nonmaintained = [q for q in out["quantiles"] if q["covariates"] == {"groupNonmaintained": 1.0}]
    assert [q["p"] for q in nonmaintained] == ref["p"]
    for q, t, s in zip(nonmaintained, ref["q"], ref["q_se"], strict=True):
        assert close(q["time"], t, 1e-6) and close(q["se"], s, 1e-6)
        assert q["lower"] < q["time"] < q["upper"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dist", "gamma"], "--dist: got 'gamma'"),
        (["--quantiles", "0.5,1"], "--quantiles: got '1'"),
        (["--covariates", "age"], "column 'age' not found"),
    ],
)
def test_survreg_bad_input_exit_2(cli, tmp_path: Path, extra: list[str], message: str) -> None:
    f = tmp_path / "d.csv"
    f.write_text("t,e\n1,1\n2,0\n3,1\n4,1\n")
    res = cli("survival", "survreg", f, "--time", "t", "--event", "e", *extra)
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.stderr


def test_nelson_aalen_timefix_by_default_and_switchable(cli, tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("t,e\n0.3,1\n0.30000000000000004,1\n0.6,0\n")
    merged = cli("survival", "nelson-aalen", f, "--time", "t", "--event", "e", "--json").json()
    assert [s["cumhaz"] for s in merged["groups"][0]["steps"]] == [2 / 3, 2 / 3]
    apart = cli(
        "survival", "nelson-aalen", f, "--time", "t", "--event", "e", "--no-timefix", "--json"
    ).json()
    assert [s["cumhaz"] for s in apart["groups"][0]["steps"]] == [
        1 / 3,
        1 / 3 + 1 / 2,
        1 / 3 + 1 / 2,
    ]
    assert (merged["timefix"], apart["timefix"]) == (True, False)


def test_cif_with_a_single_group_has_a_gray_test_with_a_note(cli, tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("t,e,g\n1,1,a\n2,2,a\n3,0,a\n")
    out = cli("survival", "cif", f, "--time", "t", "--event", "e", "--group", "g", "--json").json()
    assert out["gray_test"]["chisq"] is None and "one group" in out["gray_test"]["note"]
    assert [s["cif"] for s in out["groups"][0]["steps"]] == [1 / 3]
