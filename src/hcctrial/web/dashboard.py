"""The dashboard's numbers: enrolment, screen failures, live Kaplan-Meier of PFS/OS with the
number at risk, best-response counts and grade >= 3 toxicity rates.

Derivations are :mod:`hcctrial.derive`'s (subject rows, endpoints), estimates are
:mod:`hcctrial.stats`' (:func:`~hcctrial.stats.kaplan_meier.kaplan_meier`,
:func:`~hcctrial.stats.kaplan_meier.risk_grid`). A live trial has patients whose data are not yet
complete enough for the analysis (no baseline labs, no follow-up contact): they are left out of
the curves and listed with the reason, instead of failing the page.

:func:`dashboard_data` computes everything from scratch (the reference);
the web application serves :class:`hcctrial.web.dashboard_cache.DashboardCache`, which gives the
same numbers but re-derives only the patients whose records changed since its last refresh.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from hcctrial.errors import HcctrialError
from hcctrial.store import models as m

__all__ = [
    "TARGET_ENROLMENT",
    "Curve",
    "DashboardData",
    "audit_head",
    "curve_of",
    "dashboard_data",
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

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``GET /api/dashboard``."""
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
        }


def curve_of(endpoint: str, rows: list[Any]) -> Curve | None:
    """The Kaplan-Meier curve of ``rows`` (endpoint rows: ``.months``, ``.event``); None if empty."""
    from hcctrial.stats.kaplan_meier import kaplan_meier, risk_grid

    if not rows:
        return None
    km = kaplan_meier([r.months for r in rows], [r.event for r in rows], label=endpoint)
    grid = risk_grid(km, RISK_TICKS_MONTHS)
    return Curve(
        endpoint,
        len(rows),
        sum(r.event for r in rows),
        tuple(float(t) for t in km.time),
        tuple(float(s) for s in km.surv),
        grid.ticks,
        grid.n_risk,
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


def dashboard_data(session: Any) -> DashboardData:
    """Compute the dashboard from the database of ``session``."""

    from hcctrial.derive.endpoints import endpoints_of
    from hcctrial.derive.records import load_patient_records
    from hcctrial.derive.subject import AE_TERMS, derive_subject

    records = load_patient_records(session)
    reasons, n_fail = screen_failures(session)
    subjects = []
    endpoints: dict[str, list[Any]] = {"pfs_paper": [], "pfs": [], "os": []}
    skipped: list[tuple[str, str]] = []
    for rec in records:
        if not rec.enrolled:
            continue
        try:
            subject = derive_subject(rec)
            rows = endpoints_of(rec, subject)
        except HcctrialError as exc:
            skipped.append((rec.study_id, str(exc)))
            continue
        subjects.append(subject)
        for row in rows:
            endpoints[row.endpoint].append(row)
    curves = tuple(
        c for c in (curve_of("PFS", endpoints["pfs_paper"]), curve_of("OS", endpoints["os"])) if c
    )
    responses = Counter(s.best_response for s in subjects)
    order = ("CR", "PR", "SD", "PD", "NE")
    grade3 = []
    for key, (label, _, _) in AE_TERMS.items():
        k = sum(1 for s in subjects if (s.worst_grades.get(key) or 0) >= 3)
        grade3.append((label, k, len(subjects)))
    return DashboardData(
        screened=len(records),
        enrolled=sum(1 for r in records if r.enrolled),
        target=TARGET_ENROLMENT,
        screen_failures=n_fail,
        failure_reasons=reasons,
        analysed=len(subjects),
        not_analysable=tuple(skipped),
        curves=curves,
        responses=tuple((r, responses.get(r, 0)) for r in order),
        grade3_rates=tuple(grade3),
    )
