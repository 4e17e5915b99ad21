"""``hcctrial survival cif|crr|rmst|nelson-aalen``: the survival models beside KM and Cox
(``survreg``: :mod:`hcctrial.cli.survival_survreg`).

Registered on the ``survival`` group by :mod:`hcctrial.cli.survival` (as the Cox command). Input as
the other survival commands: any column names; a row with a missing value (``NA`` or empty) in a
column the analysis uses is dropped (R's ``na.omit``, counted in ``n_dropped``); a missing column,
a non-numeric or negative time, or a bad event code is an error naming the column and the file
line (the header is line 1), exit code 2. The event column of ``cif`` and ``crr`` codes
0 censored, 1 the event of interest (or ``--cause``), 2, 3, ... competing events. numpy/scipy are
imported inside the commands so that ``hcctrial --help`` stays fast.
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

    from hcctrial.stats.data import CsvTable

__all__ = [
    "app",
    "cif_payload",
    "crr_payload",
    "load_status_csv",
    "nelson_aalen_payload",
    "rmst_payload",
]

app = typer.Typer(no_args_is_help=True, add_completion=False)

_DATA = typer.Argument(help="CSV file with a header row.", exists=False)
_TIME = typer.Option("--time", help="Column with the follow-up time (>= 0).")
_JSON = typer.Option("--json", help="Print the result as one JSON object.")
_GROUP = typer.Option("--group", help="Column to split by.")


def _num(x: float | None) -> float | None:
    """JSON-ready number: NaN/inf (R's NA) -> None."""
    return None if x is None or not math.isfinite(x) else float(x)


def _rows_checked(
    table: CsvTable, time: str, event: str, used: list[str]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return (rows kept, time, event) with the time and event cells checked in kept rows."""
    from hcctrial.cli.survival_columns import kept_times

    keep, t_all = kept_times(table, time, used)
    return keep, t_all, table.numeric(event)


def _status_checked(
    table: CsvTable, time: str, event: str, used: list[str]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Return (rows kept, time, status) of the kept rows, status checked as 0, 1, 2, ..."""
    import numpy as np

    keep, t_all, e_all = _rows_checked(table, time, event, used)
    e0 = np.where(keep, e_all, 0.0)
    bad = keep & (~np.isfinite(e0) | (e0 < 0) | (e0 != np.round(e0)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"column {event!r}: line {table.line(i)} has {table.require(event)[i]!r}; expected 0 "
            "(censored), 1 (event of interest) or 2, 3, ... (competing events)",
            field=event,
        )
    return keep, t_all[keep], e_all[keep].astype(np.int64)


def load_status_csv(
    path: Path, time: str, event: str, labels: list[str | None]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], list[Any], int]:
    """Return (time, status 0/1/2/..., label columns, rows dropped) from a competing-risks CSV."""
    from hcctrial.stats.data import read_csv_table

    table = read_csv_table(path)
    keep, t, s = _status_checked(table, time, event, [time, event] + [c for c in labels if c])
    columns = [None if c is None else table.text(c, keep) for c in labels]
    return t, s, columns, int((~keep).sum())


def _parse_times(text: str | None, option: str = "--at") -> list[float]:
    if not text:
        return []
    out = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise DataValidationError(
                f"{option}: got {part.strip()!r} in {text!r}; expected times separated by commas",
                field=option.lstrip("-"),
            ) from None
        if not math.isfinite(value) or value < 0:
            raise DataValidationError(
                f"{option}: got {part.strip()!r}; expected a finite time >= 0",
                field=option.lstrip("-"),
            )
        out.append(value)
    return out


def _check_level(conf_level: float) -> float:
    if not 0.0 < conf_level < 1.0:
        raise DataValidationError(
            f"--conf-level: got {conf_level!r}; expected a level between 0 and 1 (e.g. 0.95)",
            field="conf_level",
        )
    return conf_level


def cif_payload(
    data: Path,
    time: str,
    event: str,
    group: str | None = None,
    at: str | None = None,
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """Return the ``survival cif`` JSON: per (group, cause) the Aalen-Johansen steps and F(t) at
    the ``--at`` times; Gray's test of cause 1 across the groups (null without ``--group``)."""
    from hcctrial.stats.competing_risks import (
        cumulative_incidence_by_group,
        gray_test,
        incidence_at,
    )

    times = _parse_times(at)
    t, s, (g,), dropped = load_status_csv(data, time, event, [group])
    if not (s > 0).any():
        raise DataValidationError(
            f"column {event!r}: no events (every kept row is 0 = censored); nothing to estimate",
            field=event,
        )
    curves = cumulative_incidence_by_group(
        t, s, g, conf_level=_check_level(conf_level), group_name=group or "group"
    )
    groups = []
    for c in curves:
        steps = [
            {
                "time": float(c.time[i]),
                "cif": float(c.cif[i]),
                "se": float(c.std_err[i]),
                "lower": _num(float(c.lower[i])),
                "upper": _num(float(c.upper[i])),
            }
            for i in range(c.time.shape[0])
        ]
        at_rows = [
            {"time": a.time, "cif": a.cif, "se": a.std_err, "lower": a.lower, "upper": a.upper}
            for a in incidence_at(c, times)
        ]
        groups.append(
            {
                "group": c.label,
                "cause": c.cause,
                "n": c.n,
                "events": c.events,
                "steps": steps,
                "at": at_rows,
            }
        )
    gray: dict[str, Any] | None = None
    if g is not None and len(set(g.tolist())) < 2:
        gray = {
            "chisq": None,
            "df": 0,
            "p": None,
            "cause": 1,
            "rho": 0.0,
            "note": f"column {group!r} has one group; Gray's test needs two or more",
        }
    elif g is not None:
        gt = gray_test(t, s, g, 1, group_name=group or "group")
        gray = {
            "chisq": gt.chisq,
            "df": gt.df,
            "p": gt.p,
            "cause": 1,
            "rho": gt.rho,
            "note": gt.note,
        }
    return {
        "estimator": "aalen-johansen",
        "variance": "cmprsk::cuminc (Gray's delta method)",
        "conf_type": "log-log",
        "conf_level": conf_level,
        "n_dropped": dropped,
        "groups": groups,
        "gray_test": gray,
    }


def _fmt(x: float | None) -> str:
    return "NA" if x is None else f"{x:.4g}"


@app.command("cif")
def cif_command(
    data: Annotated[Path, _DATA],
    time: Annotated[str, _TIME],
    event: Annotated[
        str,
        typer.Option("--event", help="Column: 0 censored, 1 event of interest, 2.. competing."),
    ],
    group: Annotated[str | None, _GROUP] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Times for F(t), comma-separated, e.g. 6,12.")
    ] = None,
    conf_level: Annotated[float, typer.Option("--conf-level", help="CI level.")] = 0.95,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Cumulative incidence with competing risks (Aalen-Johansen) and Gray's test."""
    from hcctrial.cli.main import emit

    res = cif_payload(data, time, event, group, at, conf_level)
    lines = [
        f"Cumulative incidence (Aalen-Johansen; cmprsk variance, log-log {conf_level:g} CI); "
        f"{res['n_dropped']} row(s) dropped for missing values"
    ]
    for g in res["groups"]:
        head = "all" if g["group"] is None else f"{group}={g['group']}"
        last = g["steps"][-1] if g["steps"] else None
        lines.append(
            f"{head}, cause {g['cause']}: n={g['n']} events={g['events']}"
            + (f", F({last['time']:g}) = {last['cif']:.4f}" if last else "")
        )
        for a in g["at"]:
            lines.append(
                f"  F({a['time']:g}) = {_fmt(a['cif'])} (SE {_fmt(a['se'])}, CI "
                f"{_fmt(a['lower'])}-{_fmt(a['upper'])})"
            )
    if res["gray_test"] is not None:
        gt = res["gray_test"]
        lines.append(
            f"Gray's test (cause 1): chisq = {_fmt(gt['chisq'])} on {gt['df']} df, "
            f"p = {_fmt(gt['p'])}"
        )
    emit(res, as_json, "\n".join(lines))


def _covariate_list(covariates: str) -> list[str]:
    covs = [c.strip() for c in covariates.split(",") if c.strip()]
    if not covs:
        raise DataValidationError(
            f"--covariates: got {covariates!r}; expected column names separated by commas",
            field="covariates",
        )
    return covs


def crr_payload(
    data: Path,
    time: str,
    event: str,
    covariates: str,
    cause: int = 1,
    reference: list[str] | None = None,
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """Return the ``survival crr`` JSON: Fine-Gray terms with the keys of ``survival cox``'s."""
    from hcctrial.stats.data import read_csv_table
    from hcctrial.stats.design_matrix import design_matrix, parse_reference
    from hcctrial.stats.fine_gray import fine_gray

    covs = _covariate_list(covariates)
    if cause < 1:
        raise DataValidationError(
            f"--cause: got {cause}; expected a cause code 1, 2, ...", field="cause"
        )
    table = read_csv_table(data)
    keep, t, s = _status_checked(table, time, event, [time, event, *covs])
    columns: dict[str, Any] = {
        c: table.numeric(c, keep) if table.is_numeric(c) else table.text(c, keep) for c in covs
    }
    dm = design_matrix(columns, covs, parse_reference(reference))
    fit = fine_gray(t, s, dm.matrix, dm.names, cause=cause, conf_level=_check_level(conf_level))
    chisq, df, p = fit.lr_test
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
        "model": "fine-gray (cmprsk::crr)",
        "cause": fit.cause,
        "loglik_null": fit.loglik_null,
        "loglik": fit.loglik,
        "lr_test": {"chisq": chisq, "df": df, "p": p},
        "variance": [list(row) for row in fit.vcov],
        "reference_levels": {k: v[0] for k, v in dm.levels.items()},
        "conf_level": conf_level,
        "n": fit.n,
        "n_events": fit.n_events,
        "n_competing": fit.n_competing,
        "n_dropped": int((~keep).sum()),
        "converged": fit.converged,
        "iterations": fit.iterations,
    }


@app.command("crr")
def crr_command(
    data: Annotated[Path, _DATA],
    time: Annotated[str, _TIME],
    event: Annotated[
        str, typer.Option("--event", help="Column: 0 censored, 1.. the cause of the event.")
    ],
    covariates: Annotated[
        str, typer.Option("--covariates", help="Covariate columns, comma-separated.")
    ],
    cause: Annotated[int, typer.Option("--cause", help="Code of the event of interest.")] = 1,
    reference: Annotated[
        list[str] | None,
        typer.Option("--reference", help="Reference level of a text column, COLUMN=LEVEL."),
    ] = None,
    conf_level: Annotated[float, typer.Option("--conf-level", help="CI level.")] = 0.95,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Fine-Gray subdistribution-hazards regression (as R cmprsk::crr)."""
    from hcctrial.cli.main import emit

    res = crr_payload(data, time, event, covariates, cause, reference, conf_level)
    lines = [
        f"Fine-Gray regression of cause {res['cause']}: n = {res['n']}, events = "
        f"{res['n_events']}, competing = {res['n_competing']}, dropped (missing) = "
        f"{res['n_dropped']}",
        f"{'term':<24}{'coef':>10}{'se':>10}{'sHR':>10}{'CI':>22}{'p':>11}",
    ]
    for t in res["terms"]:
        ci = f"{_fmt(t['lower'])}-{_fmt(t['upper'])}"
        lines.append(
            f"{t['name']:<24}{_fmt(t['coef']):>10}{_fmt(t['se']):>10}{_fmt(t['hr']):>10}"
            f"{ci:>22}{_fmt(t['p']):>11}"
        )
    lr = res["lr_test"]
    lines.append(
        f"Pseudo likelihood-ratio test: chisq = {_fmt(lr['chisq'])} on {lr['df']} df, "
        f"p = {_fmt(lr['p'])}" + ("" if res["converged"] else " (NOT CONVERGED)")
    )
    emit(res, as_json, "\n".join(lines))


_EVENT01 = typer.Option("--event", help="Column with the event indicator (1 event, 0 censored).")
_EVENT_VALUE = typer.Option(
    "--event-value", help="Value of --event that means 'event' (others censored), e.g. 2."
)


def nelson_aalen_payload(
    data: Path,
    time: str,
    event: str,
    group: str | None = None,
    event_value: float | None = None,
    conf_level: float = 0.95,
    timefix: bool = True,
) -> dict[str, Any]:
    """Return the ``survival nelson-aalen`` JSON: per group the steps of H(t) with SE and CI."""
    from hcctrial.cli.survival import load_survival_csv
    from hcctrial.stats.nelson_aalen import nelson_aalen, nelson_aalen_by_group

    level = _check_level(conf_level)
    t, e, (g,), dropped = load_survival_csv(data, time, event, [group], event_value)
    curves = (
        (nelson_aalen(t, e, conf_level=level, timefix=timefix),)
        if g is None
        else nelson_aalen_by_group(
            t, e, g, conf_level=level, group_name=group or "group", timefix=timefix
        )
    )
    return {
        "estimator": "nelson-aalen (R survfit ctype = 1)",
        "conf_level": level,
        "timefix": timefix,
        "n_dropped": dropped,
        "groups": [
            {
                "group": c.label,
                "n": c.n,
                "events": c.events,
                "steps": [
                    {
                        "time": float(c.time[i]),
                        "n_risk": int(c.n_risk[i]),
                        "n_event": int(c.n_event[i]),
                        "n_censor": int(c.n_censor[i]),
                        "cumhaz": float(c.cumhaz[i]),
                        "se": float(c.std_err[i]),
                        "lower": float(c.lower[i]),
                        "upper": float(c.upper[i]),
                    }
                    for i in range(c.time.shape[0])
                ],
            }
            for c in curves
        ],
    }


@app.command("nelson-aalen")
def nelson_aalen_command(
    data: Annotated[Path, _DATA],
    time: Annotated[str, _TIME],
    event: Annotated[str, _EVENT01],
    group: Annotated[str | None, _GROUP] = None,
    event_value: Annotated[float | None, _EVENT_VALUE] = None,
    conf_level: Annotated[float, typer.Option("--conf-level", help="CI level.")] = 0.95,
    no_timefix: Annotated[
        bool, typer.Option("--no-timefix", help="Do not merge times equal up to rounding (R's).")
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Nelson-Aalen cumulative hazard with its variance (as R survfit, ctype = 1)."""
    from hcctrial.cli.main import emit

    res = nelson_aalen_payload(
        data, time, event, group, event_value, conf_level, timefix=not no_timefix
    )
    lines = [
        f"Nelson-Aalen cumulative hazard; {res['n_dropped']} row(s) dropped for missing values"
    ]
    for g in res["groups"]:
        head = "all" if g["group"] is None else f"{group}={g['group']}"
        last = g["steps"][-1]
        lines.append(
            f"{head}: n={g['n']} events={g['events']}, H({last['time']:g}) = "
            f"{last['cumhaz']:.4g} (SE {last['se']:.4g})"
        )
    emit(res, as_json, "\n".join(lines))


def rmst_payload(
    data: Path,
    time: str,
    event: str,
    tau: float,
    group: str | None = None,
    event_value: float | None = None,
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """Return the ``survival rmst`` JSON: RMST per group; difference and ratio to the first group."""
    from hcctrial.cli.survival import load_survival_csv
    from hcctrial.stats.rmst import rmst_by_group

    if not math.isfinite(tau) or tau <= 0:
        raise DataValidationError(f"--tau: got {tau!r}; expected a time > 0", field="tau")
    level = _check_level(conf_level)
    t, e, (g,), dropped = load_survival_csv(data, time, event, [group], event_value)
    groups, comps = rmst_by_group(t, e, tau, g, conf_level=level, group_name=group or "group")

    def comp_json(c: Any) -> dict[str, Any]:
        return {
            "group": c.group,
            "reference": c.reference,
            "difference": {
                "estimate": _num(c.difference),
                "se": _num(c.difference_se),
                "lower": _num(c.difference_lower),
                "upper": _num(c.difference_upper),
                "p": _num(c.difference_p),
            },
            "ratio": {
                "estimate": _num(c.ratio),
                "se_log": _num(c.log_ratio_se),
                "lower": _num(c.ratio_lower),
                "upper": _num(c.ratio_upper),
                "p": _num(c.ratio_p),
            },
        }

    comparisons = [comp_json(c) for c in comps]
    return {
        "tau": float(tau),
        "conf_level": level,
        "convention": "survival print(survfit, rmean = tau) per group; survRM2 rmst2 difference "
        "(variance sum) and ratio (log scale, delta method), each group against the first",
        "n_dropped": dropped,
        "groups": [
            {
                "group": x.rmst.label,
                "n": x.n,
                "events": x.events,
                "rmst": x.rmst.estimate,
                "se": x.rmst.se,
                "lower": x.rmst.lower,
                "upper": x.rmst.upper,
                "tau_after_last_time": x.beyond_last,
            }
            for x in groups
        ],
        "comparisons": comparisons,
        "difference": comparisons[0]["difference"] if len(comparisons) == 1 else None,
        "ratio": comparisons[0]["ratio"] if len(comparisons) == 1 else None,
    }


@app.command("rmst")
def rmst_command(
    data: Annotated[Path, _DATA],
    time: Annotated[str, _TIME],
    event: Annotated[str, _EVENT01],
    tau: Annotated[float, typer.Option("--tau", help="Restriction time (same unit as --time).")],
    group: Annotated[str | None, _GROUP] = None,
    event_value: Annotated[float | None, _EVENT_VALUE] = None,
    conf_level: Annotated[float, typer.Option("--conf-level", help="CI level.")] = 0.95,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Restricted mean survival time per group, with the difference and ratio and their CIs."""
    from hcctrial.cli.main import emit

    res = rmst_payload(data, time, event, tau, group, event_value, conf_level)
    lines = [f"RMST to tau = {tau:g}; {res['n_dropped']} row(s) dropped for missing values"]
    for g in res["groups"]:
        head = "all" if g["group"] is None else f"{group}={g['group']}"
        lines.append(
            f"{head}: n={g['n']} events={g['events']} RMST {g['rmst']:.4g} (SE {g['se']:.4g}, "
            f"CI {g['lower']:.4g}-{g['upper']:.4g})"
            + (" [tau after the last time]" if g["tau_after_last_time"] else "")
        )
    for c in res["comparisons"]:
        d, r = c["difference"], c["ratio"]
        lines.append(
            f"{c['group']} vs {c['reference']}: difference {_fmt(d['estimate'])} (CI "
            f"{_fmt(d['lower'])}-{_fmt(d['upper'])}, p = {_fmt(d['p'])}); ratio "
            f"{_fmt(r['estimate'])} (CI {_fmt(r['lower'])}-{_fmt(r['upper'])}, p = {_fmt(r['p'])})"
        )
    emit(res, as_json, "\n".join(lines))
