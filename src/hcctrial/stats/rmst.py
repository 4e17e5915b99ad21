"""Restricted mean survival time per group, and each group's difference and ratio to the first.

Per group: the area under the Kaplan-Meier curve on [0, tau] with R ``survival``'s variance
(:func:`hcctrial.stats.landmark.restricted_mean`; equal to ``print(survfit, rmean = tau)`` and to
``survRM2::rmst1``), Wald CI. Between groups, **survRM2's ``rmst2`` convention** (Uno et al. 2014)
with the first group in R's factor order as the reference:

- difference RMST_g - RMST_ref, SE = sqrt(SE_g^2 + SE_ref^2) (independent groups), Wald CI,
  two-sided p from z = difference / SE;
- ratio RMST_g / RMST_ref on the log scale: SE(log ratio) = sqrt(SE_g^2 / RMST_g^2 +
  SE_ref^2 / RMST_ref^2) (delta method), CI exp(log ratio -/+ z SE), p from z = log ratio / SE.

A tau after a group's last observed time extends that group's curve flat (as ``survival``);
``survRM2`` refuses such a tau -- ``beyond_last`` flags it so that a report can say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.stats.landmark import RestrictedMean

__all__ = ["RmstComparison", "RmstGroup", "rmst_by_group"]


@dataclass(frozen=True)
class RmstGroup:
    """One group's RMST to tau (``rmst``) with n, events and whether tau is after its last time."""

    rmst: RestrictedMean
    n: int
    events: int
    beyond_last: bool


@dataclass(frozen=True)
class RmstComparison:
    """``group`` against ``reference``: the RMST difference and ratio with CIs and p values."""

    group: str
    reference: str
    tau: float
    difference: float
    difference_se: float
    difference_lower: float
    difference_upper: float
    difference_p: float
    ratio: float
    log_ratio_se: float
    ratio_lower: float
    ratio_upper: float
    ratio_p: float
    conf_level: float


def _compare(a: RestrictedMean, b: RestrictedMean, conf_level: float) -> RmstComparison:
    from hcctrial.stats.distributions import normal_ppf, normal_sf

    z = float(normal_ppf(1.0 - (1.0 - conf_level) / 2.0))
    diff = b.estimate - a.estimate
    dse = float(np.hypot(a.se, b.se))
    dp = float(2.0 * normal_sf(abs(diff) / dse)) if dse > 0 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = float(np.log(b.estimate / a.estimate))
        lse = float(np.hypot(b.se / b.estimate, a.se / a.estimate))
    rp = float(2.0 * normal_sf(abs(lr) / lse)) if lse > 0 else float("nan")
    return RmstComparison(
        str(b.label),
        str(a.label),
        a.tau,
        diff,
        dse,
        diff - z * dse,
        diff + z * dse,
        dp,
        float(np.exp(lr)),
        lse,
        float(np.exp(lr - z * lse)),
        float(np.exp(lr + z * lse)),
        rp,
        conf_level,
    )


def rmst_by_group(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    tau: float,
    group: Sequence[Any] | npt.ArrayLike | None = None,
    *,
    conf_level: float = 0.95,
    group_name: str = "group",
) -> tuple[tuple[RmstGroup, ...], tuple[RmstComparison, ...]]:
    """Return the RMST of each group to ``tau`` and each later group against the first.

    >>> groups, comps = rmst_by_group([2, 4, 1, 3], [1, 1, 1, 1], 5, ["a", "a", "b", "b"])
    >>> [g.rmst.estimate for g in groups], comps[0].difference   # a: 2 + 2/2 = 3; b: 1 + 2/2 = 2
    ([3.0, 2.0], -1.0)
    """
    from hcctrial.stats.kaplan_meier import kaplan_meier, kaplan_meier_by_group
    from hcctrial.stats.landmark import restricted_mean

    curves = (
        (kaplan_meier(time, event),)
        if group is None
        else kaplan_meier_by_group(time, event, group, group_name=group_name)
    )
    groups = tuple(
        RmstGroup(
            restricted_mean(c, tau, conf_level=conf_level),
            c.n,
            c.events,
            bool(c.time.shape[0] == 0 or tau > float(c.time[-1])),
        )
        for c in curves
    )
    comps = tuple(_compare(groups[0].rmst, g.rmst, conf_level) for g in groups[1:])
    return groups, comps
