"""The R ``coxph`` reference fits (survival 3.5-3) and the data sets they were fitted on.

Formulas, NA handling and reference levels follow tests/reference/survival/r_reference.R: lung
``Surv(time, status) ~ age + sex + ph.ecog`` (status 2 = dead; the row with missing ph.ecog is
dropped, n = 227), veteran ``~ trt + karno + celltype`` (celltype a factor with R's level order,
reference "squamous"), and the stratified variants ``strata(ph.ecog)`` / ``strata(celltype)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from hcctrial.stats.data import read_csv_table
from hcctrial.stats.design_matrix import DesignMatrix, design_matrix
from tests.support import TESTS_REFERENCE

REF_DIR: Path = TESTS_REFERENCE / "survival"


@cache
def r_reference() -> dict[str, Any]:
    return json.loads((REF_DIR / "r_reference.json").read_text())


@dataclass(frozen=True)
class CoxCase:
    """One reference model: the data, the design and R's results."""

    model: str
    ties: str
    time: np.ndarray
    event: np.ndarray
    design: DesignMatrix
    strata: np.ndarray | None
    r: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.model}-{self.ties}"


# model -> (csv, covariates, strata column, event rule, reference levels)
MODELS: dict[str, tuple[str, list[str], str | None, float, dict[str, str]]] = {
    "lung": ("lung.csv", ["age", "sex", "ph.ecog"], None, 2.0, {}),
    "lung_stratified": ("lung.csv", ["age", "sex"], "ph.ecog", 2.0, {}),
    "veteran": ("veteran.csv", ["trt", "karno", "celltype"], None, 1.0, {"celltype": "squamous"}),
    "veteran_stratified": ("veteran.csv", ["trt", "karno"], "celltype", 1.0, {}),
}


def cox_case(model: str, ties: str) -> CoxCase:
    csv, covs, strata, dead_code, ref = MODELS[model]
    table = read_csv_table(REF_DIR / "data" / csv)
    used = ["time", "status", *covs] + ([strata] if strata else [])
    keep = ~table.missing_mask(used)
    columns = {
        c: table.numeric(c, keep) if table.is_numeric(c) else table.text(c, keep) for c in covs
    }
    dm = design_matrix(columns, covs, ref)
    return CoxCase(
        model,
        ties,
        table.numeric("time", keep),
        (table.numeric("status", keep) == dead_code).astype(int),
        dm,
        table.text(strata, keep) if strata else None,
        r_reference()["cox"][model][ties],
    )


def all_cases() -> list[tuple[str, str]]:
    """Every (model, ties) in the reference file (Efron, Breslow and exact)."""
    out = []
    for model, fits in r_reference()["cox"].items():
        for ties in fits:
            if model in MODELS:
                out.append((model, ties))
    return out
