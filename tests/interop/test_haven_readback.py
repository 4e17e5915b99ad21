"""R haven reads every SPSS, Stata and SAS transport file of the export; values, types, labels,
value labels agree with the database (read here with plain SQL, independently of the writer).

One Rscript call per format reads all files and prints, per file and column: R's class, the
variable label, the value labels and every value as text (dates ISO, numbers to 15 digits).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.interop.conftest import RSCRIPT, r_has_haven

pytestmark = pytest.mark.skipif(
    not r_has_haven() and not os.environ.get("CI"), reason="R haven is not installed"
)

R_CODE = r"""
suppressPackageStartupMessages({ library(haven); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
fmt <- args[1]
out <- list()
for (f in args[-1]) {
  d <- switch(fmt, sav = read_sav(f, user_na = FALSE), dta = read_dta(f), xpt = read_xpt(f))
  cols <- list()
  for (n in names(d)) {
    x <- d[[n]]
    labs <- attr(x, "labels")
    v <- if (inherits(x, "Date")) format(x, "%Y-%m-%d") else if (inherits(x, "POSIXct"))
      format(x, "%Y-%m-%dT%H:%M:%S", tz = "UTC") else if (is.numeric(x)) format(as.numeric(x),
      digits = 15, scientific = FALSE, trim = TRUE) else as.character(x)
    v[is.na(x)] <- NA
    cols[[n]] <- list(class = class(x)[1], label = attr(x, "label", exact = TRUE),
      labels = if (is.null(labs)) NULL else as.list(setNames(as.numeric(labs), names(labs))),
      values = v)
  }
  out[[basename(f)]] <- list(n = nrow(d), label = attr(d, "label"), columns = cols)
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null"))
"""


def _read_in_r(fmt: str, files: list[Path]) -> dict[str, Any]:
    if RSCRIPT is None or not r_has_haven():
        pytest.fail("R haven is required under CI (installed by .ci/run)")
    proc = subprocess.run([RSCRIPT, "-e", R_CODE, fmt, *map(str, files)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module", params=["sav", "dta", "xpt"])
def readback(request: pytest.FixtureRequest, exported: dict[str, Path]) -> tuple[str, Any, Path]:
    fmt = request.param
    files = sorted(exported[fmt].glob(f"*.{fmt}"))
    return fmt, _read_in_r(fmt, files), exported[fmt]


def _mapping(directory: Path) -> dict[tuple[str, str], dict[str, str]]:
    import csv

    with (directory / "variables.csv").open(encoding="utf-8") as fh:
        return {(r["dataset"], r["variable"]): r for r in csv.DictReader(fh)}


def _db_rows(demo_db: Path, table: str) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as c:
        rows = [dict(r) for r in c.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings()]
    engine.dispose()
    return rows


def _num(s: str | None) -> float | None:
    return None if s is None else float(s)


def test_every_file_read_with_row_counts_and_labels(readback: tuple[str, Any, Path],
                                                    demo_db: Path) -> None:
    fmt, data, directory = readback
    mapping = _mapping(directory)
    files = {r["file"] for r in mapping.values()}
    assert files == set(data), "every file listed in variables.csv is read by haven"
    tables = ("patients", "baselines", "lab_results", "adverse_events", "treatment_cycles",
              "lesion_measurements", "followups")
    for table in tables:
        entry = next(r for (ds, _), r in mapping.items() if ds == table)
        assert data[entry["file"]]["n"] == len(_db_rows(demo_db, table))
    for (_ds, _var), r in mapping.items():
        column = data[r["file"]]["columns"][r["name_in_file"]]
        limit = {"sav": 256, "dta": 80, "xpt": 40}[fmt]
        assert column["label"] == r["label_in_file"], r
        assert r["label"].startswith(r["label_in_file"]) and len(r["label_in_file"]) <= limit
        assert len(r["name_in_file"]) <= {"sav": 64, "dta": 32, "xpt": 8}[fmt]


def test_baseline_values_types_and_value_labels(readback: tuple[str, Any, Path],
                                                demo_db: Path) -> None:
    fmt, data, directory = readback
    mapping = _mapping(directory)
    rows = _db_rows(demo_db, "baselines")

    def col(variable: str) -> dict[str, Any]:
        r = mapping[("baselines", variable)]
        return data[r["file"]]["columns"][r["name_in_file"]]

    # dates: R Date class, ISO values equal to the database's
    assert col("assessment_date")["class"] == "Date"
    assert col("assessment_date")["values"] == [r["assessment_date"] for r in rows]
    # numbers equal to 15 digits
    assert [_num(v) for v in col("height_cm")["values"]] == [r["height_cm"] for r in rows]
    assert [_num(v) for v in col("age_years")["values"]] == [float(r["age_years"]) for r in rows]
    sex = col("sex")
    if fmt == "xpt":  # no value labels in a transport file: the text value
        assert sex["values"] == [r["sex"] for r in rows]
        assert col("cirrhosis")["values"] == [str(int(r["cirrhosis"])) for r in rows]
    else:  # codes 1..k in the enum's order (male, female) with labels in words
        assert sex["class"] == "haven_labelled"
        assert sex["labels"] == {"Male": 1, "Female": 2}
        assert [_num(v) for v in sex["values"]] == [1.0 if r["sex"] == "male" else 2.0
                                                    for r in rows]
        assert col("cirrhosis")["labels"] == {"No": 0, "Yes": 1}
        assert col("encephalopathy")["labels"] == {"None": 1, "Grade 1-2": 2, "Grade 3-4": 3}
        # hbv_dna_iu_ml is optional: missing stays missing
        dna = col("hbv_dna_iu_ml")["values"]
        assert [v is None for v in dna] == [r["hbv_dna_iu_ml"] is None for r in rows]


def test_lab_and_adverse_event_values(readback: tuple[str, Any, Path], demo_db: Path) -> None:
    fmt, data, directory = readback
    mapping = _mapping(directory)
    labs = _db_rows(demo_db, "lab_results")
    r = mapping[("lab_results", "canonical_value")]
    assert [_num(v) for v in data[r["file"]]["columns"][r["name_in_file"]]["values"]] == [
        x["canonical_value"] for x in labs]
    r = mapping[("lab_results", "unit_entered")]
    assert data[r["file"]]["columns"][r["name_in_file"]]["values"] == [x["unit_entered"]
                                                                        for x in labs]
    aes = _db_rows(demo_db, "adverse_events")
    r = mapping[("adverse_events", "resolution_date")]
    assert data[r["file"]]["columns"][r["name_in_file"]]["values"] == [x["resolution_date"]
                                                                        for x in aes]
    r = mapping[("adverse_events", "attribution")]
    values = data[r["file"]]["columns"][r["name_in_file"]]["values"]
    order = ["unrelated", "unlikely", "possible", "probable", "definite"]
    expected = [x["attribution"] if fmt == "xpt" else str(order.index(x["attribution"]) + 1)
                for x in aes]
    assert values == expected


def test_analysis_datasets(readback: tuple[str, Any, Path], demo_analysis: Any) -> None:
    fmt, data, directory = readback
    mapping = _mapping(directory)
    r = mapping[("endpoints", "months")]
    cols = data[r["file"]]["columns"]
    months = [_num(v) for v in cols[r["name_in_file"]]["values"]]
    assert months == pytest.approx([e.months for e in demo_analysis.endpoints], rel=1e-14)
    ev = cols[mapping[("endpoints", "event")]["name_in_file"]]
    assert [int(float(v)) for v in ev["values"]] == [e.event for e in demo_analysis.endpoints]
    if fmt != "xpt":  # the seed plan has a competing-risks endpoint (cif_progression)
        assert ev["labels"] == {"Censored": 0, "Event": 1, "Competing event": 2}
        codes = cols[mapping[("endpoints", "endpoint")]["name_in_file"]]["labels"]
        plan = demo_analysis.result.plan
        assert codes == {ep.label: k for k, ep in enumerate(plan.endpoints.values(), start=1)}
    r = mapping[("subjects", "best_response")]
    bor = data[r["file"]]["columns"][r["name_in_file"]]
    if fmt == "xpt":
        got = bor["values"]
    else:
        names = {v: k for k, v in bor["labels"].items()}
        got = [names[float(v)] for v in bor["values"]]
    assert got == [s.best_response for s in demo_analysis.subjects]


def test_spss_measurement_levels(exported: dict[str, Path]) -> None:
    """Measurement levels as written (read back by ReadStat's SPSS reader)."""
    import pyreadstat

    _, meta = pyreadstat.read_sav(str(exported["sav"] / "baselines.sav"), metadataonly=True)
    assert meta.variable_measure["ecog"] == "ordinal"
    assert meta.variable_measure["sex"] == "nominal"
    assert meta.variable_measure["height_cm"] == "scale"
    assert meta.variable_measure["ascites"] == "ordinal"
