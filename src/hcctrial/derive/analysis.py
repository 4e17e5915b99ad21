"""The statistical plan, run on the analysis datasets with :mod:`hcctrial.stats`.

Conventions (each as the paper did, with the alternative beside it):

- times in months = days / 30.4375;
- KM medians by **SPSS's rule** (first event time with S(t) <= 0.5, |S - 0.5| < sqrt(eps) counting
  as equal) with SPSS's Wald CI (median -/+ 1.96 SE, Collett's density estimate): the paper used
  SPSS 22 and its CIs are symmetric (seed AUDIT.md section 3.3). Beside them, R ``survival``'s
  median (midpoint of a flat 0.5 stretch) with the Brookmeyer-Crowley CI on the log scale;
- landmark rates: KM S(t) at 6 / 12 / 24 months (PFS) and 12 / 24 / 60 months (OS), as fractions;
- ORR (CR + PR) and DCR (CR + PR + SD) of all enrolled patients, exact Clopper-Pearson 95 % CIs;
- adverse events: patients by worst grade per Table 3 term, all enrolled patients as denominator;
- follow-up: the simple median (and range) of all observed OS times -- the only method that
  reproduces the paper's 22.0 months -- and the reverse Kaplan-Meier median beside it;
- subgroups (BCLC B / C, portal-vein invasion, MRI / CT): medians and log-rank tests; Cox hazard
  ratios (Efron ties) for BCLC C vs B and portal-vein invasion, which the paper promised but did not
  report (new results, not reproductions);
- primary endpoint (Methods): KM S(12 months) of PFS-as-defined against H0 = 30 %, one-sided
  Wald z on the log-log scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hcctrial.derive.endpoints import ENDPOINTS, EndpointRow
from hcctrial.derive.records import PatientRecords
from hcctrial.derive.subject import AE_TERMS, SubjectRow

__all__ = [
    "AnalysisResult",
    "DerivedTrial",
    "MedianEstimate",
    "SurvivalSummary",
    "analyse_database",
    "run_analysis",
]

PFS_LANDMARKS = (6.0, 12.0, 24.0)
OS_LANDMARKS = (12.0, 24.0, 60.0)
PRIMARY_P0 = 0.30
PRIMARY_MONTHS = 12.0


@dataclass(frozen=True)
class MedianEstimate:
    """A KM median (months) with its 95 % CI; None = not reached / not estimable."""

    method: str
    median: float | None
    lower: float | None
    upper: float | None
    se: float | None = None


@dataclass(frozen=True)
class SurvivalSummary:
    """One endpoint (or one subgroup of it): counts, medians by both rules, landmark rates."""

    endpoint: str
    definition: str
    n: int
    events: int
    spss: MedianEstimate
    r: MedianEstimate
    rates: dict[str, float | None]


@dataclass(frozen=True)
class SubgroupComparison:
    """Medians per level of a grouping variable, the log-rank test, and the Cox HR."""

    endpoint: str
    variable: str
    groups: tuple[SurvivalSummary, ...]
    logrank_chisq: float
    logrank_p: float
    hazard_ratio: float | None
    hr_lower: float | None
    hr_upper: float | None
    hr_p: float | None
    hr_contrast: str


@dataclass(frozen=True)
class AnalysisResult:
    """Everything the plan computes; :meth:`to_json` gives the fixed JSON contract and more."""

    n_screened: int
    n_enrolled: int
    best_response: dict[str, int]
    orr: dict[str, Any]
    dcr: dict[str, Any]
    adverse_events: tuple[dict[str, Any], ...]
    pfs: SurvivalSummary
    pfs_standard: SurvivalSummary
    os: SurvivalSummary
    followup: dict[str, Any]
    primary_endpoint: dict[str, Any]
    subgroups: tuple[SubgroupComparison, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form: the fixed keys of ``hcctrial analyze --json`` plus extras."""

        def surv(s: SurvivalSummary, with_definition: bool) -> dict[str, Any]:
            out: dict[str, Any] = {}
            if with_definition:
                out["definition"] = s.definition
                out["endpoint"] = s.endpoint
            out.update(
                events=s.events,
                n=s.n,
                median=s.spss.median,
                lower=s.spss.lower,
                upper=s.spss.upper,
                median_method="spss",
                median_se=s.spss.se,
                r_median=s.r.median,
                r_lower=s.r.lower,
                r_upper=s.r.upper,
                r_method="R survival: midpoint rule, Brookmeyer-Crowley log CI",
                rates=dict(s.rates),
                unit="months",
            )
            return out

        return {
            "n_screened": self.n_screened,
            "n_enrolled": self.n_enrolled,
            "best_response": dict(self.best_response),
            "orr": dict(self.orr),
            "dcr": dict(self.dcr),
            "adverse_events": [dict(a) for a in self.adverse_events],
            "pfs": surv(self.pfs, True),
            "pfs_standard": surv(self.pfs_standard, True),
            "os": surv(self.os, False) | {"definition": self.os.definition},
            "followup": dict(self.followup),
            "primary_endpoint": dict(self.primary_endpoint),
            "subgroups": [
                {
                    "endpoint": c.endpoint,
                    "variable": c.variable,
                    "groups": [surv(g, False) | {"label": g.endpoint} for g in c.groups],
                    "logrank_chisq": c.logrank_chisq,
                    "logrank_p": c.logrank_p,
                    "hazard_ratio": c.hazard_ratio,
                    "hr_lower": c.hr_lower,
                    "hr_upper": c.hr_upper,
                    "hr_p": c.hr_p,
                    "hr_contrast": c.hr_contrast,
                }
                for c in self.subgroups
            ],
            "conventions": {
                "months": "days / 30.4375",
                "median": "SPSS: min t with S(t) <= 0.5 (tolerance sqrt(eps)); CI median -/+ "
                "1.96 SE (Collett); r_* keys: R survival",
                "rates": "Kaplan-Meier S(t), fractions",
                "proportions": "exact Clopper-Pearson 95% CI, fractions; pct in percent",
            },
        }


def _summary(
    label: str,
    definition: str,
    months: Sequence[float],
    events: Sequence[int],
    landmarks: Sequence[float],
) -> SurvivalSummary:
    from hcctrial.stats.kaplan_meier import kaplan_meier, survival_at
    from hcctrial.stats.km_quantiles import median_survival

    curve = kaplan_meier(list(months), list(events))
    spss = median_survival(curve, "spss")
    r = median_survival(curve, "r")
    at = survival_at(curve, list(landmarks))
    return SurvivalSummary(
        endpoint=label,
        definition=definition,
        n=curve.n,
        events=curve.events,
        spss=MedianEstimate("spss", spss.estimate, spss.lower, spss.upper, spss.se),
        r=MedianEstimate("r", r.estimate, r.lower, r.upper),
        rates={f"{t:g}": a.surv for t, a in zip(landmarks, at, strict=True)},
    )


def _times(endpoints: Sequence[EndpointRow], code: str) -> dict[str, tuple[float, int]]:
    return {e.study_id: (e.months, e.event) for e in endpoints if e.endpoint == code}


def _compare(
    endpoint: str,
    variable: str,
    data: dict[str, tuple[float, int]],
    labels: dict[str, str],
    reference: str,
    landmarks: Sequence[float],
) -> SubgroupComparison:
    import numpy as np

    from hcctrial.stats.cox import cox_ph
    from hcctrial.stats.logrank import logrank_test

    ids = sorted(data)
    t = [data[i][0] for i in ids]
    e = [data[i][1] for i in ids]
    g = [labels[i] for i in ids]
    groups = tuple(
        _summary(
            level,
            ENDPOINTS[endpoint],
            [t[k] for k in range(len(ids)) if g[k] == level],
            [e[k] for k in range(len(ids)) if g[k] == level],
            landmarks,
        )
        for level in sorted(set(g))
    )
    lr = logrank_test(t, e, g)
    other = next(level for level in sorted(set(g)) if level != reference)
    x = np.array([[1.0 if lab == other else 0.0] for lab in g])
    fit = cox_ph(t, e, x, names=[f"{variable}={other}"])
    return SubgroupComparison(
        endpoint,
        variable,
        groups,
        lr.chisq,
        lr.p,
        fit.hr[0],
        fit.lower[0],
        fit.upper[0],
        fit.p[0],
        f"{other} vs {reference}",
    )


def run_analysis(
    subjects: Sequence[SubjectRow],
    endpoints: Sequence[EndpointRow],
    *,
    n_screened: int | None = None,
) -> AnalysisResult:
    """Run the statistical plan on the subject and endpoint datasets (enrolled patients)."""
    from hcctrial.errors import DataValidationError
    from hcctrial.stats.kaplan_meier import kaplan_meier
    from hcctrial.stats.km_quantiles import reverse_km_followup
    from hcctrial.stats.landmark import landmark_test
    from hcctrial.stats.proportions import proportion_ci

    n = len(subjects)
    if n == 0:
        raise DataValidationError(
            "subjects: got no enrolled patient; expected at least one to analyse", field="subjects"
        )
    bor = {k: sum(1 for s in subjects if s.best_response == k) for k in ("CR", "PR", "SD", "PD")}
    ne = n - sum(bor.values())
    if ne:
        bor["NE"] = ne

    def prop(count: int) -> dict[str, Any]:
        ci = proportion_ci(count, n)
        # "pct" is a percentage (its name says so); "lower"/"upper" are fractions like every other
        # rate of the plan; the same interval in percent and the proportion stand beside them
        return {
            "n": count,
            "pct": ci.percent,
            "lower": ci.lower,
            "upper": ci.upper,
            "proportion": count / n,
            "lower_pct": 100.0 * ci.lower,
            "upper_pct": 100.0 * ci.upper,
            "denominator": n,
            "method": "clopper-pearson",
        }  # type: ignore[dict-item]

    aes = []
    for key, (label, _, _) in AE_TERMS.items():
        counts = {
            str(g): sum(1 for s in subjects if s.worst_grades.get(key) == g) for g in range(1, 5)
        }
        not_gradable = sum(1 for s in subjects if s.worst_grades.get(key) is None)
        aes.append(
            {
                "term": key,
                "label": label,
                "worst_grade_counts": counts,
                "any_grade": sum(counts.values()),
                "not_gradable": not_gradable,
            }
        )

    pfs_d, pfs_std_d, os_d = (_times(endpoints, c) for c in ("pfs_paper", "pfs", "os"))

    def summary(
        code: str, data: dict[str, tuple[float, int]], marks: Sequence[float]
    ) -> SurvivalSummary:
        ids = sorted(data)
        return _summary(
            code, ENDPOINTS[code], [data[i][0] for i in ids], [data[i][1] for i in ids], marks
        )

    pfs = summary("pfs_paper", pfs_d, PFS_LANDMARKS)
    pfs_std = summary("pfs", pfs_std_d, PFS_LANDMARKS)
    os_ = summary("os", os_d, OS_LANDMARKS)

    ids = sorted(os_d)
    fu = reverse_km_followup([os_d[i][0] for i in ids], [os_d[i][1] for i in ids])[0]
    followup = {
        "median": fu.simple_median,
        "min": fu.minimum,
        "max": fu.maximum,
        "method": "simple median of all observed OS times (the paper's method)",
        "reverse_km_median": fu.reverse_km.estimate,
        "reverse_km_lower": fu.reverse_km.lower,
        "reverse_km_upper": fu.reverse_km.upper,
        "unit": "months",
    }
    curve = kaplan_meier([pfs_d[i][0] for i in sorted(pfs_d)], [pfs_d[i][1] for i in sorted(pfs_d)])
    lt = landmark_test(curve, PRIMARY_MONTHS, PRIMARY_P0)
    primary = {
        "endpoint": "12-month PFS (as defined in the paper), H0: S(12) = 0.30 vs H1: > 0.30",
        "estimate": lt.surv,
        "se": lt.std_err,
        "lower": lt.lower,
        "upper": lt.upper,
        "z": lt.z,
        "p_one_sided": lt.p,
        "scale": lt.scale.value,
        "rejected_at_0.05": bool(lt.p < 0.05),
    }
    by = {s.study_id: s for s in subjects}
    bclc = {i: by[i].bclc_stage for i in by}
    pvi = {i: "PVI" if by[i].portal_vein_invasion else "no PVI" for i in by}
    mod = {i: by[i].imaging_modality for i in by}
    subgroups = []
    for code, data, marks in (("pfs_paper", pfs_d, PFS_LANDMARKS), ("os", os_d, OS_LANDMARKS)):
        subgroups.append(_compare(code, "bclc", data, bclc, "B", marks))
        subgroups.append(_compare(code, "portal_vein_invasion", data, pvi, "no PVI", marks))
        subgroups.append(_compare(code, "imaging", data, mod, "MRI", marks))
    return AnalysisResult(
        n_screened=n if n_screened is None else n_screened,
        n_enrolled=n,
        best_response=bor,
        orr=prop(bor["CR"] + bor["PR"]),
        dcr=prop(bor["CR"] + bor["PR"] + bor["SD"]),
        adverse_events=tuple(aes),
        pfs=pfs,
        pfs_standard=pfs_std,
        os=os_,
        followup=followup,
        primary_endpoint=primary,
        subgroups=tuple(subgroups),
    )


@dataclass(frozen=True)
class DerivedTrial:
    """The analysis datasets of one database and the plan's result on them.

    ``records``: every patient's raw records as loaded (screen failures too), so that a caller
    (the report of ``hcctrial demo``) can reuse them instead of loading and deriving again.
    """

    subjects: tuple[SubjectRow, ...]
    endpoints: tuple[EndpointRow, ...]
    result: AnalysisResult
    records: tuple[PatientRecords, ...] = ()


def analyse_database(engine: Any) -> DerivedTrial:
    """Load the raw records of ``engine``'s database, derive the datasets and run the plan."""
    from hcctrial.derive.endpoints import derive_endpoints
    from hcctrial.derive.records import load_patient_records
    from hcctrial.derive.subject import derive_subjects
    from hcctrial.store.session import open_session

    with open_session(engine) as session:
        records = load_patient_records(session)
    subjects = derive_subjects(records)
    endpoints = derive_endpoints(records, subjects)
    return DerivedTrial(
        subjects, endpoints, run_analysis(subjects, endpoints, n_screened=len(records)), records
    )
