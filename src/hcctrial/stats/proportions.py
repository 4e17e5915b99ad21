"""Binomial proportions with CIs: exact Clopper-Pearson and Wilson score (ORR, DCR, toxicity rates).

- Clopper-Pearson: lower = Beta(alpha/2; x, n - x + 1), upper = Beta(1 - alpha/2; x + 1, n - x),
  with lower = 0 at x = 0 and upper = 1 at x = n (as ``statsmodels``' ``method="beta"`` and R's
  ``binom.test``).
- Wilson score (no continuity correction; R ``prop.test(correct=FALSE)``, statsmodels
  ``method="wilson"``): (x + z^2/2 -/+ z sqrt(x (n - x) / n + z^2 / 4)) / (n + z^2).

Two short formulas on scipy's beta quantiles; written here rather than imported from statsmodels to
keep statsmodels (a 1 s import) out of the runtime dependencies. The tests compare with statsmodels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from hcctrial.errors import DataValidationError

__all__ = ["ProportionCI", "ProportionMethod", "proportion_ci"]


class ProportionMethod(StrEnum):
    """How the CI of a proportion is computed."""

    CLOPPER_PEARSON = "clopper-pearson"
    WILSON = "wilson"


@dataclass(frozen=True)
class ProportionCI:
    """``count`` of ``n`` with the estimate ``count / n`` and its CI (proportions, 0..1)."""

    count: int
    n: int
    estimate: float
    lower: float
    upper: float
    method: ProportionMethod
    conf_level: float

    @property
    def percent(self) -> float:
        """The estimate in percent."""
        return 100.0 * self.estimate


def _check(count: int, n: int, conf_level: float) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DataValidationError(f"n: got {n!r}; expected a whole number >= 1", field="n")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= n:
        raise DataValidationError(
            f"count: got {count!r}; expected a whole number between 0 and n = {n}", field="count"
        )
    if not 0.0 < conf_level < 1.0:
        raise DataValidationError(
            f"conf_level: got {conf_level!r}; expected a number strictly between 0 and 1",
            field="conf_level",
        )


def proportion_ci(
    count: int,
    n: int,
    *,
    method: ProportionMethod | str = ProportionMethod.CLOPPER_PEARSON,
    conf_level: float = 0.95,
) -> ProportionCI:
    """Return ``count / n`` with its two-sided ``conf_level`` CI by ``method``.

    >>> ci = proportion_ci(28, 66)             # the seed paper's ORR, 28/66
    >>> round(ci.percent, 1), round(ci.lower, 4), round(ci.upper, 4)
    (42.4, 0.3034, 0.5521)
    """
    from hcctrial.stats.distributions import beta_ppf, normal_ppf

    _check(count, n, conf_level)
    m = ProportionMethod(method)
    alpha = 1.0 - conf_level
    if m is ProportionMethod.CLOPPER_PEARSON:
        lower = 0.0 if count == 0 else float(beta_ppf(alpha / 2.0, count, n - count + 1))
        upper = 1.0 if count == n else float(beta_ppf(1.0 - alpha / 2.0, count + 1, n - count))
    else:
        z = float(normal_ppf(1.0 - alpha / 2.0))
        z2 = z * z
        centre = count + z2 / 2.0
        half = z * math.sqrt(count * (n - count) / n + z2 / 4.0)
        # at x = 0 (x = n) the bound is 0 (1) exactly; the formula can round to 1e-17 off it
        lower = 0.0 if count == 0 else max(0.0, (centre - half) / (n + z2))
        upper = 1.0 if count == n else min(1.0, (centre + half) / (n + z2))
    return ProportionCI(count, n, count / n, lower, upper, m, conf_level)
