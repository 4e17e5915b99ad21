"""``hcctrial survival cox``: a Cox proportional-hazards fit from a CSV file.

The command function is registered on the ``survival`` group by :mod:`hcctrial.cli.survival`.
Rows with a missing value in any column the model uses are dropped (R's ``na.omit``); a text
column is categorical (dummies in sorted level order, reference = first level unless
``--reference COLUMN=LEVEL`` names one). numpy/scipy are imported inside the function so that
``hcctrial --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from hcctrial.errors import DataValidationError

__all__ = ["cox_command", "cox_payload"]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def cox_payload(
    data: Path,
    time: str,
    event: str,
    covariates: str,
    ties: str = "efron",
    strata: str | None = None,
    reference: list[str] | None = None,
) -> dict[str, Any]:
    """Read ``data``, fit the model and return the JSON-ready result (the fixed CLI contract)."""
    import numpy as np

    from hcctrial.stats.cox import cox_ph
    from hcctrial.stats.data import read_csv_table
    from hcctrial.stats.design_matrix import design_matrix, parse_reference

    covs = [c.strip() for c in covariates.split(",") if c.strip()]
    if not covs:
        raise DataValidationError(
            f"--covariates: got {covariates!r}; expected column names separated by commas",
            field="covariates",
        )
    if ties not in ("efron", "breslow"):
        raise DataValidationError(
            f"--ties: got {ties!r}; expected 'efron' or 'breslow'", field="ties"
        )
    table = read_csv_table(data)
    used = [time, event, *covs] + ([strata] if strata else [])
    for name in used:
        table.require(name)
    keep = ~table.missing_mask(used)
    t_all = table.numeric(time)
    e_all = table.numeric(event)
    bad = keep & (t_all < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataValidationError(
            f"column {time!r}: row {row} has negative time {t_all[row - 1]:g}; expected a time >= 0",
            field=time,
        )
    bad = keep & ~np.isin(e_all, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataValidationError(
            f"column {event!r}: row {row} has {e_all[row - 1]:g}; expected 0 (censored) or 1 (event)",
            field=event,
        )
    if not keep.any():
        raise DataValidationError(
            f"{data.name}: every row has a missing value in {used}; nothing to fit", field="file"
        )
    columns: dict[str, Any] = {
        c: table.numeric(c, keep) if table.is_numeric(c) else table.text(c, keep) for c in covs
    }
    dm = design_matrix(columns, covs, parse_reference(reference))
    fit = cox_ph(
        t_all[keep],
        e_all[keep],
        dm.matrix,
        dm.names,
        ties=ties,
        strata=table.text(strata, keep) if strata else None,
    )

    def test(t: Any) -> dict[str, Any]:
        return {"chisq": t.chisq, "df": t.df, "p": t.p}

    return {
        "terms": [
            {
                "name": fit.names[j],
                "coef": fit.coef[j],
                "se": fit.se[j],
                "hr": fit.hr[j],
                "lower": fit.lower[j],
                "upper": fit.upper[j],
                "z": fit.z[j],
                "p": fit.p[j],
            }
            for j in range(len(fit.names))
        ],
        "loglik_null": fit.loglik_null,
        "loglik": fit.loglik,
        "lr_test": test(fit.lr_test),
        "wald_test": test(fit.wald_test),
        "score_test": test(fit.score_test),
        "concordance": fit.concordance,
        "ties": fit.ties,
        "strata": strata,
        "reference_levels": {k: v[0] for k, v in dm.levels.items()},
        "n": fit.n,
        "n_events": fit.n_events,
        "n_dropped": int((~keep).sum()),
        "converged": fit.converged,
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
    header = f"{'term':<24}{'coef':>10}{'se':>10}{'HR':>10}{'95% CI':>22}{'z':>9}{'p':>11}"
    lines.append(header)
    for t in res["terms"]:
        ci = f"{_fmt(t['lower'])}-{_fmt(t['upper'])}"
        lines.append(
            f"{t['name']:<24}{_fmt(t['coef']):>10}{_fmt(t['se']):>10}{_fmt(t['hr']):>10}"
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
    lines.extend(f"warning: {w}" for w in res["warnings"])
    return "\n".join(lines)


def cox_command(
    data: Path = typer.Argument(..., help="CSV file with a header row."),
    time: str = typer.Option(..., "--time", help="Column of follow-up times (>= 0)."),
    event: str = typer.Option(..., "--event", help="Column of event codes (1 event, 0 censored)."),
    covariates: str = typer.Option(
        ..., "--covariates", help="Covariate columns, comma-separated, e.g. age,sex,ecog.ps."
    ),
    ties: str = typer.Option(
        "efron", "--ties", help="Tie handling: efron (R's default) or breslow."
    ),
    strata: str | None = typer.Option(
        None, "--strata", help="Column of strata (own baseline hazard)."
    ),
    reference: list[str] | None = typer.Option(
        None,
        "--reference",
        help="Reference level of a text column, COLUMN=LEVEL; repeat or comma-separate.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fit a Cox proportional-hazards model (coefficients, HR with 95% CI, LR/Wald/score tests, C)."""
    import warnings

    from hcctrial.cli.main import emit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fit's warnings are part of the output
        res = cox_payload(data, time, event, covariates, ties, strata, reference)
    if not as_json:
        for w in res["warnings"]:
            typer.echo(f"warning: {w}", err=True)
    emit(res, as_json, _summary(res))
