"""The few distribution functions the survival engine needs, from ``scipy.special``.

``scipy.stats`` costs ~0.8 s to import (it loads every distribution); ``scipy.special`` ~0.3 s.
The survival estimators, tests and CLI commands need only the normal and chi-square tails and
quantiles and the beta quantile, so they call these thin wrappers -- the same special functions
``scipy.stats`` itself evaluates (``norm.sf(x) = ndtr(-x)``, ``norm.ppf = ndtri``,
``chi2.sf(x, df) = chdtrc(df, x)``, ``beta.ppf(q, a, b) = betaincinv(a, b, q)``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["beta_ppf", "chi2_sf", "normal_cdf", "normal_ppf", "normal_sf"]


def normal_cdf(x: Any) -> Any:
    """Return the standard normal CDF at ``x`` (scalar or array)."""
    from scipy.special import ndtr

    return ndtr(x)


def normal_sf(x: Any) -> Any:
    """Return the standard normal upper tail P(Z > x) (scalar or array)."""
    from scipy.special import ndtr

    return ndtr(-x)


def normal_ppf(q: Any) -> Any:
    """Return the standard normal quantile at probability ``q``: ``normal_ppf(0.975) = 1.95996...``."""
    from scipy.special import ndtri

    return ndtri(q)


def chi2_sf(x: Any, df: Any) -> Any:
    """Return the chi-square upper tail P(X > x) with ``df`` degrees of freedom."""
    from scipy.special import chdtrc

    return chdtrc(df, x)


def beta_ppf(q: Any, a: Any, b: Any) -> Any:
    """Return the quantile at ``q`` of the Beta(a, b) distribution."""
    from scipy.special import betaincinv

    return betaincinv(a, b, q)
