"""The sample size of the design a plan was powered on, computed by the statistics engine
(:mod:`hcctrial.stats.design_binary`, :mod:`hcctrial.stats.design_survival`).

``hcctrial design single-arm`` / ``one-sample-logrank`` read these parameters from the plan, and
the plan validator checks that the sample size the plan states follows from them
(:func:`design_problems`), naming the key path when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from hcctrial.analysis.schema import OneSampleLogrankDesign, Plan, SingleArmDesign

__all__ = ["PlannedDesign", "design_problems", "planned_design"]


@dataclass(frozen=True)
class PlannedDesign:
    """The computed sample size of a plan's design: evaluable (None where the design has no
    such number) and to enrol, with the method in words."""

    method: str
    n_evaluable: int | None
    n_unrounded: float | None
    n_enrolled: int


def planned_design(plan: Plan) -> PlannedDesign:
    """Return the sample size the plan's ``[design]`` parameters give."""
    d = plan.design
    if isinstance(d, SingleArmDesign):
        from hcctrial.stats.design_binary import single_arm_normal

        r = single_arm_normal(
            d.p0,
            d.p1,
            d.alpha,
            d.power,
            sides=d.sides,
            variance=d.variance,
            dropout=d.dropout,
            dropout_rule=d.dropout_rule,
        )
        return PlannedDesign(r.method, r.n, r.n_unrounded, r.n_enrolled)
    assert isinstance(d, OneSampleLogrankDesign)
    from hcctrial.stats.design_survival import one_sample_logrank_wu

    n = one_sample_logrank_wu(
        d.median0_months,
        d.hr,
        d.accrual_months,
        d.follow_up_months,
        d.alpha,
        d.power,
        shape=d.shape,
    )
    return PlannedDesign("one-sample log-rank test, Wu (2015)", None, None, n)


def design_problems(plan: Plan) -> list[tuple[str, str]]:
    """Return (key path, message) where the sample size the plan states does not follow from its
    design parameters."""
    from hcctrial.errors import HcctrialError

    d = plan.design
    try:
        got = planned_design(plan)
    except HcctrialError as exc:
        return [("design", str(exc))]
    out = []
    stated_evaluable = d.n_evaluable if isinstance(d, SingleArmDesign) else None
    if stated_evaluable is not None and stated_evaluable != got.n_evaluable:
        out.append(
            (
                "design.n_evaluable",
                f"the design's parameters give {got.n_evaluable} evaluable patients "
                f"({got.method}), not {stated_evaluable}",
            )
        )
    if d.n_enrolled is not None and d.n_enrolled != got.n_enrolled:
        out.append(
            (
                "design.n_enrolled",
                f"the design's parameters give {got.n_enrolled} patients to enrol "
                f"({got.method}), not {d.n_enrolled}",
            )
        )
    return out
