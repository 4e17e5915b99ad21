"""``hcctrial survival cox``: the fixed JSON contract, R's numbers through the CLI, exit 2 on bad input.

Expected numbers are R's coxph (tests/reference/survival/r_reference.json), to rel. 1e-8.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.stats.cox_reference import REF_DIR, r_reference

LUNG = REF_DIR / "data" / "lung.csv"
VETERAN = REF_DIR / "data" / "veteran.csv"
RTOL = 1e-8


@pytest.fixture
def cox(cli: Callable[..., CliResult]) -> Callable[..., CliResult]:
    """Run ``hcctrial survival cox ...`` through the assembled CLI."""
    return lambda *args: cli("survival", "cox", *args)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "d.csv"
    path.write_text(text)
    return path


def _lung_01(tmp_path: Path) -> Path:
    lines = LUNG.read_text().splitlines()
    header = lines[0].replace('"status"', '"dead"')
    out = [header]
    for line in lines[1:]:
        cells = line.split(",")
        cells[2] = "1" if cells[2] == "2" else "0"
        out.append(",".join(cells))
    return _write(tmp_path, "\n".join(out) + "\n")


@pytest.mark.parametrize("ties", ["efron", "breslow", "exact"])
def test_cox_json_on_lung_matches_r_coxph(cox, tmp_path: Path, ties: str) -> None:
    res = cox(
        _lung_01(tmp_path),
        "--time",
        "time",
        "--event",
        "dead",
        "--covariates",
        "age,sex,ph.ecog",
        "--ties",
        ties,
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    r = r_reference()["cox"]["lung"][ties]
    assert [t["name"] for t in out["terms"]] == r["terms"]
    for key, rkey in (
        ("coef", "coef"),
        ("se", "se"),
        ("hr", "hr"),
        ("lower", "hr_lower"),
        ("upper", "hr_upper"),
        ("z", "z"),
        ("p", "p"),
    ):
        assert [t[key] for t in out["terms"]] == pytest.approx(r[rkey], rel=RTOL), key
    assert out["loglik_null"] == pytest.approx(r["loglik_null"], rel=RTOL)
    assert out["loglik"] == pytest.approx(r["loglik_final"], rel=RTOL)
    for key in ("lr_test", "wald_test", "score_test"):
        assert set(out[key]) >= {"chisq", "df", "p"}
        assert out[key]["chisq"] == pytest.approx(r[key]["chisq"], rel=RTOL)
        assert out[key]["df"] == r[key]["df"]
    assert out["concordance"] == pytest.approx(r["concordance"]["concordance"], rel=RTOL)
    assert out["n"] == 227 and out["n_dropped"] == 1  # the row with missing ph.ecog (na.omit)


def test_text_column_with_reference_and_strata(cox) -> None:
    # veteran: celltype is text -> dummies; R's fit uses squamous as reference
    res = cox(
        VETERAN,
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "trt,karno,celltype",
        "--reference",
        "celltype=squamous",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    r = r_reference()["cox"]["veteran"]["efron"]
    # terms in --covariates order, dummies in sorted level order after the reference
    assert [t["name"] for t in out["terms"]] == [
        "trt",
        "karno",
        "celltypeadeno",
        "celltypelarge",
        "celltypesmallcell",
    ]
    by_name = {t["name"]: t["coef"] for t in out["terms"]}
    assert [by_name[n] for n in r["terms"]] == pytest.approx(r["coef"], rel=RTOL)
    res = cox(
        VETERAN,
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "trt,karno",
        "--strata",
        "celltype",
        "--ties",
        "breslow",
        "--json",
    )
    r = r_reference()["cox"]["veteran_stratified"]["breslow"]
    assert [t["coef"] for t in res.json()["terms"]] == pytest.approx(r["coef"], rel=RTOL)


def test_default_reference_is_the_first_sorted_level(cox) -> None:
    res = cox(VETERAN, "--time", "time", "--event", "status", "--covariates", "celltype", "--json")
    assert [t["name"] for t in res.json()["terms"]] == [
        "celltypelarge",
        "celltypesmallcell",
        "celltypesquamous",
    ]


def test_text_summary_without_json(cox) -> None:
    res = cox(
        VETERAN,
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "karno,celltype",
        "--reference",
        "celltype=squamous",
    )
    assert res.exit_code == 0
    assert "celltypeadeno" in res.stdout and "Concordance" in res.stdout
    assert "reference level of celltype: squamous" in res.stdout


CSV = "t,e,age,arm\n5,1,60,A\n8,0,70,B\n3,1,55,A\n9,1,64,B\n4,0,50,A\n7,1,66,B\n"


@pytest.mark.parametrize(
    ("csv", "args", "message"),
    [
        (CSV, ["--covariates", "age,weight"], "'weight' not found"),
        (CSV.replace("\n8,0", "\nx,0"), ["--covariates", "age"], "column 't': line 3 has 'x'"),
        (
            CSV.replace("\n8,0", "\n-8,0"),
            ["--covariates", "age"],
            "column 't': line 3 has '-8'; expected a time >= 0",
        ),
        (CSV.replace("\n8,0", "\n8,2"), ["--covariates", "age"], "column 'e': line 3 has '2'"),
        (
            CSV,
            ["--covariates", "arm", "--reference", "arm=C"],
            "level 'C' not found in column 'arm'",
        ),
        (CSV, ["--covariates", "age", "--ties", "average"], "--ties: got 'average'"),
    ],
    ids=[
        "missing-column",
        "non-numeric-time",
        "negative-time",
        "bad-event-code",
        "unknown-level",
        "bad-ties",
    ],
)
def test_bad_input_exits_2_naming_column_and_row(cox, tmp_path: Path, csv, args, message) -> None:
    res = cox(_write(tmp_path, csv), "--time", "t", "--event", "e", *args, "--json")
    assert res.exit_code == 2
    assert message in res.stderr
    assert "Traceback" not in res.stderr
