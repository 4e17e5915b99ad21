"""``hcctrial survival km|logrank``: the fixed JSON contracts, values against R, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.stats.survival_reference import SURVIVAL_REFERENCE, close, r_reference

LUNG = SURVIVAL_REFERENCE / "data" / "lung.csv"
VETERAN = SURVIVAL_REFERENCE / "data" / "veteran.csv"

KM_TOP = {"conf_type", "median_ci_method", "groups"}
KM_GROUP = {"group", "n", "events", "median", "at", "steps"}
KM_MEDIAN = {"estimate", "lower", "upper", "reached"}
KM_AT = {"time", "surv", "se", "lower", "upper", "n_risk"}
KM_STEP = {"time", "n_risk", "n_event", "n_censor", "surv", "se", "lower", "upper"}
LOGRANK = {"chisq", "df", "p", "groups", "observed", "expected"}


def test_km_json_contract_and_values_match_r(cli) -> None:
    res = cli(
        "survival",
        "km",
        LUNG,
        "--time",
        "time",
        "--event",
        "status",
        "--event-value",
        "2",
        "--group",
        "sex",
        "--conf-type",
        "log-log",
        "--at",
        "180,365,730",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    assert set(out) >= KM_TOP
    assert (out["conf_type"], out["median_ci_method"]) == ("log-log", "r")
    ref = r_reference()["datasets"]["lung"]["km_by_group"]["log-log"]
    for g, name in zip(out["groups"], ("group=1", "group=2"), strict=True):
        assert set(g) >= KM_GROUP and set(g["median"]) >= KM_MEDIAN
        assert all(set(a) >= KM_AT for a in g["at"]) and all(set(s) >= KM_STEP for s in g["steps"])
        q = ref["quantiles"][name]
        assert close(g["median"]["estimate"], q["quantile"]["q50"])
        assert close(g["median"]["lower"], q["lower"]["q50"])
        assert close(g["median"]["upper"], q["upper"]["q50"])
        rows = [i for i, s in enumerate(ref["step_table"]["strata"]) if s == name]
        assert [s["time"] for s in g["steps"]] == [ref["step_table"]["time"][i] for i in rows]
        for key, rkey in (("se", "std_err_surv"), ("lower", "lower"), ("upper", "upper")):
            assert all(
                close(s[key], ref["step_table"][rkey][i])
                for s, i in zip(g["steps"], rows, strict=True)
            )
        lm = [i for i, s in enumerate(ref["landmarks"]["strata"]) if s == name]
        assert [a["n_risk"] for a in g["at"]] == [ref["landmarks"]["n_risk"][i] for i in lm]
        assert all(
            close(a["surv"], ref["landmarks"]["surv"][i]) for a, i in zip(g["at"], lm, strict=True)
        )
    assert [g["group"] for g in out["groups"]] == ["1", "2"]


def test_km_overall_group_is_null_and_not_reached_is_null_with_flag(cli, tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("t,e\n1,1\n2,0\n3,0\n4,0\n")  # S stays at 0.75: median not reached
    out = cli("survival", "km", f, "--time", "t", "--event", "e", "--json").json()
    (g,) = out["groups"]
    assert g["group"] is None
    assert g["median"]["estimate"] is None and g["median"]["reached"] is False


def test_km_spss_median_matches_spss_rule(cli) -> None:
    out = cli(
        "survival",
        "km",
        VETERAN,
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "trt",
        "--median-ci",
        "spss",
        "--json",
    ).json()
    from tests.stats.survival_reference import spss_reference

    ref = spss_reference()["datasets"]["veteran"]
    assert out["median_ci_method"] == "spss"
    for g in out["groups"]:
        r = ref[f"trt={g['group']}"]["s=0.5"]
        assert close(g["median"]["estimate"], r["estimate"])
        assert close(g["median"]["lower"], r["lower"]) and close(g["median"]["upper"], r["upper"])


def test_logrank_json_contract_and_stratified_values_match_r(cli) -> None:
    # column name with a dot, and the one NA in ph.ecog dropped as R does
    res = cli(
        "survival",
        "logrank",
        LUNG,
        "--time",
        "time",
        "--event",
        "status",
        "--event-value",
        "2",
        "--group",
        "sex",
        "--strata",
        "ph.ecog",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    assert set(out) >= LOGRANK
    ref = r_reference()["stratified_logrank"]["lung_sex_by_ph.ecog"]
    assert close(out["chisq"], ref["chisq"]) and close(out["p"], ref["p"])
    assert out["df"] == ref["df"] and out["groups"] == ["1", "2"]
    assert all(close(a, b) for a, b in zip(out["observed"], ref["observed"], strict=True))
    assert all(close(a, b) for a, b in zip(out["expected"], ref["expected"], strict=True))
    assert out["n_dropped"] == 1


def test_logrank_rho1_matches_r(cli) -> None:
    out = cli(
        "survival",
        "logrank",
        VETERAN,
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "trt",
        "--rho",
        "1",
        "--json",
    ).json()
    ref = r_reference()["datasets"]["veteran"]["peto_rho1"]
    assert close(out["chisq"], ref["chisq"]) and close(out["p"], ref["p"])


def test_text_output_is_readable(cli) -> None:
    res = cli("survival", "km", VETERAN, "--time", "time", "--event", "status", "--at", "90")
    assert res.exit_code == 0 and "median 80 (95% CI 52-105)" in res.stdout  # R: 80 (52, 105)


def write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "bad.csv"
    f.write_text(text)
    return f


@pytest.mark.parametrize(
    ("csv", "args", "message"),
    [
        ("t,e\n1,1\n", ["--time", "days"], "column 'days' not found"),
        ("t,e\n1,1\nx,0\n", [], "column 't': line 3 has 'x'; expected a number"),
        ("t,e\n1,1\n-3,0\n", [], "column 't': line 3 has negative time -3"),
        ("t,e\n1,1\n2,2\n", [], "column 'e': line 3 has '2'; expected 0 (censored) or 1"),
        ("t,e\n1,1\n2,0\n", ["--conf-type", "logit"], "--conf-type: got 'logit'"),
        ("t,e\n1,1\n2,0\n", ["--median-ci", "sas"], "--median-ci: got 'sas'"),
        ("t,e\n1,1\n2,0\n", ["--at", "12,a"], "--at: got 'a'"),
    ],
)
def test_km_bad_input_exits_2_naming_column_and_row(cli, tmp_path, csv, args, message) -> None:
    base = {"--time": "t", "--event": "e"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [x for kv in base.items() for x in kv]
    res = cli("survival", "km", write(tmp_path, csv), *flat, "--json")
    assert res.exit_code == 2
    assert message in res.stderr and "Traceback" not in res.stderr


def test_na_rows_are_dropped_and_row_numbers_stay_those_of_the_file(cli, tmp_path) -> None:
    # line 2 has NA time (dropped, as R's na.omit); the bad event is on line 4 of the file
    res = cli(
        "survival",
        "km",
        write(tmp_path, "t,e\nNA,1\n2,0\n3,5\n"),
        "--time",
        "t",
        "--event",
        "e",
        "--json",
    )
    assert res.exit_code == 2 and "line 4 has '5'" in res.stderr
    ok = cli(
        "survival",
        "km",
        write(tmp_path, "t,e\nNA,1\n2,1\n,0\n4,0\n"),
        "--time",
        "t",
        "--event",
        "e",
        "--json",
    ).json()
    assert ok["n_dropped"] == 2 and ok["groups"][0]["n"] == 2


def test_logrank_single_group_is_an_error(cli, tmp_path) -> None:
    res = cli(
        "survival",
        "logrank",
        write(tmp_path, "t,e,g\n1,1,a\n2,0,a\n"),
        "--time",
        "t",
        "--event",
        "e",
        "--group",
        "g",
    )
    assert res.exit_code == 2 and "only one group" in res.stderr


def test_cox_is_registered_on_the_survival_group(cli) -> None:
    res = cli("survival", "--help")
    assert res.exit_code == 0 and "cox" in res.stdout
