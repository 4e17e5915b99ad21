"""The dashboard's numbers: enrolment, screen failures, and the statistical plan's one result on
the analysable patients -- live Kaplan-Meier curves with the number at risk, best-response counts,
grade >= 3 toxicity rates and the plan's tables (endpoints, primary analysis, response rates,
subgroups).

Derivations are :mod:`hcctrial.derive`'s (subject rows, endpoints, as the plan defines them);
every statistic is a field of :func:`hcctrial.analysis.run.analyse`'s result, rendered with the
report's own table builders, so the dashboard, ``analyze --json`` and the report agree number for
number. A live trial has patients whose data are not yet complete enough for the analysis (no
baseline labs, no follow-up contact): they are left out and listed with the reason, instead of
failing the page.

:func:`dashboard_data` computes everything from scratch (the reference);
the web application serves :class:`hcctrial.web.dashboard_cache.DashboardCache`, which gives the
same numbers but re-derives only the patients whose records changed since its last refresh.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hcctrial.errors import HcctrialError
from hcctrial.store import models as m

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.analysis.datasets import SubjectData
    from hcctrial.analysis.plan import PlanFile
    from hcctrial.analysis.results import AnalysisResults
    from hcctrial.report.tables import Table

__all__ = [
    "TARGET_ENROLMENT",
    "Curve",
    "DashboardData",
    "audit_head",
    "curve_of",
    "dashboard_data",
    "dashboard_from",
]

#: The planned sample size (the paper's 66 patients).
TARGET_ENROLMENT = 66
RISK_TICKS_MONTHS = (0.0, 6.0, 12.0, 18.0, 24.0, 30.0, 36.0)


@dataclass(frozen=True)
class Curve:
    """One Kaplan-Meier curve: step points (months, S) and the at-risk row at the ticks."""

    endpoint: str
    n: int
    events: int
    times: tuple[float, ...]
    surv: tuple[float, ...]
    ticks: tuple[float, ...]
    at_risk: tuple[int, ...]

    def svg_path(self, width: float = 520.0, height: float = 200.0, t_max: float = 36.0) -> str:
        """The step curve as an SVG path in a ``width`` x ``height`` box (0-t_max months)."""

        def x(t: float) -> float:
            return round(min(t, t_max) / t_max * width, 1)

        def y(s: float) -> float:
            return round((1.0 - s) * height, 1)

        parts = [f"M0,{y(1.0)}"]
        s_prev = 1.0
        for t, s in zip(self.times, self.surv, strict=True):
            if t > t_max:
                break
            parts.append(f"H{x(t)}")
            if s != s_prev:
                parts.append(f"V{y(s)}")
            s_prev = s
        parts.append(f"H{x(min(self.times[-1], t_max)) if self.times else 0}")
        return " ".join(parts)


@dataclass(frozen=True)
class DashboardData:
    screened: int
    enrolled: int
    target: int
    screen_failures: int
    failure_reasons: tuple[tuple[str, int], ...]
    analysed: int
    not_analysable: tuple[tuple[str, str], ...]
    curves: tuple[Curve, ...]
    responses: tuple[tuple[str, int], ...]
    grade3_rates: tuple[tuple[str, int, int], ...]  # (term, n with grade >= 3, n analysed)
    tables: tuple[Table, ...] = ()
    plan: tuple[tuple[str, str], ...] = ()
    analysis_note: str = ""
    analysis: AnalysisResults | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``GET /api/dashboard`` (``analysis``: the plan's whole result)."""
        from hcctrial.analysis.results_json import results_json

        return {
            "screened": self.screened,
            "enrolled": self.enrolled,
            "target": self.target,
            "screen_failures": self.screen_failures,
            "failure_reasons": dict(self.failure_reasons),
            "analysed": self.analysed,
            "not_analysable": [{"study_id": s, "reason": r} for s, r in self.not_analysable],
            "curves": [
                {
                    "endpoint": c.endpoint,
                    "n": c.n,
                    "events": c.events,
                    "time_months": list(c.times),
                    "surv": list(c.surv),
                    "ticks_months": list(c.ticks),
                    "n_risk": list(c.at_risk),
                }
                for c in self.curves
            ],
            "best_response": dict(self.responses),
            "grade3_rates": [{"term": t, "n": k, "of": n} for t, k, n in self.grade3_rates],
            "plan": dict(self.plan),
            "analysis": None if self.analysis is None else results_json(self.analysis),
            "analysis_note": self.analysis_note,
        }


def curve_of(endpoint: str, km: Any) -> Curve:
    """The dashboard form of the plan's Kaplan-Meier curve ``km`` (an engine
    :class:`~hcctrial.stats.kaplan_meier.KaplanMeierCurve`) with its at-risk row."""
    from hcctrial.stats.kaplan_meier import risk_grid

    grid = risk_grid(km, RISK_TICKS_MONTHS)
    return Curve(
        endpoint,
        km.n,
        km.events,
        tuple(float(t) for t in km.time),
        tuple(float(s) for s in km.surv),
        grid.ticks,
        grid.n_risk,
    )


def _tables(results: AnalysisResults) -> tuple[Table, ...]:
    """The plan's tables as the report builds them (same builders, same result)."""
    from hcctrial.report.survival_tables import (
        primary_endpoint_table,
        subgroup_table,
        survival_summary_table,
    )
    from hcctrial.report.tables import table2_response

    endpoints = list(dict.fromkeys(s.endpoint for s in results.subgroups))
    return (
        survival_summary_table(results),
        primary_endpoint_table(results),
        table2_response(results),
        *(subgroup_table(results, k) for k in endpoints),
    )


def dashboard_from(
    plan: PlanFile,
    subjects: Sequence[SubjectData],
    endpoint_rows: Sequence[Any],
    *,
    screened: int,
    enrolled: int,
    failures: tuple[tuple[str, int], ...],
    n_fail: int,
    skipped: tuple[tuple[str, str], ...],
) -> DashboardData:
    """Run the plan on the analysable patients and assemble the dashboard from its result."""
    from hcctrial.analysis.datasets import AnalysisDatasets
    from hcctrial.analysis.run import analyse
    from hcctrial.derive.datasets import time_to_event

    data = AnalysisDatasets(
        tuple(subjects), tuple(time_to_event(r) for r in endpoint_rows), screened, "trial database"
    )
    results: AnalysisResults | None = None
    note = ""
    try:
        results = analyse(plan, data)
    except HcctrialError as exc:
        note = f"no analysis yet: {exc}"
    ref = plan.reference()
    if results is None:
        return DashboardData(
            screened, enrolled, TARGET_ENROLMENT, n_fail, failures, len(subjects), skipped,
            (), tuple((r, 0) for r in ("CR", "PR", "SD", "PD", "NE")), (), (),
            tuple(ref.items()), note, None,
        )  # fmt: skip
    curves = tuple(
        curve_of(results.endpoints[k].short, results.endpoints[k].curve)
        for k in results.plan.outputs.figures
        if k in results.endpoints
    )
    ae = results.adverse_events
    return DashboardData(
        screened=screened,
        enrolled=enrolled,
        target=TARGET_ENROLMENT,
        screen_failures=n_fail,
        failure_reasons=failures,
        analysed=len(subjects),
        not_analysable=skipped,
        curves=curves,
        responses=tuple(results.response.counts.items()),
        grade3_rates=tuple((a.label, a.grade3_or_more, ae.n) for a in ae.rows),
        tables=_tables(results),
        plan=tuple(ref.items()),
        analysis_note=note,
        analysis=results,
    )


def audit_head(session: Any) -> int:
    """The last audit sequence number (0 for an empty log): the cache key of the dashboard."""
    head = session.get(m.AuditChainHead, 1)
    return 0 if head is None else int(head.last_seq)


def screen_failures(session: Any) -> tuple[tuple[tuple[str, int], ...], int]:
    """Return the screen-failure reasons (words, number of patients; most frequent first) and the
    number of patients who failed screening -- by the one definition of a screen failure and its
    reason (:func:`hcctrial.services.patients.screen_failure_reasons`), as the report counts them."""
    from hcctrial.services.patients import screen_failure_reasons

    failures = screen_failure_reasons(session)
    counts = Counter(failures.values())
    reasons = sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    return tuple(reasons), len(failures)


def dashboard_data(session: Any, plan: PlanFile | None = None) -> DashboardData:
    """Compute the dashboard from the database of ``session`` (``plan``: default the seed plan)."""
    from hcctrial.analysis.plan import default_plan
    from hcctrial.derive.datasets import subject_data
    from hcctrial.derive.endpoints import endpoints_of
    from hcctrial.derive.records import load_patient_records
    from hcctrial.derive.subject import derive_subject

    pf = plan or default_plan()
    records = load_patient_records(session)
    reasons, n_fail = screen_failures(session)
    subjects = []
    rows: list[Any] = []
    skipped: list[tuple[str, str]] = []
    for rec in records:
        if not rec.enrolled:
            continue
        try:
            subject = derive_subject(rec, pf.plan.adverse_events.terms)
            ends = endpoints_of(rec, subject, pf.plan)
        except HcctrialError as exc:
            skipped.append((rec.study_id, str(exc)))
            continue
        subjects.append(subject_data(subject, rec))
        rows += ends
    return dashboard_from(
        pf,
        subjects,
        rows,
        screened=len(records),
        enrolled=sum(1 for r in records if r.enrolled),
        failures=reasons,
        n_fail=n_fail,
        skipped=tuple(skipped),
    )
