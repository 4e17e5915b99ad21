"""The statistical plan run once on the report inputs: engine result objects, nothing recomputed.

Every number the tables and figures show comes from :mod:`hcctrial.stats` result objects gathered
here (:class:`ReportResults`): Kaplan-Meier curves (R ``survfit``, log CI), medians by the R and the
SPSS rule, S(t) at landmarks, the reverse-KM and simple median follow-up, log-rank tests, Cox fits
and Clopper-Pearson proportions. The renderers only format these objects.

Conventions: times in months; 95 % CIs; rates' CIs on the log scale (R's ``survfit`` default);
subgroup hazard ratios from a univariable Cox model (Efron ties, as R) of the indicator of the
second level against the first; the multivariable model is fitted on complete cases.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

from hcctrial.errors import HcctrialError
from hcctrial.report.inputs import ENDPOINTS, ReportInputs, SubjectRecord
from hcctrial.stats.cox import CoxResult
from hcctrial.stats.kaplan_meier import KaplanMeierCurve, SurvivalAt
from hcctrial.stats.km_quantiles import FollowUp, SurvivalQuantile
from hcctrial.stats.landmark import LandmarkTestResult
from hcctrial.stats.logrank import LogRankResult
from hcctrial.stats.proportions import ProportionCI

__all__ = [
    "COX_COVARIATES",
    "LANDMARKS",
    "SUBGROUPS",
    "CoxFit",
    "EndpointResult",
    "ReportResults",
    "Subgroup",
    "SubgroupResult",
    "analyse",
]

#: Months at which S(t) is reported: PFS at 6/12/24 months, OS at 1/2/5 years.
LANDMARKS: dict[str, tuple[float, ...]] = {
    "pfs_paper": (6.0, 12.0, 24.0),
    "pfs": (6.0, 12.0, 24.0),
    "os": (12.0, 24.0, 60.0),
}

#: The primary endpoint: 12-month PFS (paper's definition) against the null rate 30 %.
PRIMARY_TIME, PRIMARY_P0 = 12.0, 0.30


@dataclass(frozen=True)
class Subgroup:
    """A two-level subgroup factor: the reference level first, ``level_of`` maps a patient."""

    key: str
    label: str
    levels: tuple[str, str]
    level_of: Callable[[SubjectRecord], str | None]


def _yes_no(attr: str, no: str, yes: str) -> Callable[[SubjectRecord], str | None]:
    def f(s: SubjectRecord) -> str | None:
        v = getattr(s, attr)
        return None if v is None else (yes if v else no)

    return f


def _afp(s: SubjectRecord) -> str | None:
    return None if s.afp_ng_ml is None else ("≤ 100 ng/mL" if s.afp_ng_ml <= 100 else "> 100 ng/mL")


def _child_pugh(s: SubjectRecord) -> str | None:
    return None if not s.child_pugh else ("A" if s.child_pugh.upper().startswith("A") else "B")


def _bclc(s: SubjectRecord) -> str | None:
    return None if not s.bclc else s.bclc.upper()


def _imaging(s: SubjectRecord) -> str | None:
    return None if not s.imaging_modality else s.imaging_modality.upper()


#: The subgroups of the seed paper and the protocol (reference level first).
SUBGROUPS: tuple[Subgroup, ...] = (
    Subgroup("bclc", "BCLC stage", ("B", "C"), _bclc),
    Subgroup(
        "pvi",
        "Portal-vein invasion",
        ("Absent", "Present"),
        _yes_no("portal_vein_invasion", "Absent", "Present"),
    ),
    Subgroup(
        "ehs",
        "Extrahepatic spread",
        ("Absent", "Present"),
        _yes_no("extrahepatic_spread", "Absent", "Present"),
    ),
    Subgroup("afp", "AFP", ("≤ 100 ng/mL", "> 100 ng/mL"), _afp),
    Subgroup("child_pugh", "Child-Pugh class", ("A", "B"), _child_pugh),
    Subgroup("imaging", "Response imaging", ("MRI", "CT"), _imaging),
)

#: Covariates of the multivariable Cox model: (name shown, 0/1 indicator of a patient).
COX_COVARIATES: tuple[tuple[str, Callable[[SubjectRecord], float | None]], ...] = (
    (
        "Child-Pugh B (vs A)",
        lambda s: None if _child_pugh(s) is None else float(_child_pugh(s) == "B"),
    ),
    (
        "AFP > 100 ng/mL (vs ≤ 100)",
        lambda s: None if s.afp_ng_ml is None else float(s.afp_ng_ml > 100),
    ),
    (
        "Portal-vein invasion",
        lambda s: None if s.portal_vein_invasion is None else float(s.portal_vein_invasion),
    ),
    (
        "Extrahepatic spread",
        lambda s: None if s.extrahepatic_spread is None else float(s.extrahepatic_spread),
    ),
    (
        "Largest tumour > 5 cm",
        lambda s: None if s.largest_tumour_cm is None else float(s.largest_tumour_cm > 5),
    ),
)


@dataclass(frozen=True)
class EndpointResult:
    """One endpoint overall: the curve, medians by both rules, landmark rates, follow-up."""

    endpoint: str
    label: str
    curve: KaplanMeierCurve
    median_r: SurvivalQuantile
    median_spss: SurvivalQuantile
    rates: tuple[SurvivalAt, ...]
    followup: FollowUp

    @property
    def n(self) -> int:
        """Patients in the analysis."""
        return self.curve.n

    @property
    def events(self) -> int:
        """Events observed."""
        return self.curve.events


@dataclass(frozen=True)
class SubgroupResult:
    """One subgroup factor for one endpoint: per-level curves and medians, log-rank, Cox HR.

    ``cox`` is None (with ``note``) when the HR cannot be estimated (e.g. no events in a level).
    """

    subgroup: str
    label: str
    endpoint: str
    levels: tuple[str, ...]
    curves: tuple[KaplanMeierCurve, ...]
    medians_spss: tuple[SurvivalQuantile, ...]
    medians_r: tuple[SurvivalQuantile, ...]
    logrank: LogRankResult | None
    cox: CoxResult | None
    n_missing: int
    note: str = ""


@dataclass(frozen=True)
class CoxFit:
    """The multivariable Cox model of one endpoint (complete cases), or why it could not be fit."""

    endpoint: str
    result: CoxResult | None
    n_excluded: int
    note: str = ""


@dataclass(frozen=True)
class ReportResults:
    """All engine results the report shows."""

    n: int
    best_response: dict[str, int]
    orr: ProportionCI
    dcr: ProportionCI
    endpoints: dict[str, EndpointResult]
    subgroups: dict[str, tuple[SubgroupResult, ...]]
    cox: dict[str, CoxFit]
    primary: LandmarkTestResult | None
    primary_plain: LandmarkTestResult | None
    primary_note: str = ""


def _endpoint(inputs: ReportInputs, key: str) -> EndpointResult:
    from hcctrial.stats.kaplan_meier import kaplan_meier, survival_at
    from hcctrial.stats.km_quantiles import median_survival, reverse_km_followup

    _, t, e = inputs.endpoint_data(key)
    curve = kaplan_meier(t, e, label=ENDPOINTS[key])
    return EndpointResult(
        key,
        ENDPOINTS[key],
        curve,
        median_survival(curve, "r"),
        median_survival(curve, "spss"),
        survival_at(curve, LANDMARKS[key]),
        reverse_km_followup(t, e)[0],
    )


def _subgroup(inputs: ReportInputs, sg: Subgroup, key: str) -> SubgroupResult:
    from hcctrial.stats.cox import cox_ph
    from hcctrial.stats.kaplan_meier import kaplan_meier
    from hcctrial.stats.km_quantiles import median_survival
    from hcctrial.stats.logrank import logrank_test

    ids, t, e = inputs.endpoint_data(key)
    by_id = {s.study_id: s for s in inputs.subjects}
    lv = [sg.level_of(by_id[i]) for i in ids]
    keep = [j for j, v in enumerate(lv) if v is not None]
    tt, ee, gg = [t[j] for j in keep], [e[j] for j in keep], [lv[j] for j in keep]
    curves, med_s, med_r = [], [], []
    for level in sg.levels:
        m = [j for j, g in enumerate(gg) if g == level]
        if not m:
            continue
        c = kaplan_meier([tt[j] for j in m], [ee[j] for j in m], label=level)
        curves.append(c)
        med_s.append(median_survival(c, "spss"))
        med_r.append(median_survival(c, "r"))
    levels = tuple(c.label or "" for c in curves)
    lr: LogRankResult | None = None
    cox: CoxResult | None = None
    note = ""
    if len(curves) == 2:
        try:
            lr = logrank_test(tt, ee, [sg.levels.index(g) for g in gg])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cox = cox_ph(tt, ee, [[float(g == sg.levels[1])] for g in gg], names=[sg.label])
            if cox.warnings:
                note = "; ".join(cox.warnings)
                cox = None
        except HcctrialError as exc:
            note = str(exc)
    else:
        note = "only one level observed; no comparison"
    return SubgroupResult(
        sg.key,
        sg.label,
        key,
        levels,
        tuple(curves),
        tuple(med_s),
        tuple(med_r),
        lr,
        cox,
        len(ids) - len(keep),
        note,
    )


def _cox(inputs: ReportInputs, key: str) -> CoxFit:
    from hcctrial.stats.cox import cox_ph

    ids, t, e = inputs.endpoint_data(key)
    by_id = {s.study_id: s for s in inputs.subjects}
    rows, tt, ee = [], [], []
    for i, ti, ei in zip(ids, t, e, strict=True):
        x = [f(by_id[i]) for _, f in COX_COVARIATES]
        if any(v is None for v in x):
            continue
        rows.append([float(v) for v in x if v is not None])
        tt.append(ti)
        ee.append(ei)
    excluded = len(ids) - len(rows)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = cox_ph(tt, ee, rows, names=[n for n, _ in COX_COVARIATES])
    except HcctrialError as exc:
        return CoxFit(key, None, excluded, str(exc))
    return CoxFit(key, fit, excluded, "; ".join(fit.warnings))


def analyse(inputs: ReportInputs) -> ReportResults:
    """Run the statistical plan on ``inputs`` and return the engines' result objects."""
    from hcctrial.stats.landmark import landmark_test
    from hcctrial.stats.proportions import proportion_ci

    n = len(inputs.subjects)
    counts = {r: 0 for r in ("CR", "PR", "SD", "PD", "NE")}
    for s in inputs.subjects:
        counts[s.best_response or "NE"] += 1
    orr = proportion_ci(counts["CR"] + counts["PR"], n)
    dcr = proportion_ci(counts["CR"] + counts["PR"] + counts["SD"], n)
    present = {r.endpoint for r in inputs.endpoints}
    keys = [k for k in ENDPOINTS if k in present]
    endpoints = {k: _endpoint(inputs, k) for k in keys}
    subgroups = {k: tuple(_subgroup(inputs, sg, k) for sg in SUBGROUPS) for k in keys}
    cox = {k: _cox(inputs, k) for k in keys}
    primary = primary_plain = None
    note = ""
    if "pfs_paper" in endpoints:
        curve = endpoints["pfs_paper"].curve
        try:
            primary = landmark_test(curve, PRIMARY_TIME, PRIMARY_P0, scale="log-log")
            primary_plain = landmark_test(curve, PRIMARY_TIME, PRIMARY_P0, scale="plain")
        except HcctrialError as exc:
            note = str(exc)
    return ReportResults(
        n, counts, orr, dcr, endpoints, subgroups, cox, primary, primary_plain, note
    )
