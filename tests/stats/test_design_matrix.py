"""Design matrices with R's treatment contrasts and R's column names.

Expected names and dummies are R's: ``model.matrix(~ rx + age)`` with ``rx`` a factor of levels
in sorted order names its columns ``rxLev``, ``rxLev+5FU`` (reference ``Lev`` dropped), and
``relevel(rx, "Obs")`` moves Obs to the front.
"""

from __future__ import annotations

import numpy as np
import pytest

from hcctrial.errors import DataValidationError
from hcctrial.stats.design_matrix import design_matrix, level_label, parse_reference

RX = ["Obs", "Lev", "Lev+5FU", "Obs", "Lev"]
AGE = [60.0, 70.0, 55.0, 64.0, 48.0]


@pytest.mark.parametrize(
    ("reference", "names", "first_column"),
    [
        # sorted levels Lev < Lev+5FU < Obs; reference = first = Lev
        (None, ("rxLev+5FU", "rxObs", "age"), [0, 0, 1, 0, 0]),
        # relevel(rx, "Obs"): Obs, Lev, Lev+5FU
        ({"rx": "Obs"}, ("rxLev", "rxLev+5FU", "age"), [0, 1, 0, 0, 1]),
    ],
    ids=["reference-is-first-sorted-level", "named-reference-moves-to-front"],
)
def test_text_column_becomes_treatment_dummies(reference, names, first_column) -> None:
    dm = design_matrix({"rx": RX, "age": AGE}, ["rx", "age"], reference)
    assert dm.names == names
    assert dm.matrix[:, 0].tolist() == first_column
    assert dm.matrix[:, -1].tolist() == AGE
    assert dm.assign == {"rx": (0, 1), "age": (2,)}


def test_columns_follow_the_order_of_the_covariates() -> None:
    dm = design_matrix({"rx": RX, "age": AGE}, ["age", "rx"])
    assert dm.names == ("age", "rxLev+5FU", "rxObs")
    assert dm.terms == ("age", "rx")


def test_numeric_codes_declared_categorical_sort_numerically() -> None:
    # factor(c(10, 2, 1, 2)) has levels 1, 2, 10 (numeric order, not text order "1" < "10" < "2")
    dm = design_matrix({"stage": [10.0, 2.0, 1.0, 2.0]}, ["stage"], categorical={"stage"})
    assert dm.names == ("stage2", "stage10")
    assert dm.levels["stage"] == ("1", "2", "10")
    assert dm.matrix.tolist() == [[0, 1], [1, 0], [0, 0], [1, 0]]


@pytest.mark.parametrize(
    ("value", "label"), [(1.0, "1"), (2, "2"), (1.5, "1.5"), ("adeno", "adeno")]
)
def test_level_labels_are_written_as_r_writes_them(value, label) -> None:
    assert level_label(value) == label


def test_parse_reference_accepts_repeats_and_commas() -> None:
    assert parse_reference(["rx=Obs", " sex=F , stage=II"]) == {
        "rx": "Obs",
        "sex": "F",
        "stage": "II",
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: design_matrix({"rx": RX}, ["rx"], {"rx": "Placebo"}),
            "level 'Placebo' not found in column 'rx'",
        ),
        (lambda: design_matrix({"rx": RX}, ["arm"]), "column 'arm' not found"),
        (lambda: design_matrix({"rx": ["A", "A"]}, ["rx"]), "'rx' has a single level"),
        (lambda: design_matrix({"age": AGE}, ["age"], {"age": "60"}), "'age' is numeric"),
        (
            lambda: design_matrix({"rx": RX, "age": AGE}, ["rx"], {"age": "60"}),
            "'age' is not among the covariates",
        ),
        (lambda: design_matrix({"age": [1.0, float("nan")]}, ["age"]), "'age': row 2"),
        (lambda: design_matrix({"rx": ["A", ""]}, ["rx"]), "'rx': row 2 is missing"),
        (lambda: design_matrix({"age": AGE}, ["age", "age"]), "names a column twice"),
        (lambda: parse_reference(["rx"]), "expected COLUMN=LEVEL"),
    ],
    ids=[
        "unknown-level",
        "missing-column",
        "single-level",
        "reference-on-numeric",
        "reference-not-a-covariate",
        "missing-number",
        "missing-level",
        "duplicate",
        "bad-spec",
    ],
)
def test_bad_design_raises_naming_the_column(call, message) -> None:
    with pytest.raises(DataValidationError, match=message):
        call()


def test_numeric_column_passes_through_as_floats() -> None:
    dm = design_matrix({"age": np.array([1, 2, 3])}, ["age"])
    assert dm.matrix.dtype == np.float64 and dm.matrix[:, 0].tolist() == [1.0, 2.0, 3.0]
