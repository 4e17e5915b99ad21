"""``hcctrial survival km|logrank|cox``: Kaplan-Meier, log-rank and Cox from a CSV file.

Any column names are accepted (``ecog.ps``). Rows with a missing value (``NA`` or empty) in a column
the analysis uses are dropped, as R's ``na.omit`` does (the count is reported as ``n_dropped``). A
missing column, a non-numeric time or event, a negative time or an event code other than 0/1 is an
error naming the column and the file line, header = line 1 (exit code 2). Event columns coded
otherwise (lung's ``status`` 1/2) need ``--event-value 2``: that value is the event and every other value censored,
as R's ``Surv(time, status == 2)``.

Conventions are named in every output: ``conf_type`` (pointwise CI scale; ``log`` is R's default and
ours) and ``median_ci_method`` (``r``: R's quantile.survfit; ``spss``: SPSS's median -/+ 1.96 SE).
numpy/scipy are imported inside the commands so that ``hcctrial --help`` stays fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hcctrial.errors import DataValidationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from hcctrial.stats.kaplan_meier import KaplanMeierCurve
    from hcctrial.stats.km_quantiles import SurvivalQuantile

__all__ = ["app", "km_payload", "load_survival_csv", "logrank_payload"]

app = typer.Typer(no_args_is_help=True, add_completion=False)

try:  # the Cox command lives in its own module (written separately); register it when present
    from hcctrial.cli.survival_cox import cox_command

    app.command("cox")(cox_command)
except ModuleNotFoundError as exc:  # pragma: no cover - only before survival_cox.py exists
    if exc.name != "hcctrial.cli.survival_cox":
        raise

_DATA = typer.Argument(help="CSV file with a header row.", exists=False)
_TIME = typer.Option("--time", help="Column with the follow-up time (>= 0).")
_EVENT = typer.Option("--event", help="Column with the event indicator (1 event, 0 censored).")
_EVENT_VALUE = typer.Option(
    "--event-value",
    help="Value of --event that means 'event' (others censored), e.g. 2 for lung's status.",
)
_JSON = typer.Option("--json", help="Print the result as one JSON object.")


def _num(x: float | None) -> float | None:
    """JSON-ready number: NaN/inf (R's NA) -> None."""
    return None if x is None or not math.isfinite(x) else float(x)


def load_survival_csv(
    path: Path,
    time: str,
    event: str,
    labels: list[str | None],
    event_value: float | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[Any], int]:
    """Return (time, event 0/1, label columns, rows dropped) from a CSV, checked row by row.

    Errors name the column and the file line (the header is line 1).
    """
    import numpy as np

    from hcctrial.cli.survival_columns import kept_times
    from hcctrial.stats.data import read_csv_table, survival_data

    table = read_csv_table(path)
    used = [time, event] + [c for c in labels if c]
    keep, t_all = kept_times(table, time, used)
    e_all = table.numeric(event)
    if event_value is not None:
        e_all = np.where(keep, (e_all == event_value).astype(np.float64), np.nan)
    bad = keep & ~np.isin(e_all, (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"column {event!r}: line {table.line(i)} has {table.require(event)[i]!r}; expected 0 "
            "(censored) or 1 (event) -- use --event-value V if another code means 'event'",
            field=event,
        )
    checked = survival_data(t_all[keep], e_all[keep], time_name=time, event_name=event)
    columns = [None if c is None else table.text(c, keep) for c in labels]
    return checked.time, checked.event.astype(np.float64), columns, int((~keep).sum())


def _parse_times(text: str | None) -> list[float]:
    if not text:
        return []
    out = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise DataValidationError(
                f"--at: got {part.strip()!r} in {text!r}; expected times separated by commas",
                field="at",
            ) from None
        if not math.isfinite(value) or value < 0:
            raise DataValidationError(
                f"--at: got {part.strip()!r}; expected a finite time >= 0", field="at"
            )
        out.append(value)
    return out


def _median_json(q: SurvivalQuantile) -> dict[str, Any]:
    return {
        "estimate": q.estimate,
        "lower": q.lower,
        "upper": q.upper,
        "reached": q.reached,
        "lower_reached": q.lower_reached,
        "upper_reached": q.upper_reached,
        "se": q.se,
        "note": q.note,
    }


def _count(x: Any) -> int | float:
    """A count as JSON: an int, or a float when it is a sum of case weights."""
    v = float(x)
    return int(v) if float(x).is_integer() and not isinstance(x, float) else v


def _curve_json(
    curve: KaplanMeierCurve,
    method: str,
    at: list[float],
    probs: list[float] | None = None,
    tau: float | None = None,
) -> dict[str, Any]:
    from hcctrial.stats.kaplan_meier import survival_at
    from hcctrial.stats.km_quantiles import median_survival, survival_quantile
    from hcctrial.stats.landmark import restricted_mean

    steps = [
        {
            "time": float(curve.time[i]),
            "n_risk": _count(curve.n_risk[i]),
            "n_event": _count(curve.n_event[i]),
            "n_censor": _count(curve.n_censor[i]),
            "surv": float(curve.surv[i]),
            "se": _num(float(curve.std_err[i])),
            "lower": _num(float(curve.lower[i])),
            "upper": _num(float(curve.upper[i])),
        }
        for i in range(curve.time.shape[0])
    ]
    at_rows = [
        {
            "time": a.time,
            "surv": a.surv,
            "se": a.std_err,
            "lower": a.lower,
            "upper": a.upper,
            "n_risk": a.n_risk,
            "n_event": a.n_event,
        }
        for a in (survival_at(curve, at) if at else ())
    ]
    out: dict[str, Any] = {
        "group": curve.label,
        "n": _count(curve.n_risk[0]) if curve.n_risk.size else 0,
        "events": _count(curve.n_event.sum()),
        "median": _median_json(median_survival(curve, method)),
        "at": at_rows,
        "steps": steps,
    }
    if probs is not None:
        out["quantiles"] = [
            {"prob": p, **_median_json(survival_quantile(curve, p, method))} for p in probs
        ]
    if tau is not None:
        r = restricted_mean(curve, tau, conf_level=curve.conf_level)
        out["rmst"] = {
            "tau": r.tau,
            "estimate": r.estimate,
            "se": r.se,
            "lower": r.lower,
            "upper": r.upper,
        }
    return out


def _parse_probs(text: str | None) -> list[float] | None:
    if text is None:
        return None
    out = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not 0 < value < 1:
            raise DataValidationError(
                f"--quantiles: got {part.strip()!r} in {text!r}; expected probabilities "
                "strictly between 0 and 1 separated by commas (e.g. 0.25,0.5,0.75)",
                field="quantiles",
            )
        out.append(value)
    return out


def km_payload(
    data: Path,
    time: str,
    event: str,
    group: str | None = None,
    conf_type: str = "log",
    median_ci: str = "r",
    at: str | None = None,
    event_value: float | None = None,
    *,
    start: str | None = None,
    weights: str | None = None,
    conf_level: float = 0.95,
    quantiles: str | None = None,
    rmst: float | None = None,
    timefix: bool = True,
) -> dict[str, Any]:
    """Return the ``survival km`` JSON (the fixed contract plus ``n_dropped``).

    ``start`` and ``weights`` name columns of entry times ((start, time] rows, delayed entry)
    and case weights; ``quantiles`` adds a ``quantiles`` list per group, ``rmst`` a restricted
    mean to that time; ``timefix`` merges times equal up to rounding (R's default).
    """
    from hcctrial.stats.kaplan_meier import ConfType, kaplan_meier, kaplan_meier_by_group
    from hcctrial.stats.km_quantiles import MedianCIMethod

    try:
        ct = ConfType(conf_type)
    except ValueError:
        raise DataValidationError(
            f"--conf-type: got {conf_type!r}; expected log, log-log or plain", field="conf_type"
        ) from None
    try:
        method = MedianCIMethod(median_ci)
    except ValueError:
        raise DataValidationError(
            f"--median-ci: got {median_ci!r}; expected r or spss", field="median_ci"
        ) from None
    times = _parse_times(at)
    probs = _parse_probs(quantiles)
    if not (math.isfinite(conf_level) and 0 < conf_level < 1):
        raise DataValidationError(
            f"--conf-level: got {conf_level!r}; expected a level between 0 and 1, e.g. 0.95",
            field="conf_level",
        )
    if rmst is not None and not (math.isfinite(rmst) and rmst > 0):
        raise DataValidationError(f"--rmst: got {rmst!r}; expected a time > 0", field="rmst")
    if start or weights:
        curves, dropped = _counting_curves(
            data, time, event, group, start, weights, event_value, ct, conf_level, timefix
        )
    else:
        t, e, (g,), dropped = load_survival_csv(data, time, event, [group], event_value)
        curves = (
            (kaplan_meier(t, e, conf_type=ct, conf_level=conf_level, timefix=timefix),)
            if g is None
            else kaplan_meier_by_group(
                t,
                e,
                g,
                conf_type=ct,
                conf_level=conf_level,
                group_name=group or "group",
                timefix=timefix,
            )
        )
    return {
        "conf_type": ct.value,
        "conf_level": conf_level,
        "median_ci_method": method.value,
        "n_dropped": dropped,
        "timefix": timefix,
        "start": start,
        "weights": weights,
        "groups": [_curve_json(c, method.value, times, probs, rmst) for c in curves],
    }


def _counting_curves(
    data: Path,
    time: str,
    event: str,
    group: str | None,
    start: str | None,
    weights: str | None,
    event_value: float | None,
    ct: Any,
    conf_level: float,
    timefix: bool,
) -> tuple[tuple[KaplanMeierCurve, ...], int]:
    """Kaplan-Meier of (start, time] rows and/or case weights read from the CSV."""
    from hcctrial.cli.survival_cox import _read_model_rows
    from hcctrial.stats.km_counting import kaplan_meier_rows

    extra = {"strata": group, "start": start, "weights": weights}
    _table, keep, cols, _ = _read_model_rows(data, time, event, [], extra, [], event_value)
    curves = kaplan_meier_rows(
        cols["time"],
        cols["event"],
        start=cols.get("start"),
        weights=cols.get("weights"),
        group=cols.get("strata"),
        conf_type=ct,
        conf_level=conf_level,
        timefix=timefix,
        group_name=group or "group",
    )
    return curves, int((~keep).sum())


def _fmt(x: float | None) -> str:
    return "NR" if x is None else f"{x:.4g}"


@app.command("km")
def km_command(
    data: Annotated[Path, _DATA],
    time: Annotated[str, _TIME],
    event: Annotated[str, _EVENT],
    group: Annotated[str | None, typer.Option("--group", help="Column to split by.")] = None,
    conf_type: Annotated[
        str,
        typer.Option("--conf-type", help="Pointwise CI scale: log (R's default), log-log, plain."),
    ] = "log",
    median_ci: Annotated[
        str, typer.Option("--median-ci", help="Median CI rule: r (quantile.survfit) or spss.")
    ] = "r",
    at: Annotated[
        str | None, typer.Option("--at", help="Times for S(t), comma-separated, e.g. 180,365.")
    ] = None,
    event_value: Annotated[float | None, _EVENT_VALUE] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Column of entry times: (start, time] rows.")
    ] = None,
    weights: Annotated[
        str | None, typer.Option("--weights", help="Column of case weights (> 0).")
    ] = None,
    conf_level: Annotated[
        float, typer.Option("--conf-level", help="Confidence level of every CI, e.g. 0.95.")
    ] = 0.95,
    quantiles: Annotated[
        str | None,
        typer.Option("--quantiles", help="Quantiles with CIs, comma-separated: 0.25,0.5,0.75."),
    ] = None,
    rmst: Annotated[
        float | None, typer.Option("--rmst", help="Restricted mean survival time up to TAU.")
    ] = None,
    no_timefix: Annotated[
        bool, typer.Option("--no-timefix", help="Do not merge times equal up to rounding.")
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Kaplan-Meier curves with the median (and CI) and S(t) at chosen times."""
    from hcctrial.cli.main import emit

    result = km_payload(
        data,
        time,
        event,
        group,
        conf_type,
        median_ci,
        at,
        event_value,
        start=start,
        weights=weights,
        conf_level=conf_level,
        quantiles=quantiles,
        rmst=rmst,
        timefix=not no_timefix,
    )
    lines = [
        f"Kaplan-Meier ({result['conf_type']} CI, median CI by {result['median_ci_method']}); "
        f"{result['n_dropped']} row(s) dropped for missing values"
    ]
    for g in result["groups"]:
        m = g["median"]
        head = "all" if g["group"] is None else f"{group}={g['group']}"
        lines.append(
            f"{head}: n={g['n']} events={g['events']} median {_fmt(m['estimate'])} "
            f"(95% CI {_fmt(m['lower'])}-{_fmt(m['upper'])})"
        )
        for a in g["at"]:
            lines.append(
                f"  S({a['time']:g}) = {a['surv']:.4f} (SE {_fmt(a['se'])}, 95% CI "
                f"{_fmt(a['lower'])}-{_fmt(a['upper'])}), at risk {a['n_risk']}"
            )
        for q in g.get("quantiles", []):
            lines.append(
                f"  quantile {q['prob']:g}: {_fmt(q['estimate'])} "
                f"(CI {_fmt(q['lower'])}-{_fmt(q['upper'])})"
            )
        if "rmst" in g:
            r = g["rmst"]
            lines.append(
                f"  RMST to {r['tau']:g}: {r['estimate']:.4g} (SE {r['se']:.4g}, CI "
                f"{r['lower']:.4g}-{r['upper']:.4g})"
            )
        if m.get("note"):
            lines.append(f"  note: {m['note']}")
    emit(result, as_json, "\n".join(lines))


def logrank_payload(
    data: Path,
    time: str,
    event: str,
    group: str,
    strata: str | None = None,
    rho: float = 0.0,
    event_value: float | None = None,
    trend: bool = False,
) -> dict[str, Any]:
    """Return the ``survival logrank`` JSON (the fixed contract plus n, variance, rho, strata)."""
    from hcctrial.stats.logrank import logrank_test, logrank_trend_test

    t, e, (g, s), dropped = load_survival_csv(data, time, event, [group, strata], event_value)
    r = logrank_test(t, e, g, s, rho=rho, group_name=group, strata_name=strata or "strata")
    out: dict[str, Any] = {
        "chisq": r.chisq,
        "df": r.df,
        "p": r.p,
        "groups": list(r.groups),
        "observed": list(r.observed),
        "expected": list(r.expected),
        "n": list(r.n),
        "variance": [list(row) for row in r.variance],
        "rho": r.rho,
        "strata": strata,
        "n_strata": None if r.strata is None else len(r.strata),
        "n_dropped": dropped,
    }
    if trend:
        tr = logrank_trend_test(r)
        out["trend"] = {
            "scores": list(tr.scores),
            "z": tr.z,
            "chisq": tr.chisq,
            "df": tr.df,
            "p": tr.p,
        }
    return out


@app.command("logrank")
def logrank_command(
    data: Annotated[Path, _DATA],
    time: Annotated[str, _TIME],
    event: Annotated[str, _EVENT],
    group: Annotated[str, typer.Option("--group", help="Column with the groups to compare.")],
    strata: Annotated[str | None, typer.Option("--strata", help="Column to stratify by.")] = None,
    rho: Annotated[
        float, typer.Option("--rho", help="Fleming-Harrington S(t-)^rho: 0 log-rank, 1 Peto.")
    ] = 0.0,
    trend: Annotated[
        bool, typer.Option("--trend", help="Add the trend test (scores 1..k in level order).")
    ] = False,
    event_value: Annotated[float | None, _EVENT_VALUE] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Log-rank test of k groups (stratified, Fleming-Harrington rho), as R's survdiff."""
    from hcctrial.cli.main import emit

    r = logrank_payload(data, time, event, group, strata, rho, event_value, trend)
    lines = [
        f"{'Log-rank' if rho == 0 else f'Fleming-Harrington rho={rho:g}'} test by {group}"
        + (f", stratified by {strata}" if strata else "")
    ]
    for lab, n, o, ex in zip(r["groups"], r["n"], r["observed"], r["expected"], strict=True):
        lines.append(f"  {group}={lab}: n={n} observed={o:.4g} expected={ex:.4g}")
    lines.append(f"chisq = {r['chisq']:.4g} on {r['df']} df, p = {r['p']:.4g}")
    if trend:
        lines.append(f"trend: chisq = {r['trend']['chisq']:.4g} on 1 df, p = {r['trend']['p']:.4g}")
    emit(r, as_json, "\n".join(lines))


# The survival models beside KM/log-rank/Cox (cif, crr, rmst, survreg, nelson-aalen) live in
# hcctrial.cli.survival_models and survival_survreg; their commands are registered here.
def _register_models() -> None:
    from hcctrial.cli.survival_models import app as models_app
    from hcctrial.cli.survival_survreg import app as survreg_app

    for sub in (models_app, survreg_app):
        for command in sub.registered_commands:
            app.registered_commands.append(command)


_register_models()
