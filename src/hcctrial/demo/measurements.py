"""Raw measurements of one demo patient: lab values, lesion diameters and AFP that *imply* the
intended grades and responses (pure functions; :mod:`hcctrial.demo.generate` writes them).

Nothing here stores an outcome. A worst CTCAE grade g is realised as one lab value inside grade g's
band (as a multiple of the laboratory's ULN/LLN, or in absolute 10^9/L where CTCAE uses absolute
cut-offs) and other values in lower bands; a best response is realised as lesion diameters whose
sums cross (or stay clear of) mRECIST's -30 % / +20 % lines with a margin of at least 5 points, so
that rounding diameters to whole millimetres cannot move a response. The engines
(:func:`hcctrial.assess.ctcae.grade_lab`, :func:`hcctrial.assess.mrecist.patient_response`) then
recompute grades and responses from these values.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = [
    "LAB_SPECS",
    "LabSpec",
    "ScanPlan",
    "lab_value",
    "scan_days",
    "target_factors",
]


@dataclass(frozen=True)
class LabSpec:
    """How one analyte is reported in the demo and the band (per CTCAE v4.03 grade) of its values.

    ``bands[g]`` is (low, high) of the value for grade g, as a multiple of ``ref`` (the LLN for
    decreases, the ULN for increases) when ``relative``, else in ``unit`` directly.
    """

    analyte: str
    unit: str
    ref: float
    relative: bool
    bands: dict[int, tuple[float, float]]
    decimals: int


#: CTCAE v4.03 bands, kept >= 5 % inside each grade's limits (platelets: LLN 125; G1 75-LLN, G2
#: 50-75, G3 25-50, G4 < 25 x 10^9/L; neutrophils: LLN 2.0; G1 1.5-LLN, G2 1.0-1.5, G3 0.5-1.0;
#: ALT/AST: G1 > ULN-3 x ULN, G2 3-5, G3 5-20, G4 > 20; bilirubin: G1 > ULN-1.5 x ULN, G2 1.5-3,
#: G3 3-10).
LAB_SPECS: dict[str, LabSpec] = {
    "platelets": LabSpec(
        "platelets",
        "10^9/L",
        125.0,
        False,
        {0: (140, 260), 1: (82, 118), 2: (54, 71), 3: (29, 46), 4: (12, 22)},
        0,
    ),
    "anc": LabSpec(
        "anc",
        "10^9/L",
        2.0,
        False,
        {0: (2.3, 5.2), 1: (1.6, 1.9), 2: (1.1, 1.4), 3: (0.6, 0.9), 4: (0.2, 0.4)},
        1,
    ),
    "alt": LabSpec(
        "alt",
        "U/L",
        40.0,
        True,
        {0: (0.4, 0.95), 1: (1.2, 2.7), 2: (3.3, 4.6), 3: (5.6, 17.0), 4: (21.5, 30.0)},
        0,
    ),
    "ast": LabSpec(
        "ast",
        "U/L",
        40.0,
        True,
        {0: (0.4, 0.95), 1: (1.2, 2.7), 2: (3.3, 4.6), 3: (5.6, 17.0), 4: (21.5, 30.0)},
        0,
    ),
    "bilirubin": LabSpec(
        "bilirubin",
        "mg/dL",
        1.2,
        True,
        {0: (0.35, 0.9), 1: (1.1, 1.4), 2: (1.6, 2.8), 3: (3.3, 6.5), 4: (11.0, 14.0)},
        2,
    ),
}


def lab_value(rng: random.Random, spec: LabSpec, grade: int, ref: float | None = None) -> float:
    """Return a value in grade ``grade``'s band of ``spec`` (``ref`` overrides the ULN/LLN)."""
    lo, hi = spec.bands[grade]
    x = rng.uniform(lo, hi)
    if spec.relative:
        x *= ref if ref is not None else spec.ref
    return round(x, spec.decimals)


@dataclass(frozen=True)
class ScanPlan:
    """Follow-up scan days (from day 0) and the index of the first complete-response scan."""

    days: tuple[int, ...]
    cr_index: int | None


def scan_days(rng: random.Random, pfs_days: int, pd_at_first_scan: bool, response: str) -> ScanPlan:
    """Return the follow-up imaging days: every 2 cycles (about 8-10 weeks), then about every 3
    months, the last one exactly on ``pfs_days`` (the PD scan, or the last adequate assessment)."""
    if pd_at_first_scan or pfs_days <= 75:
        days = [pfs_days]
    else:
        days = [rng.randint(56, 70)]
        gap_lo, gap_hi = 56, 70  # every 2 cycles during TACE-HAIC
        while True:
            nxt = days[-1] + rng.randint(gap_lo, gap_hi)
            if nxt > pfs_days - 35:
                break
            days.append(nxt)
            if len(days) >= 3:
                gap_lo, gap_hi = 84, 98  # about every 3 months in maintenance
        days.append(pfs_days)
    cr_index = None
    if response == "CR":
        # CR must come before the PD scan; a second scan first shows a partial response when there
        # is room for it
        non_pd = len(days) - 1 if len(days) > 1 else 1
        cr_index = 1 if non_pd >= 2 else 0
    return ScanPlan(tuple(days), cr_index)


def target_factors(
    rng: random.Random, n_scans: int, response: str, progressed: bool, cr_index: int | None
) -> list[float]:
    """Return the target-sum factor (follow-up sum / baseline sum) of each follow-up scan.

    The last scan of a patient who progressed is PD (a factor >= 1.3 x the nadir, or the caller
    adds a new lesion); earlier scans follow the intended best response with margins: PR <= 0.62
    (>= 38 % shrinkage), SD 0.78-1.08 and never >= 12 % above the nadir, CR 0.
    """
    factors: list[float] = []
    nadir = 1.0
    last_regular = n_scans - 1 if progressed else n_scans
    for k in range(last_regular):
        if response == "PD":
            f = rng.uniform(0.95, 1.05)
        elif response == "CR" and cr_index is not None and k >= cr_index:
            f = 0.0
        elif response in ("PR", "CR"):
            f = rng.uniform(0.40, 0.62) if k == 0 else min(nadir * rng.uniform(0.9, 1.08), 0.62)
        else:  # SD
            f = rng.uniform(0.80, 1.05) if k == 0 else nadir * rng.uniform(0.97, 1.10)
            f = min(max(f, 0.80), 1.08)
        factors.append(round(f, 4))
        nadir = min(nadir, f)
    if progressed:
        factors.append(round(max(nadir * rng.uniform(1.35, 1.6), nadir + 0.3), 4))
    return factors
