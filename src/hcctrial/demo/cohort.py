"""The synthetic 66-patient demo cohort: every baseline variable, intended response and worst grade.

Starting from the fitted survival skeleton (``tools/fit_cohort.py``: outcome category, OS
and PFS days, BCLC stage, portal-vein invasion, imaging modality, PD at the first scan), this module
assigns, deterministically from a seed, everything else the paper reports as a marginal:

- **Table 1 exactly**: sex 55/11; age (integer years 18-75) with mean 53.3 and SD 11.7 (sample SD,
  n - 1, as SPSS) to the printed rounding; largest tumour diameter in bins <= 5 / (5, 10] / > 10 cm
  = 27 / 26 / 13 with mean 6.7 and SD 4.3 cm; Child-Pugh A 57 / B7 9 (B7 tilted towards BCLC C);
  ECOG 0 46 / 1 20; vascular invasion 25 containing the skeleton's 23 portal-vein invasions;
  extrahepatic spread 16; HBV+ 54 with HBV DNA > 2 x 10^3 copies/mL in 30 of them; cirrhosis 50;
  AFP > 100 ng/mL 40 (tilted to C); imaging MRI 49 / CT 17 (the skeleton's).
- **BCLC by construction**: the skeleton's 29 stage-B patients have ECOG 0, no vascular invasion,
  no extrahepatic spread and a multinodular tumour (>= 2 nodules, >= 4 when the largest is
  <= 3 cm) so that :func:`hcctrial.clinical.scores.bclc_stage` returns B; each of the 37 stage-C
  patients has at least one of ECOG 1, vascular invasion, extrahepatic spread.
- **Table 2 exactly**: best responses CR 9 / PR 19 / SD 30 / PD 8; PD is the skeleton's
  ``pd_at_first_scan``; CR goes to long-PFS patients, weighted towards BCLC B.
- **Table 3 exactly**: the worst CTCAE grade per patient of each term; grade 3-4 liver and
  platelet toxicity is weighted towards Child-Pugh B7 and cirrhotic patients.
- **Dates**: day 0 (first TACE-HAIC = enrolment) for survivors is the data cut-off
  (2018-05-31) minus the OS days; deaths are placed at random in February 2012 - December 2016 so
  that the death precedes the cut-off. The 77-month survivor falls before February 2012: kept, and
  flagged in :attr:`DemoCohort.data_notes` (seed AUDIT.md section 3.3 (6)).
- **Screen failures** (not enrolled), each failing one eligibility criterion of the paper.

This module decides *intended* values only; :mod:`hcctrial.demo.generate` turns them into raw
measurements from which the engines recompute responses and grades. The associations between
covariates and outcomes are invented tilts, not information from the paper.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.errors import DataValidationError

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.settings import Settings

__all__ = [
    "AE_TERMS",
    "DATA_CUTOFF",
    "DAYS_PER_MONTH",
    "ENROLMENT_END",
    "ENROLMENT_START",
    "TABLE3_COUNTS",
    "DemoCohort",
    "DemoPatient",
    "ScreenFailure",
    "SkeletonPatient",
    "build_cohort",
    "default_skeleton_path",
    "load_skeleton",
]

#: months = days / 30.4375 (the mean Gregorian month: 365.25 / 12).
DAYS_PER_MONTH = 30.4375
DATA_CUTOFF = date(2018, 5, 31)  # "Follow-up was performed until May 2018."
ENROLMENT_START = date(2012, 2, 1)  # "From February 2012 to December 2016"
ENROLMENT_END = date(2016, 12, 31)
DEFAULT_SEED = 20120201

def _seed_plan_ae_keys() -> tuple[str, ...]:
    from hcctrial.analysis.plan import default_plan

    return tuple(t.key for t in default_plan().plan.adverse_events.terms)


#: The Table 3 rows (keys of published.json ``table3.rows``) in the paper's order: the rows of the
#: seed plan's adverse-event table (the one definition, ``analysis/plans/*.toml``).
AE_TERMS: tuple[str, ...] = _seed_plan_ae_keys()

#: Table 3: patients by worst grade (G1, G2, G3, G4) per term.
TABLE3_COUNTS: dict[str, tuple[int, int, int, int]] = {
    "platelet_count_decreased": (14, 8, 3, 0),
    "neutrophil_count_decreased": (15, 11, 2, 0),
    "transaminase_increased": (30, 8, 4, 4),
    "blood_bilirubin_increased": (20, 26, 5, 0),
    "nausea_vomiting": (32, 8, 0, 0),
    "pain": (29, 11, 0, 0),
    "fever": (4, 2, 0, 0),
    "diarrhea": (10, 6, 0, 0),
    "hand_foot_skin_reaction": (7, 16, 4, 0),
    "neurotoxicity": (18, 7, 0, 0),
}
#: Terms whose grade 3-4 goes preferentially to Child-Pugh B7 / cirrhotic patients.
_LIVER_TILTED = frozenset(
    {"platelet_count_decreased", "transaminase_increased", "blood_bilirubin_increased"}
)

_DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class SkeletonPatient:
    """One patient of the fitted survival skeleton (days from the first TACE-HAIC)."""

    index: int
    category: str
    os_days: int
    os_event: int
    pfs_days: int
    pfs_event: int
    bclc: str
    portal_vein_invasion: bool
    imaging: str
    pd_at_first_scan: bool


@dataclass(frozen=True)
class DemoPatient:
    """Everything intended for one enrolled demo patient (the generator writes measurements).

    Days count from day 0 = ``start_date`` (first TACE-HAIC = enrolment). ``child_pugh`` is the
    intended class label (``A5``, ``A6``, ``B7``); ``worst_grades`` the intended worst CTCAE grade
    (0-4) per Table 3 term; ``best_response`` one of CR / PR / SD / PD.
    """

    index: int
    study_id: str
    category: str
    os_days: int
    os_event: int
    pfs_days: int
    pfs_event: int
    bclc: str
    portal_vein_invasion: bool
    imaging: str
    pd_at_first_scan: bool
    start_date: date
    sex: str
    age_years: int
    largest_cm: float
    n_nodules: int
    ecog: int
    vascular_invasion: bool
    extrahepatic_spread: bool
    child_pugh: str
    hbv: bool
    hbv_dna_high: bool
    cirrhosis: bool
    afp_high: bool
    best_response: str
    height_cm: float
    weight_kg: float
    worst_grades: dict[str, int] = field(default_factory=dict)

    @property
    def died(self) -> bool:
        """Whether the patient died before the data cut-off."""
        return self.os_event == 1

    @property
    def progressed(self) -> bool:
        """Whether the patient progressed (a PD scan on ``pfs_days``)."""
        return self.pfs_event == 1


@dataclass(frozen=True)
class ScreenFailure:
    """A screened patient not enrolled: the criterion failed and the value that failed it."""

    study_id: str
    screening_date: date
    criterion: str
    description: str


@dataclass(frozen=True)
class DemoCohort:
    """The demo cohort: enrolled patients, screen failures, and notes on forced compromises."""

    seed: int
    skeleton_source: str
    patients: tuple[DemoPatient, ...]
    screen_failures: tuple[ScreenFailure, ...]
    data_notes: tuple[str, ...]


# ------------------------------------------------------------------------------------ skeleton
def default_skeleton_path(settings: Settings | None = None) -> Path:
    """Return the fitted skeleton to use: the settings' ``demo_skeleton``
    (``$HCCTRIAL_DEMO_SKELETON``, :mod:`hcctrial.settings`), else the committed
    ``demo/data/cohort_skeleton.json`` (written by ``tools/fit_cohort.py``)."""
    from hcctrial.settings import load_settings

    chosen = (settings or load_settings()).demo_skeleton
    return chosen if chosen is not None else _DATA_DIR / "cohort_skeleton.json"


def load_skeleton(path: Path | None = None) -> tuple[SkeletonPatient, ...]:
    """Read and check the fitted survival skeleton (66 patients, days on an integer grid)."""
    p = path or default_skeleton_path()
    try:
        data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataValidationError(
            f"skeleton: got {str(p)!r}; expected the fitted cohort file written by "
            "`tools/fit_cohort.py`",
            field="skeleton",
        ) from exc
    if abs(float(data.get("days_per_month", DAYS_PER_MONTH)) - DAYS_PER_MONTH) > 1e-12:
        raise DataValidationError(
            f"skeleton.days_per_month: got {data.get('days_per_month')!r}; expected 30.4375",
            field="days_per_month",
        )
    keys = SkeletonPatient.__dataclass_fields__
    patients = tuple(
        SkeletonPatient(**{k: row[k] for k in keys}) for row in data.get("patients", [])
    )
    if len(patients) != 66:
        raise DataValidationError(
            f"skeleton.patients: got {len(patients)} patients; expected 66", field="patients"
        )
    for sp in patients:
        if sp.pfs_days > sp.os_days or sp.bclc not in ("B", "C") or sp.imaging not in ("MRI", "CT"):
            raise DataValidationError(
                f"skeleton.patients[{sp.index}]: got pfs_days {sp.pfs_days}, os_days "
                f"{sp.os_days}, bclc {sp.bclc!r}, imaging {sp.imaging!r}; expected pfs <= os, "
                "B/C and MRI/CT",
                field="patients",
            )
    return patients


# ------------------------------------------------------------------------------------- helpers
def _weighted_order(
    rng: random.Random, items: Sequence[int], weight: Callable[[int], float]
) -> list[int]:
    """Items in a random order where heavier items tend to come first (Efraimidis-Spirakis keys)."""
    keyed = [(rng.random() ** (1.0 / max(weight(i), 1e-9)), i) for i in items]
    return [i for _, i in sorted(keyed, key=lambda t: -t[0])]


def _pick(
    rng: random.Random, items: Sequence[int], k: int, weight: Callable[[int], float] = lambda i: 1.0
) -> set[int]:
    if k > len(items):
        raise DataValidationError(
            f"cohort: cannot pick {k} of {len(items)} patients", field="cohort"
        )
    return set(_weighted_order(rng, items, weight)[:k])


def _mean_sd(xs: Sequence[float]) -> tuple[float, float]:
    n = len(xs)
    m = sum(xs) / n
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))


def _round1(x: float) -> float:
    """Round half-up to one decimal (how a table prints 53.25 -> 53.3)."""
    return math.floor(x * 10 + 0.5 + 1e-9) / 10


def _fit_values(
    values: list[float],
    bounds: list[tuple[float, float]],
    step: float,
    mean: float,
    sd: float,
) -> list[float]:
    """Nudge ``values`` by ``step`` within per-value ``bounds`` until mean and SD round to targets.

    Greedy coordinate descent on (mean - target)^2 + (sd - target)^2; deterministic. Each round
    scores all 2n single moves at once with numpy: ``np.cumsum`` along a row adds left to right
    exactly as the plain ``sum`` of the first version did, so the losses, the moves chosen and the
    result are the same as scoring the moves one by one in Python (~40x faster).
    """
    import numpy as np

    xs = list(values)
    n = len(xs)
    steps = (-step, step)

    def loss(v: list[float]) -> float:
        m, s = _mean_sd(v)
        return (m - mean) ** 2 + (s - sd) ** 2

    for _ in range(5000):
        m, s = _mean_sd(xs)
        if _round1(m) == mean and _round1(s) == sd:
            return [round(x, 6) for x in xs]
        moves = [
            (i, y)
            for i in range(n)
            for d in steps
            if bounds[i][0] <= (y := round(xs[i] + d, 6)) <= bounds[i][1]
        ]
        best, best_loss = None, loss(xs)
        if moves:
            grid = np.tile(np.asarray(xs, dtype=float), (len(moves), 1))
            rows = np.arange(len(moves))
            grid[rows, [i for i, _ in moves]] = [y for _, y in moves]
            means = np.cumsum(grid, axis=1)[:, -1] / n
            dev = grid - means[:, None]
            sds = np.sqrt(np.cumsum(dev * dev, axis=1)[:, -1] / (n - 1))
            for k, (i, y) in enumerate(moves):
                trial = (float(means[k]) - mean) ** 2 + (float(sds[k]) - sd) ** 2
                if trial < best_loss - 1e-15:
                    best, best_loss = (i, y), trial
        if best is None:
            break
        xs[best[0]] = best[1]
    raise DataValidationError(
        f"cohort: could not fit mean {mean} and SD {sd} within the bounds", field="cohort"
    )


# ---------------------------------------------------------------------------------- the cohort
_SCREEN_FAILURES: tuple[tuple[str, str], ...] = (
    ("child_pugh", "Child-Pugh B8 (bilirubin 2.6 mg/dL, albumin 2.9 g/dL, slight ascites)"),
    ("child_pugh", "Child-Pugh B9 (bilirubin 3.4 mg/dL, moderate ascites)"),
    ("child_pugh", "Child-Pugh C10 (bilirubin 4.1 mg/dL, albumin 2.6 g/dL, moderate ascites)"),
    ("age", "age 78 years (protocol 18-75)"),
    ("age", "age 77 years (protocol 18-75)"),
    ("bclc", "BCLC A: single nodule of 4.2 cm, ECOG 0, no invasion or spread"),
    ("bclc", "BCLC A: two nodules each <= 3 cm"),
    ("ecog", "ECOG PS 3"),
    ("wbc", "white blood cells 2.6 x 10^9/L (protocol > 3)"),
    ("anc", "neutrophils 1.2 x 10^9/L (protocol > 1.5)"),
    ("creatinine", "creatinine 2.4 mg/dL (212 umol/L; protocol < 2 mg/dL)"),
    ("albumin", "albumin 28 g/L (2.8 g/dL; protocol > 3.0 g/dL)"),
    ("lvef", "LVEF 41 % (protocol > 45 %)"),
    ("no_other_malignancy", "colorectal cancer under treatment"),
    ("no_prior_sorafenib", "sorafenib given before referral"),
    ("no_severe_allergy", "severe iodinated contrast allergy"),
)


def _covariates(rng: random.Random, sk: Sequence[SkeletonPatient]) -> dict[str, dict[int, Any]]:
    ids = [p.index for p in sk]
    by = {p.index: p for p in sk}
    b_ids = [i for i in ids if by[i].bclc == "B"]
    c_ids = [i for i in ids if by[i].bclc == "C"]
    pvi = {i for i in ids if by[i].portal_vein_invasion}
    if len(b_ids) != 29 or len(c_ids) != 37 or len(pvi) != 23 or not pvi <= set(c_ids):
        raise DataValidationError(
            f"skeleton: got BCLC B {len(b_ids)}, C {len(c_ids)}, PVI {len(pvi)}; expected 29, 37 "
            "and 23 portal-vein invasions all in stage C",
            field="skeleton",
        )
    # vascular invasion = PVI + 2 hepatic-vein/IVC invasions among the other C patients
    c_other = [i for i in c_ids if i not in pvi]
    vi = pvi | _pick(rng, c_other, 2)
    # the 12 stage-C patients without VI need ECOG 1 or extrahepatic spread (or both)
    no_vi_c = sorted(set(c_ids) - vi)
    order = _weighted_order(rng, no_vi_c, lambda i: 1.0)
    ecog1 = set(order[:8])
    ehs = set(order[6:])  # 6 with EHS, 2 of them also ECOG 1 -> all 12 covered
    vi_list = sorted(vi)
    ecog1 |= _pick(rng, vi_list, 20 - len(ecog1))
    ehs |= _pick(rng, vi_list, 16 - len(ehs))

    sex_female = _pick(rng, ids, 11)
    # Child-Pugh B7: 9, tilted to C (weight 3 vs 1); A5 / A6 split among the rest
    b7 = _pick(rng, ids, 9, lambda i: 3.0 if by[i].bclc == "C" else 1.0)
    a_ids = [i for i in ids if i not in b7]
    a6 = _pick(rng, a_ids, 18)
    cirrhosis = b7 | _pick(rng, [i for i in ids if i not in b7], 50 - len(b7))
    hbv = _pick(rng, ids, 54)
    hbv_dna = _pick(rng, sorted(hbv), 30)
    afp_high = _pick(rng, ids, 40, lambda i: 2.0 if by[i].bclc == "C" else 1.0)

    # age: integers 18-75, mean 53.3, SD 11.7 (n - 1)
    ages = [float(min(75, max(18, round(rng.gauss(53.3, 11.7))))) for _ in ids]
    ages = _fit_values(ages, [(18.0, 75.0)] * len(ids), 1.0, 53.3, 11.7)
    # tumour size (cm, 0.1): bins <= 5 / (5, 10] / > 10 = 27 / 26 / 13, larger ones tilted to C
    bins = [(1.2, 5.0)] * 27 + [(5.1, 10.0)] * 26 + [(10.1, 22.0)] * 13
    sizes = [round(rng.uniform(lo, hi), 1) for lo, hi in bins]
    sizes = _fit_values(sizes, bins, 0.1, 6.7, 4.3)
    ranked = sorted(range(len(sizes)), key=lambda k: sizes[k])
    size_order = _weighted_order(rng, ids, lambda i: 2.5 if by[i].bclc == "C" else 1.0)
    size_of = {pid: sizes[ranked[len(ranked) - 1 - k]] for k, pid in enumerate(size_order)}
    nodules = {}
    for i in ids:
        if by[i].bclc == "B":  # multinodular beyond BCLC A
            nodules[i] = rng.randint(4, 6) if size_of[i] <= 3.0 else rng.randint(2, 5)
        else:
            nodules[i] = rng.randint(1, 4)
    return {
        "vi": {i: i in vi for i in ids},
        "ecog": {i: int(i in ecog1) for i in ids},
        "ehs": {i: i in ehs for i in ids},
        "female": {i: i in sex_female for i in ids},
        "child_pugh": {i: "B7" if i in b7 else ("A6" if i in a6 else "A5") for i in ids},
        "cirrhosis": {i: i in cirrhosis for i in ids},
        "hbv": {i: i in hbv for i in ids},
        "hbv_dna": {i: i in hbv_dna for i in ids},
        "afp_high": {i: i in afp_high for i in ids},
        "age": {pid: int(ages[k]) for k, pid in enumerate(ids)},
        "size": size_of,
        "nodules": nodules,
    }


def _responses(rng: random.Random, sk: Sequence[SkeletonPatient]) -> dict[int, str]:
    pd = [p.index for p in sk if p.pd_at_first_scan]
    if len(pd) != 8:
        raise DataValidationError(
            f"skeleton: got {len(pd)} patients with PD at the first scan; expected 8",
            field="skeleton",
        )
    others = [p for p in sk if not p.pd_at_first_scan]
    # CR: long PFS (>= 6 months) weighted by PFS and towards BCLC B
    long_pfs = [p.index for p in others if p.pfs_days >= 183]
    by = {p.index: p for p in sk}
    cr = _pick(
        rng,
        long_pfs,
        9,
        lambda i: (by[i].pfs_days / 365.0) ** 2 * (4.0 if by[i].bclc == "B" else 1.0),
    )
    rest = [p.index for p in others if p.index not in cr]
    pr = _pick(rng, rest, 19, lambda i: 1.0 + by[i].pfs_days / 365.0)
    out = {i: "PD" for i in pd}
    out.update({i: "CR" for i in cr})
    out.update({i: "PR" for i in pr})
    out.update({i: "SD" for i in rest if i not in pr})
    return out


def _worst_grades(
    rng: random.Random, ids: Sequence[int], child_pugh: dict[int, str], cirrhosis: dict[int, bool]
) -> dict[int, dict[str, int]]:
    grades: dict[int, dict[str, int]] = {i: {} for i in ids}
    for term in AE_TERMS:
        counts = TABLE3_COUNTS[term]
        left = list(ids)
        assigned: dict[int, int] = {}
        for grade in (4, 3, 2, 1):
            n = counts[grade - 1]
            if grade >= 3 and term in _LIVER_TILTED:

                def w(i: int) -> float:
                    return (4.0 if child_pugh[i] == "B7" else 1.0) * (2.0 if cirrhosis[i] else 1.0)

            else:

                def w(i: int) -> float:
                    return 1.0

            chosen = _pick(rng, left, n, w)
            for i in chosen:
                assigned[i] = grade
            left = [i for i in left if i not in chosen]
        for i in ids:
            grades[i][term] = assigned.get(i, 0)
    return grades


def _start_dates(
    rng: random.Random, sk: Sequence[SkeletonPatient]
) -> tuple[dict[int, date], list[str]]:
    notes: list[str] = []
    out: dict[int, date] = {}
    for p in sk:
        if p.os_event == 0:
            start = DATA_CUTOFF - timedelta(days=p.os_days)
            if start < ENROLMENT_START or start > ENROLMENT_END:
                notes.append(
                    f"patient {p.index}: alive at the cut-off after {p.os_days} days "
                    f"({p.os_days / DAYS_PER_MONTH:.1f} months), so enrolled on "
                    f"{start.isoformat()}, outside the paper's enrolment window "
                    f"{ENROLMENT_START.isoformat()}..{ENROLMENT_END.isoformat()}: the published "
                    "maximum follow-up of 77 months does not fit the calendar (seed AUDIT.md "
                    "section 3.3 (6), INC-12); kept to reproduce the published range"
                )
            out[p.index] = start
        else:
            latest = min(ENROLMENT_END, DATA_CUTOFF - timedelta(days=p.os_days + 1))
            span = (latest - ENROLMENT_START).days
            out[p.index] = ENROLMENT_START + timedelta(days=rng.randint(0, max(span, 0)))
    return out, notes


def build_cohort(
    skeleton: Sequence[SkeletonPatient] | None = None,
    *,
    seed: int = DEFAULT_SEED,
    skeleton_source: str | None = None,
) -> DemoCohort:
    """Return the demo cohort built from ``skeleton`` (default: :func:`load_skeleton`).

    Deterministic: the same skeleton and ``seed`` give the same cohort.
    """
    source = skeleton_source
    if skeleton is None:
        path = default_skeleton_path()
        skeleton = load_skeleton(path)
        source = source or str(path)
    sk = sorted(skeleton, key=lambda p: p.index)
    rng = random.Random(seed)
    cov = _covariates(rng, sk)
    bor = _responses(rng, sk)
    ids = [p.index for p in sk]
    grades = _worst_grades(rng, ids, cov["child_pugh"], cov["cirrhosis"])
    starts, notes = _start_dates(rng, sk)
    patients = []
    for p in sk:
        female = cov["female"][p.index]
        height = round(rng.gauss(158.0 if female else 168.0, 5.5), 1)
        bmi = rng.uniform(19.0, 26.0)
        patients.append(
            DemoPatient(
                index=p.index,
                study_id=f"HCC-{p.index:03d}",
                category=p.category,
                os_days=p.os_days,
                os_event=p.os_event,
                pfs_days=p.pfs_days,
                pfs_event=p.pfs_event,
                bclc=p.bclc,
                portal_vein_invasion=p.portal_vein_invasion,
                imaging=p.imaging,
                pd_at_first_scan=p.pd_at_first_scan,
                start_date=starts[p.index],
                sex="female" if female else "male",
                age_years=cov["age"][p.index],
                largest_cm=cov["size"][p.index],
                n_nodules=cov["nodules"][p.index],
                ecog=cov["ecog"][p.index],
                vascular_invasion=cov["vi"][p.index],
                extrahepatic_spread=cov["ehs"][p.index],
                child_pugh=cov["child_pugh"][p.index],
                hbv=cov["hbv"][p.index],
                hbv_dna_high=cov["hbv_dna"][p.index],
                cirrhosis=cov["cirrhosis"][p.index],
                afp_high=cov["afp_high"][p.index],
                best_response=bor[p.index],
                height_cm=height,
                weight_kg=round(bmi * (height / 100.0) ** 2, 1),
                worst_grades=grades[p.index],
            )
        )
    first = min(pt.start_date for pt in patients)
    last = max(pt.start_date for pt in patients)
    failures = []
    for k, (criterion, text) in enumerate(_SCREEN_FAILURES):
        day = first + timedelta(days=int((last - first).days * (k + 0.5) / len(_SCREEN_FAILURES)))
        failures.append(ScreenFailure(f"SCR-{k + 1:03d}", day, criterion, text))
    notes.append(
        "covariate-outcome associations (PD and larger tumours in BCLC C, CR in BCLC B, grade 3-4 "
        "liver/platelet toxicity in Child-Pugh B7/cirrhosis) are invented tilts, not data from "
        "the paper"
    )
    return DemoCohort(
        seed=seed,
        skeleton_source=source or "given",
        patients=tuple(patients),
        screen_failures=tuple(failures),
        data_notes=tuple(notes),
    )
