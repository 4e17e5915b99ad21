"""``hcctrial survival cox``: a Cox proportional-hazards fit from a CSV file.

The command function is registered on the ``survival`` group by :mod:`hcctrial.cli.survival`.
Rows with a missing value in any column the model uses are dropped (R's ``na.omit``); a text
column is categorical (dummies in sorted level order, reference = first level unless
``--reference COLUMN=LEVEL`` names one). numpy/scipy are imported inside the function so that
``hcctrial --help`` stays fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from hcctrial.errors import DataValidationError

__all__ = ["cox_command", "cox_payload"]


def _fmt(x: float | None) -> str:
    return "NA" if x is None else f"{x:.4g}"


def _read_model_rows(
    data: Path,
    time: str,
    event: str,
    covs: list[str],
    extra: dict[str, str | None],
    categorical: list[str],
    event_value: float | None = None,
) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """Return (table, kept-row mask, checked numeric columns, covariate columns) of a model CSV.

    ``event_value``: the code of ``event`` that means an event (others censored), as
    ``survival km --event-value``.
    """
    import numpy as np

    from hcctrial.cli.survival_columns import checked_range, covariate_columns, kept_numbers
    from hcctrial.stats.data import read_csv_table

    table = read_csv_table(data)
    used = [time, event, *covs] + [c for c in extra.values() if c]
    for name in used:
        table.require(name)
    keep = ~table.missing_mask(used)
    if not keep.any():
        raise DataValidationError(
            f"{data.name}: every row has a missing value in {used}; nothing to fit", field="file"
        )
    cols: dict[str, Any] = {"time": kept_numbers(table, time, keep)}
    checked_range(table, time, keep, cols["time"], lambda v: v < 0, "a time >= 0")
    cols["event"] = kept_numbers(table, event, keep)
    if event_value is not None:
        cols["event"] = (cols["event"] == event_value).astype(np.float64)
    checked_range(
        table,
        event,
        keep,
        cols["event"],
        lambda v: ~np.isin(v, (0.0, 1.0)),
        "0 (censored) or 1 (event)",
    )
    if extra.get("start"):
        cols["start"] = kept_numbers(table, str(extra["start"]), keep)
        checked_range(
            table,
            str(extra["start"]),
            keep,
            cols["start"] - cols["time"],
            lambda v: v >= 0,
            f"an entry time before the stop time in {time!r}",
        )
    if extra.get("weights"):
        cols["weights"] = kept_numbers(table, str(extra["weights"]), keep)
        checked_range(
            table,
            str(extra["weights"]),
            keep,
            cols["weights"],
            lambda v: v <= 0,
            "a case weight > 0",
        )
    for key in ("strata", "cluster"):
        if extra.get(key):
            cols[key] = table.text(str(extra[key]), keep)
    covariates = covariate_columns(table, covs, keep, categorical) if covs else {}
    return table, keep, cols, covariates


def cox_payload(
    data: Path,
    time: str,
    event: str,
    covariates: str,
    ties: str = "efron",
    strata: str | None = None,
    reference: list[str] | None = None,
    *,
    start: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    robust: bool = False,
    zph: str | None = None,
    timefix: bool = True,
    categorical: str | None = None,
) -> dict[str, Any]:
    """Read ``data``, fit the model and return the JSON-ready result (the fixed CLI contract)."""
    from hcctrial.cli.survival_columns import parse_names
    from hcctrial.stats.cox import cox_ph
    from hcctrial.stats.design_matrix import design_matrix, parse_reference

    covs = parse_names(covariates, "--covariates")
    if not covs:
        raise DataValidationError(
            f"--covariates: got {covariates!r}; expected column names separated by commas",
            field="covariates",
        )
    if ties not in ("efron", "breslow", "exact"):
        raise DataValidationError(
            f"--ties: got {ties!r}; expected 'efron', 'breslow' or 'exact'", field="ties"
        )
    if zph is not None and zph not in ("km", "identity"):
        raise DataValidationError(f"--zph: got {zph!r}; expected 'km' or 'identity'", field="zph")
    cats = parse_names(categorical, "--categorical")
    extra = {"strata": strata, "start": start, "weights": weights, "cluster": cluster}
    _table, keep, cols, columns = _read_model_rows(data, time, event, covs, extra, cats)
    dm = design_matrix(columns, covs, parse_reference(reference), categorical=cats)
    fit = cox_ph(
        cols["time"],
        cols["event"],
        dm.matrix,
        dm.names,
        ties=ties,
        strata=cols.get("strata"),
        start=cols.get("start"),
        weights=cols.get("weights"),
        cluster=cols.get("cluster"),
        robust=True if robust else None,
        robust_score=True,
        timefix=timefix,
    )
    res = _payload(fit, dm, strata, int((~keep).sum()))
    res.update(start=start, weights=weights, cluster=cluster, timefix=timefix, categorical=cats)
    if zph is not None:
        res["zph"] = _zph_payload(fit, cols, dm, zph, start, weights, timefix)
    return res


def _zph_payload(
    fit: Any,
    cols: dict[str, Any],
    dm: Any,
    transform: str,
    start: str | None,
    weights: str | None,
    timefix: bool,
) -> dict[str, Any]:
    """Return R's ``cox.zph`` tests of the fit (per term and GLOBAL)."""
    from hcctrial.stats.cox_zph import cox_zph

    if start or weights:
        raise DataValidationError(
            "--zph: not available with --start or --weights (the proportional-hazards test is "
            "implemented for unweighted right-censored fits)",
            field="zph",
        )
    z = cox_zph(
        fit,
        cols["time"],
        cols["event"],
        dm.matrix,
        cols.get("strata"),
        terms=dm.assign,
        transform=transform,
        timefix=timefix,
    )

    def one(t: Any) -> dict[str, Any]:
        return {"term": t.term, "chisq": t.chisq, "df": t.df, "p": t.p}

    return {
        "transform": z.transform,
        "terms": [one(t) for t in z.terms],
        "global": one(z.global_test),
    }


def _payload(fit: Any, dm: Any, strata: str | None, n_dropped: int) -> dict[str, Any]:
    """Return the JSON of a fit: today's keys, and beside them R's iterations and variance."""

    def test(t: Any) -> dict[str, Any] | None:
        return None if t is None else {"chisq": t.chisq, "df": t.df, "p": t.p}

    def num(x: float) -> float | None:
        return x if math.isfinite(x) else None

    robust = fit.robust_se
    return {
        "terms": [
            {
                "name": fit.names[j],
                "coef": fit.coef[j],
                "se": fit.se[j],
                "hr": fit.hr[j],
                "lower": num(fit.lower[j]),
                "upper": num(fit.upper[j]),
                "z": fit.z[j],
                "p": fit.p[j],
                "robust_se": None if robust is None else robust[j],
            }
            for j in range(len(fit.names))
        ],
        "loglik_null": fit.loglik_null,
        "loglik": fit.loglik,
        "lr_test": test(fit.lr_test),
        "wald_test": test(fit.wald_test),
        "score_test": test(fit.score_test),
        "robust_score_test": test(fit.robust_score_test),
        "concordance": fit.concordance,
        "concordance_se": fit.concordance_se,
        "ties": fit.ties,
        "strata": strata,
        "reference_levels": {k: v[0] for k, v in dm.levels.items()},
        "n": fit.n,
        "n_events": fit.n_events,
        "n_dropped": n_dropped,
        "n_clusters": fit.n_clusters,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "variance": [list(row) for row in fit.vcov],
        "naive_variance": None if fit.naive_vcov is None else [list(r) for r in fit.naive_vcov],
        "warnings": list(fit.warnings),
    }


def _summary(res: dict[str, Any]) -> str:
    lines = [
        f"Cox proportional hazards ({res['ties']} ties"
        + (f", stratified by {res['strata']}" if res["strata"] else "")
        + f"): n = {res['n']}, events = {res['n_events']}, dropped (missing) = {res['n_dropped']}",
    ]
    for col, lev in res["reference_levels"].items():
        lines.append(f"  reference level of {col}: {lev}")
    robust = res["terms"][0]["robust_se"] is not None
    header = f"{'term':<24}{'coef':>10}{'se':>10}" + (f"{'robust se':>11}" if robust else "")
    header += f"{'HR':>10}{'95% CI':>22}{'z':>9}{'p':>11}"
    lines.append(header)
    for t in res["terms"]:
        ci = f"{_fmt(t['lower'])}-{_fmt(t['upper'])}"
        rse = f"{_fmt(t['robust_se']):>11}" if robust else ""
        lines.append(
            f"{t['name']:<24}{_fmt(t['coef']):>10}{_fmt(t['se']):>10}{rse}{_fmt(t['hr']):>10}"
            f"{ci:>22}{_fmt(t['z']):>9}{_fmt(t['p']):>11}"
        )
    for key, label in (
        ("lr_test", "Likelihood ratio"),
        ("wald_test", "Wald"),
        ("score_test", "Score (log-rank)"),
    ):
        t = res[key]
        lines.append(
            f"{label} test: chisq = {_fmt(t['chisq'])} on {t['df']} df, p = {_fmt(t['p'])}"
        )
    lines.append(f"Concordance (Harrell's C): {res['concordance']:.4f}")
    lines.append(
        f"Newton-Raphson: {res['iterations']} iterations, "
        + ("converged" if res["converged"] else "NOT converged")
    )
    if "zph" in res:
        z = res["zph"]
        lines.append(f"Proportional hazards (cox.zph, {z['transform']}):")
        for t in [*z["terms"], z["global"]]:
            lines.append(
                f"  {t['term']:<22} chisq = {_fmt(t['chisq'])} on {t['df']} df, p = {_fmt(t['p'])}"
            )
    lines.extend(f"warning: {w}" for w in res["warnings"])
    return "\n".join(lines)


def cox_command(
    data: Path = typer.Argument(..., help="CSV file with a header row."),
    time: str = typer.Option(..., "--time", help="Column of follow-up (stop) times (>= 0)."),
    event: str = typer.Option(..., "--event", help="Column of event codes (1 event, 0 censored)."),
    covariates: str = typer.Option(
        ..., "--covariates", help="Covariate columns, comma-separated, e.g. age,sex,ecog.ps."
    ),
    ties: str = typer.Option(
        "efron", "--ties", help="Tie handling: efron (R's default), breslow or exact."
    ),
    strata: str | None = typer.Option(
        None, "--strata", help="Column of strata (own baseline hazard)."
    ),
    reference: list[str] | None = typer.Option(
        None,
        "--reference",
        help="Reference level of a text column, COLUMN=LEVEL; repeat or comma-separate.",
    ),
    start: str | None = typer.Option(
        None, "--start", help="Column of entry times: rows are (start, time] intervals."
    ),
    weights: str | None = typer.Option(None, "--weights", help="Column of case weights (> 0)."),
    cluster: str | None = typer.Option(
        None, "--cluster", help="Column of cluster ids: cluster-robust (sandwich) SEs."
    ),
    robust: bool = typer.Option(False, "--robust", help="Robust (sandwich) SEs, R's robust=TRUE."),
    zph: str | None = typer.Option(
        None, "--zph", help="Also test proportional hazards (cox.zph): km or identity."
    ),
    no_timefix: bool = typer.Option(
        False, "--no-timefix", help="Do not merge times equal up to rounding (R's timefix)."
    ),
    categorical: str | None = typer.Option(
        None, "--categorical", help="Numeric columns to treat as factors, comma-separated."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fit a Cox proportional-hazards model (coefficients, HR with 95% CI, LR/Wald/score tests, C)."""
    import warnings

    from hcctrial.cli.main import emit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fit's warnings are part of the output
        res = cox_payload(
            data,
            time,
            event,
            covariates,
            ties,
            strata,
            reference,
            start=start,
            weights=weights,
            cluster=cluster,
            robust=robust,
            zph=zph,
            timefix=not no_timefix,
            categorical=categorical,
        )
    if not as_json:
        for w in res["warnings"]:
            typer.echo(f"warning: {w}", err=True)
    emit(res, as_json, _summary(res))
