"""The plan's cumulative-incidence endpoint (``cif_progression``) through ``analyse`` against R.

The 80 synthetic patients of tests/reference/analysis/analysis_cases.csv get a
``cif_progression`` row each (status from their PFS and OS columns, as
tests/reference/survival/models/cif_analysis_r.R derives it); R's ``cmprsk::cuminc`` +
``timepoints`` at the plan's landmarks 6, 12 and 24 months are in ``cif_analysis_r.json``.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from hcctrial.analysis.datasets import TimeToEvent
from hcctrial.analysis.plan import load_plan
from hcctrial.analysis.results_json import results_json
from hcctrial.analysis.run import analyse, cumulative_incidence_at
from tests.analysis.test_analyse_against_r import HERE, _datasets
from tests.support import TESTS_REFERENCE

REL = 1e-9


def _cif_rows() -> tuple[TimeToEvent, ...]:
    import csv

    rows = list(csv.DictReader((HERE / "analysis_cases.csv").open(encoding="utf-8")))
    out = []
    for r in rows:
        death_first = (
            r["pfs_event"] == "0" and r["os_event"] == "1" and r["os_days"] == r["pfs_days"]
        )
        status = 1 if r["pfs_event"] == "1" else 2 if death_first else 0
        out.append(TimeToEvent(r["study_id"], "cif_progression", float(r["pfs_days"]), status))
    return tuple(out)


def test_the_plans_cif_endpoint_is_the_aalen_johansen_estimate_of_r() -> None:
    ref = json.loads((TESTS_REFERENCE / "survival" / "models" / "cif_analysis_r.json").read_text())
    ds = _datasets()
    res = analyse(load_plan(), replace(ds, events=ds.events + _cif_rows()))
    cif = res.incidence["cif_progression"]
    assert (cif.n, cif.count(1), cif.count(2)) == (ref["n"], ref["events"], ref["competing"])
    assert cif.note == ""
    assert [a.time for a in cif.at] == ref["landmarks"]
    for a, est, se, lo, up in zip(
        cif.at, ref["cif"], ref["se"], ref["lower"], ref["upper"], strict=True
    ):
        assert (a.cif, a.se, a.lower, a.upper) == pytest.approx((est, se, lo, up), rel=REL)
    out = results_json(res)["cumulative_incidence"]["cif_progression"]
    assert [x["cif"] for x in out["at"]] == pytest.approx(ref["cif"], rel=REL)


def test_a_landmark_after_the_last_follow_up_is_named_in_the_note() -> None:
    # months 1, 2, 3 with status 1, 2, 0: F(1) = 1/3; F(2.5) = 1/3; 24 months is after 3
    at, note = cumulative_incidence_at([1.0, 2.0, 3.0], [1, 2, 0], [0.5, 2.5, 24.0], 0.95)
    assert [(a.time, a.cif) for a in at] == [(0.5, 0.0), (2.5, pytest.approx(1 / 3))]
    assert "24" in note and "last follow-up" in note
