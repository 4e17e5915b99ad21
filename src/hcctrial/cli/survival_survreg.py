"""``hcctrial survival survreg``: parametric (AFT) survival regression from a CSV file.

Registered on the ``survival`` group by :mod:`hcctrial.cli.survival`; input rules and helpers as
the other survival models (:mod:`hcctrial.cli.survival_models`). numpy/scipy are imported inside
the command so that ``hcctrial --help`` stays fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from hcctrial.cli.survival_models import (
    _DATA,
    _EVENT01,
    _EVENT_VALUE,
    _JSON,
    _TIME,
    _check_level,
    _covariate_list,
    _fmt,
    _num,
)
from hcctrial.errors import DataValidationError

__all__ = ["app", "survreg_payload"]

app = typer.Typer(no_args_is_help=True, add_completion=False)


def _probabilities(text: str) -> list[float]:
    out = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not 0.0 < value < 1.0:
            raise DataValidationError(
                f"--quantiles: got {part.strip()!r} in {text!r}; expected probabilities between "
                "0 and 1 separated by commas",
                field="quantiles",
            )
        out.append(value)
    return out


def _profiles(matrix: Any, names: tuple[str, ...]) -> list[tuple[str, dict[str, float]]]:
    """Covariate rows to predict at: every distinct pattern when there are at most 20, else the
    means of the design columns."""
    import numpy as np

    if matrix.shape[1] == 0:
        return [("all", {})]
    patterns = np.unique(matrix, axis=0)
    if patterns.shape[0] <= 20:
        return [("pattern", dict(zip(names, map(float, row), strict=True))) for row in patterns]
    return [("mean", dict(zip(names, map(float, matrix.mean(axis=0)), strict=True)))]


def _design(
    data: Path,
    time: str,
    event: str,
    covs: list[str],
    event_value: float | None,
    reference: list[str] | None,
) -> tuple[Any, Any, Any, tuple[str, ...], dict[str, tuple[str, ...]], int]:
    """Return (time, event, design matrix, column names, levels, rows dropped) from the CSV."""
    import numpy as np

    from hcctrial.cli.survival import load_survival_csv
    from hcctrial.stats.data import read_csv_table
    from hcctrial.stats.design_matrix import design_matrix, parse_reference

    t, e, cols, dropped = load_survival_csv(data, time, event, list(covs), event_value)
    if not covs:
        return t, e, np.zeros((t.shape[0], 0)), (), {}, dropped
    table = read_csv_table(data)
    keep = ~table.missing_mask([time, event, *covs])
    columns: dict[str, Any] = {
        c: table.numeric(c, keep) if table.is_numeric(c) else v
        for c, v in zip(covs, cols, strict=True)
    }
    dm = design_matrix(columns, covs, parse_reference(reference))
    return t, e, dm.matrix, dm.names, dm.levels, dropped


def _terms(fit: Any, level: float) -> list[dict[str, Any]]:
    """Coefficient rows: estimate, SE, exp(coef) (the time ratio) with its Wald CI, z, p."""
    from hcctrial.stats.distributions import normal_ppf

    z = float(normal_ppf(1.0 - (1.0 - level) / 2.0))
    return [
        {
            "name": fit.names[j],
            "coef": fit.coef[j],
            "se": fit.se[j],
            "exp_coef": math.exp(fit.coef[j]),
            "lower": math.exp(fit.coef[j] - z * fit.se[j]),
            "upper": math.exp(fit.coef[j] + z * fit.se[j]),
            "z": fit.z[j],
            "p": fit.p[j],
        }
        for j in range(len(fit.names))
    ]


def survreg_payload(
    data: Path,
    time: str,
    event: str,
    dist: str = "weibull",
    covariates: str | None = None,
    quantiles: str = "0.25,0.5,0.75",
    event_value: float | None = None,
    reference: list[str] | None = None,
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """Return the ``survival survreg`` JSON: AFT coefficients, Log(scale), loglik and predicted
    quantiles (R ``survreg`` / ``predict(type = "quantile")``)."""
    from hcctrial.stats.survreg import SurvregDist, survreg, survreg_quantiles

    try:
        d = SurvregDist(dist)
    except ValueError:
        raise DataValidationError(
            f"--dist: got {dist!r}; expected weibull, exponential, lognormal or loglogistic",
            field="dist",
        ) from None
    probs = _probabilities(quantiles)
    level = _check_level(conf_level)
    covs = _covariate_list(covariates) if covariates else []
    t, e, matrix, names, levels, dropped = _design(data, time, event, covs, event_value, reference)
    fit = survreg(t, e, matrix, names, dist=d)
    chisq, df, p = fit.lr_test
    return {
        "dist": d.value,
        "terms": _terms(fit, level),
        "log_scale": {"estimate": fit.log_scale, "se": fit.log_scale_se},
        "scale": fit.scale,
        "loglik": fit.loglik,
        "loglik_null": fit.loglik_null,
        "lr_test": {"chisq": chisq, "df": df, "p": _num(p)} if df else None,
        "quantiles": [
            {
                "profile": kind,
                "covariates": row,
                "p": q.p,
                "time": q.time,
                "se": q.se,
                "lower": q.lower,
                "upper": q.upper,
            }
            for kind, row in _profiles(matrix, names)
            for q in survreg_quantiles(fit, list(row.values()), probs, conf_level=level)
        ],
        "reference_levels": {k: v[0] for k, v in levels.items()},
        "conf_level": level,
        "n": fit.n,
        "n_events": fit.n_events,
        "n_dropped": dropped,
        "iterations": fit.iterations,
        "converged": fit.converged,
    }


@app.command("survreg")
def survreg_command(
    data: Annotated[Path, _DATA],
    time: Annotated[str, _TIME],
    event: Annotated[str, _EVENT01],
    dist: Annotated[
        str,
        typer.Option("--dist", help="weibull, exponential, lognormal or loglogistic."),
    ] = "weibull",
    covariates: Annotated[
        str | None, typer.Option("--covariates", help="Covariate columns, comma-separated.")
    ] = None,
    quantiles: Annotated[
        str, typer.Option("--quantiles", help="Probabilities of the predicted quantiles.")
    ] = "0.25,0.5,0.75",
    event_value: Annotated[float | None, _EVENT_VALUE] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option("--reference", help="Reference level of a text column, COLUMN=LEVEL."),
    ] = None,
    conf_level: Annotated[float, typer.Option("--conf-level", help="CI level.")] = 0.95,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Parametric (AFT) survival regression with predicted quantiles (as R survreg)."""
    from hcctrial.cli.main import emit

    res = survreg_payload(
        data, time, event, dist, covariates, quantiles, event_value, reference, conf_level
    )
    lines = [
        f"survreg, {res['dist']}: n = {res['n']}, events = {res['n_events']}, dropped = "
        f"{res['n_dropped']}; loglik {res['loglik']:.6g} (intercept only {res['loglik_null']:.6g})"
    ]
    for t in res["terms"]:
        lines.append(
            f"  {t['name']:<22}{_fmt(t['coef']):>10}{_fmt(t['se']):>10}  exp {_fmt(t['exp_coef'])}"
            f"  p {_fmt(t['p'])}"
        )
    ls = res["log_scale"]
    lines.append(
        f"  Log(scale) {_fmt(ls['estimate'])} (SE {_fmt(ls['se'])}); scale {res['scale']:.4g}"
    )
    for q in res["quantiles"]:
        where = ", ".join(f"{k}={v:g}" for k, v in q["covariates"].items()) or "all"
        lines.append(
            f"  t{q['p']:g} [{where}] = {q['time']:.4g} (CI {q['lower']:.4g}-{q['upper']:.4g})"
        )
    emit(res, as_json, "\n".join(lines))
