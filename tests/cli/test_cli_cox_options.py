"""``survival cox`` options beside today's contract: --start/--weights/--cluster/--robust/--zph/
--no-timefix/--categorical, the new JSON keys, and the input rules (file lines, stray text).

Expected numbers: live R ``coxph`` / ``cox.zph`` (survival 3.5) on the same CSV, 1e-8 relative;
skipped without ``Rscript``. Input rules: messages written out by hand.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CliResult
from tests.stats.cox_live_r import RSCRIPT, needs_r

RTOL = 1e-8


@pytest.fixture
def cox(cli: Callable[..., CliResult]) -> Callable[..., CliResult]:
    return lambda *args: cli("survival", "cox", *args)


def _csv(tmp_path: Path, seed: int = 1, n: int = 150) -> Path:
    rng = np.random.default_rng(seed)
    age = np.round(rng.normal(60, 10, n), 1)
    arm = rng.choice(["A", "B"], n)
    stop = np.ceil(rng.exponential(30 * np.exp(-0.02 * (age - 60)), n))
    start = np.floor(stop * rng.uniform(0, 0.7, n))
    start[rng.uniform(size=n) < 0.4] = 0
    event = (rng.uniform(size=n) < 0.7).astype(int)
    w = rng.integers(1, 4, n)
    cl = rng.integers(1, 30, n)
    lines = ["stop,event,age,arm,start,w,cl"] + [
        f"{stop[i]:g},{event[i]},{age[i]:g},{arm[i]},{start[i]:g},{w[i]},{cl[i]}" for i in range(n)
    ]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


R_FIT = r"""
suppressPackageStartupMessages({library(survival); library(jsonlite)})
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
f <- coxph(Surv(start, stop, event) ~ age + arm, data = d, weights = w, cluster = cl)
g <- coxph(Surv(stop, event) ~ age + arm, data = d)
z <- cox.zph(g, transform = "km")
zi <- cox.zph(g, transform = "identity")
cat(toJSON(list(coef = unname(coef(f)), var = f$var, naive = f$naive.var, iter = f$iter,
  loglik = f$loglik, rscore = f$rscore, wald = unname(f$wald.test),
  zph_km = unname(z$table[, "chisq"]), zph_id = unname(zi$table[, "chisq"]),
  zph_p = unname(z$table[, "p"])), digits = NA, matrix = "rowmajor"))
"""


@needs_r
def test_counting_process_weights_cluster_match_r(cox, tmp_path: Path) -> None:
    path = _csv(tmp_path)
    script = tmp_path / "fit.R"
    script.write_text(R_FIT)
    assert RSCRIPT is not None
    r = json.loads(
        subprocess.run(
            [RSCRIPT, str(script), str(path)], capture_output=True, text=True, check=True
        ).stdout
    )
    res = cox(
        path,
        "--time",
        "stop",
        "--event",
        "event",
        "--covariates",
        "age,arm",
        "--start",
        "start",
        "--weights",
        "w",
        "--cluster",
        "cl",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    assert [t["name"] for t in out["terms"]] == ["age", "armB"]
    np.testing.assert_allclose([t["coef"] for t in out["terms"]], r["coef"], rtol=RTOL)
    np.testing.assert_allclose(out["variance"], r["var"], rtol=RTOL)
    np.testing.assert_allclose(out["naive_variance"], r["naive"], rtol=RTOL)
    np.testing.assert_allclose(
        [t["robust_se"] for t in out["terms"]], np.sqrt(np.diag(r["var"])), rtol=RTOL
    )
    np.testing.assert_allclose(
        [t["se"] for t in out["terms"]], np.sqrt(np.diag(r["naive"])), rtol=RTOL
    )
    assert out["iterations"] == r["iter"][0] and out["converged"] is True
    assert out["robust_score_test"]["chisq"] == pytest.approx(r["rscore"][0], rel=RTOL)
    assert out["wald_test"]["chisq"] == pytest.approx(r["wald"][0], rel=RTOL)
    np.testing.assert_allclose([out["loglik_null"], out["loglik"]], r["loglik"], rtol=RTOL)
    assert out["n_clusters"] == len({line.split(",")[-1] for line in path.read_text().split()[1:]})
    for transform, key in (("km", "zph_km"), ("identity", "zph_id")):
        z = cox(
            path,
            "--time",
            "stop",
            "--event",
            "event",
            "--covariates",
            "age,arm",
            "--zph",
            transform,
            "--json",
        ).json()["zph"]
        chisq = [t["chisq"] for t in z["terms"]] + [z["global"]["chisq"]]
        np.testing.assert_allclose(chisq, r[key], rtol=1e-8)


def test_plain_fit_has_the_new_keys_and_keeps_the_old(cox, tmp_path: Path) -> None:
    out = cox(
        _csv(tmp_path), "--time", "stop", "--event", "event", "--covariates", "age", "--json"
    ).json()
    assert {"terms", "loglik", "lr_test", "concordance", "n_dropped", "warnings"} <= set(out)
    assert out["iterations"] >= 1 and out["converged"] is True
    assert out["terms"][0]["robust_se"] is None
    v = out["variance"]
    assert len(v) == 1 and v[0][0] == pytest.approx(out["terms"][0]["se"] ** 2, rel=1e-12)


def test_robust_flag_without_cluster(cox, tmp_path: Path) -> None:
    out = cox(
        _csv(tmp_path),
        "--time",
        "stop",
        "--event",
        "event",
        "--covariates",
        "age",
        "--robust",
        "--json",
    ).json()
    assert out["terms"][0]["robust_se"] > 0 and out["naive_variance"] is not None


def _write(tmp_path: Path, text: str | bytes, name: str = "d.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


BASE = "t,e,age,grade\n5,1,60,1\n8,0,70,2\n3,1,55,1\n9,1,64,3\n4,0,50,2\n7,1,66,1\n"


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            BASE.replace("\n4,0,50,2", "\n4,0,unknown,2"),
            ["--covariates", "age"],
            "column 'age': line 6 has 'unknown' among numbers; expected a number "
            "(or --categorical age",
        ),
        (  # an infinite value after a dropped NA row: the file's line, the cell as written
            BASE.replace("\n8,0,70,2", "\nNA,0,70,2").replace("\n9,1,64", "\n9,1,inf"),
            ["--covariates", "age"],
            "column 'age': line 5 has 'inf'; expected a finite number",
        ),
        (
            "t,e,age,entry\n5,1,60,0\n8,0,70,0\n3,1,55,3\n9,1,64,0\n4,0,50,1\n7,1,66,0\n",
            ["--covariates", "age", "--start", "entry"],
            "column 'entry': line 4 has '3'; expected an entry time before the stop time in 't'",
        ),
        (
            BASE.replace("\n7,1,66,1", "\n7,1,66,-1"),
            ["--covariates", "age", "--weights", "grade"],
            "column 'grade': line 7 has '-1'; expected a case weight > 0",
        ),
        (BASE, ["--covariates", "age", "--categorical", "sex"], "--categorical: column 'sex'"),
        (BASE, ["--covariates", "age", "--zph", "log"], "--zph: got 'log'"),
        ("t,e,t\n1,1,2\n2,0,3\n", ["--covariates", "e"], "names column 't' more than once"),
        (b"t,e,age\n1,1,caf\xe9\n", ["--covariates", "age"], "not readable as UTF-8"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe\x00", ["--covariates", "age"], "binary data"),
    ],
    ids=[
        "stray-word",
        "inf-after-dropped-row",
        "start-not-before-stop",
        "negative-weight",
        "unknown-categorical",
        "bad-zph",
        "duplicate-column",
        "latin-1",
        "binary",
    ],
)
def test_bad_input_exits_2_naming_column_and_line(cox, tmp_path, content, args, message) -> None:
    res = cox(_write(tmp_path, content), "--time", "t", "--event", "e", *args, "--json")
    assert res.exit_code == 2, res.stdout
    assert message in res.stderr
    assert "Traceback" not in res.stderr and "np.float64" not in res.stderr


def test_categorical_makes_numeric_codes_a_factor(cox, tmp_path: Path) -> None:
    path = _write(tmp_path, BASE)
    out = cox(
        path,
        "--time",
        "t",
        "--event",
        "e",
        "--covariates",
        "grade",
        "--categorical",
        "grade",
        "--json",
    ).json()
    assert [t["name"] for t in out["terms"]] == ["grade2", "grade3"]
    assert out["reference_levels"] == {"grade": "1"}
