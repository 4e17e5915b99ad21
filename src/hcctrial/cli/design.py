"""``hcctrial design ...``: sample sizes of phase II/III designs and simulated operating characteristics.

Every command prints a readable summary with its formula and reference, or one JSON object with
``--json``. Alphas of one-sided designs are one-sided; ``--sides 2`` splits alpha over both tails.

``single-arm`` and ``one-sample-logrank`` read the design of the statistical analysis plan
(``[design]``; ``--sap FILE``, default the seed plan) when their required flags are left out, or
with ``--sap``; flags given beside ``--sap`` override the plan's values. The JSON then names the
plan (``plan``).
Bad input raises :class:`hcctrial.errors.DataValidationError` naming the flag (exit code 2).
numpy/scipy are imported inside the commands so that ``hcctrial --help`` stays fast.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)

_JSON = typer.Option("--json", help="Print the result as one JSON object.")
_ALPHA = typer.Option(help="Type I error (one-sided unless --sides 2), in (0, 0.5).")
_POWER = typer.Option(help="Power, in (0.5, 1).")
_SIDES = typer.Option(help="1: alpha is one-sided; 2: alpha is split over two tails.")


def _emit(result: dict[str, Any], as_json: bool, text: str) -> None:
    from hcctrial.cli.main import emit

    emit(result, as_json, text)


def _positive(value: float, flag: str) -> None:
    from hcctrial.stats.design_survival import check_positive

    check_positive(value, flag)


_SAP = typer.Option(
    "--sap",
    help="Read the design from this statistical analysis plan (a .toml file or bundled plan "
    "name); used by default when the required flags are left out (the seed plan).",
)


_COMMAND = {"single-arm-normal": "single-arm", "one-sample-logrank": "one-sample-logrank"}


def _plan_design(sap: str | None, method: str) -> tuple[Any, dict[str, str]]:
    """Return the ``[design]`` of the plan ``sap`` (default: the seed plan) if its method is
    ``method``, with the plan's reference; else raise naming the method found."""
    from hcctrial.analysis.plan import load_plan
    from hcctrial.errors import DataValidationError

    pf = load_plan(sap)
    d = pf.plan.design
    if d.method != method:
        raise DataValidationError(
            f"--sap: the design of plan {pf.path} is {d.method!r}; expected {method!r} "
            f"(use `hcctrial design {_COMMAND[d.method]}`)",
            field="sap",
        )
    return d, pf.reference()


def _pick(flag: Any, planned: Any, default: Any) -> Any:
    return flag if flag is not None else (planned if planned is not None else default)


@app.command("single-arm")
def single_arm_command(
    p0: Annotated[
        float | None, typer.Option("--p0", help="Uninteresting rate (H0), e.g. 0.3.")
    ] = None,
    p1: Annotated[float | None, typer.Option("--p1", help="Target rate (H1), e.g. 0.5.")] = None,
    alpha: Annotated[float | None, _ALPHA] = None,
    power: Annotated[float | None, _POWER] = None,
    sides: Annotated[int | None, _SIDES] = None,
    dropout: Annotated[
        float | None, typer.Option(help="Drop-out proportion, in [0, 1) (default 0).")
    ] = None,
    dropout_rule: Annotated[
        str | None,
        typer.Option(help="divide: n/(1-d) (default); multiply: n(1+d), the paper's rule."),
    ] = None,
    variance: Annotated[
        str | None,
        typer.Option(help="null_alt (default: p0 on z_alpha, p1 on z_beta), null or alt."),
    ] = None,
    sap: Annotated[str | None, _SAP] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Single-arm binary endpoint, normal approximation (the seed paper's formula).

    n = [z_{1-a/s} sqrt(p0 q0) + z_{1-b} sqrt(p1 q1)]^2 / (p1 - p0)^2 (Fleiss 2003; A'Hern 2001 eq. 1).
    The paper's 60 and 66: --p0 0.3 --p1 0.5 --alpha 0.05 --power 0.9 --sides 2 --dropout 0.1
    --dropout-rule multiply -- or no flag at all: the seed plan's design. With --p0 and --p1 and
    no --sap the defaults are alpha 0.05, power 0.9, one-sided alpha, drop-out 0 (rule divide).
    """
    from hcctrial.errors import DataValidationError
    from hcctrial.stats.design_binary import single_arm_normal

    planned: Any = None
    reference: dict[str, str] | None = None
    if sap is not None or (p0 is None and p1 is None):
        planned, reference = _plan_design(sap, "single-arm-normal")
    elif p0 is None or p1 is None:
        missing = "--p0" if p0 is None else "--p1"
        raise DataValidationError(
            f"{missing}: missing; expected both --p0 and --p1, or neither to read the plan's "
            "design",
            field=missing.strip("-"),
        )

    def get(flag: Any, name: str, default: Any) -> Any:
        return _pick(flag, None if planned is None else getattr(planned, name), default)

    p0, p1 = get(p0, "p0", None), get(p1, "p1", None)
    alpha, power = get(alpha, "alpha", 0.05), get(power, "power", 0.9)
    sides, dropout = get(sides, "sides", 1), get(dropout, "dropout", 0.0)
    dropout_rule = get(dropout_rule, "dropout_rule", "divide")
    variance = get(variance, "variance", "null_alt")
    assert p0 is not None and p1 is not None

    d = single_arm_normal(
        p0,
        p1,
        alpha,
        power,
        sides=sides,
        variance=variance,
        dropout=dropout,
        dropout_rule=dropout_rule,
    )
    result: dict[str, Any] = {
        "n": d.n,
        "n_unrounded": d.n_unrounded,
        "n_enrolled": d.n_enrolled,
        "method": d.method,
    }
    source = ""
    if reference is not None:
        result["plan"] = reference
        source = (
            f"  design of plan {reference['id']} {reference['version']} ({reference['file']})\n"
        )
    text = (
        f"Single-arm design, normal approximation (Fleiss 2003; A'Hern 2001 eq. 1)\n{source}"
        f"  n = [z_(1-a/{sides}) sqrt(p0 q0) + z_(1-b) sqrt(p1 q1)]^2 / (p1 - p0)^2  "
        f"(variance convention {d.variance.value})\n"
        f"    = [{d.z_alpha:.5f} sqrt({p0:g}*{1 - p0:g}) + {d.z_beta:.5f} sqrt({p1:g}*{1 - p1:g})]^2"
        f" / {p1 - p0:g}^2 = {d.n_unrounded:.3f} -> {d.n} evaluable patients\n"
        f"  drop-out {dropout:g} ({d.dropout_rule.value}"
        f"{': n/(1-d)' if d.dropout_rule.value == 'divide' else ': n(1+d)'}) -> enrol {d.n_enrolled}"
    )
    _emit(result, as_json, text)


@app.command("exact")
def exact_command(
    p0: Annotated[float, typer.Option("--p0", help="Uninteresting rate (H0).")],
    p1: Annotated[float, typer.Option("--p1", help="Target rate (H1).")],
    alpha: Annotated[float, typer.Option(help="One-sided type I error, in (0, 0.5).")] = 0.05,
    power: Annotated[float, _POWER] = 0.9,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Exact single-stage binomial design (A'Hern 2001, Stat Med 20:859).

    The least n with a critical value r: P(X >= r | p0) <= alpha and P(X >= r | p1) >= power.
    Reject H0 when at least r of n respond.
    """
    from hcctrial.stats.design_binary import exact_single_stage

    d = exact_single_stage(p0, p1, alpha, power)
    result = {"n": d.n, "r": d.r, "alpha": d.alpha, "power": d.power}
    text = (
        "Exact single-stage binomial design (A'Hern 2001)\n"
        f"  least n with P(X >= r | n, {p0:g}) <= {alpha:g} and P(X >= r | n, {p1:g}) >= {power:g}\n"
        f"  n = {d.n}: reject H0 if at least r = {d.r} respond; "
        f"exact alpha {d.alpha:.5f}, power {d.power:.5f}"
    )
    _emit(result, as_json, text)


def _simon_dict(d: Any) -> dict[str, Any]:
    return {
        "r1": d.r1,
        "n1": d.n1,
        "r": d.r,
        "n": d.n,
        "en_p0": d.en_p0,
        "pet_p0": d.pet_p0,
        "alpha": d.alpha,
        "power": d.power,
    }


@app.command("simon")
def simon_command(
    p0: Annotated[float, typer.Option("--p0", help="Uninteresting response rate (H0).")],
    p1: Annotated[float, typer.Option("--p1", help="Target response rate (H1).")],
    alpha: Annotated[float, typer.Option(help="One-sided type I error, in (0, 0.5).")] = 0.05,
    power: Annotated[float, _POWER] = 0.9,
    nmax: Annotated[
        int, typer.Option(help="Largest total n searched (clinfun default 100).")
    ] = 100,
    admissible: Annotated[
        bool, typer.Option("--admissible", help="Also list the admissible designs.")
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Simon's (1989) optimal and minimax two-stage designs (and admissible ones, Jung 2004).

    Stop after stage 1 if <= r1 responses among n1; reject H0 if > r responses among n
    (Simon 1989, Controlled Clin Trials 10:1; R clinfun::ph2simon). Alpha and power are exact
    and strict (no tolerance).
    """
    from hcctrial.stats.design_binary import simon_two_stage

    d = simon_two_stage(p0, p1, alpha, power, nmax=nmax)
    result: dict[str, Any] = {"optimal": _simon_dict(d.optimal), "minimax": _simon_dict(d.minimax)}
    if admissible:
        result["admissible"] = [_simon_dict(a) for a in d.admissible]
    lines = [
        "Simon two-stage design (Simon 1989): stop if <= r1/n1, reject H0 if > r/n",
        f"  p0 {p0:g}, p1 {p1:g}, one-sided alpha {alpha:g}, power {power:g}, nmax {nmax}",
    ]
    shown = [("optimal", d.optimal), ("minimax", d.minimax)]
    if admissible:
        shown += [("admissible", a) for a in d.admissible]
    for name, x in shown:
        lines.append(
            f"  {name:10s} r1/n1 = {x.r1}/{x.n1}, r/n = {x.r}/{x.n}, EN(p0) {x.en_p0:.2f}, "
            f"PET(p0) {x.pet_p0:.3f}, alpha {x.alpha:.4f}, power {x.power:.4f}"
        )
    _emit(result, as_json, "\n".join(lines))


@app.command("events")
def events_command(
    hr: Annotated[float, typer.Option("--hr", help="Hazard ratio under H1, e.g. 0.577.")],
    alpha: Annotated[float, _ALPHA] = 0.025,
    power: Annotated[float, _POWER] = 0.8,
    sides: Annotated[int, _SIDES] = 1,
    method: Annotated[str, typer.Option(help="schoenfeld (default) or freedman.")] = "schoenfeld",
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Events for a 1:1 two-arm log-rank test (Schoenfeld 1983 or Freedman 1982).

    Schoenfeld: D = 4 (z_a + z_b)^2 / (log HR)^2; Freedman: D = (z_a + z_b)^2 (1 + HR)^2 / (1 - HR)^2.
    """
    from hcctrial.stats.design_survival import events_required

    d = events_required(hr, alpha, power, sides=sides, method=method)
    events = math.ceil(d - 1e-9 * d)
    result = {"events": events, "events_unrounded": d}
    formula = (
        "D = 4 (z_a + z_b)^2 / (log HR)^2 (Schoenfeld 1983, Biometrika 70:499)"
        if method == "schoenfeld"
        else "D = (z_a + z_b)^2 (1 + HR)^2 / (1 - HR)^2 (Freedman 1982, Stat Med 1:121)"
    )
    text = (
        f"Events for a 1:1 log-rank test, HR {hr:g}, {sides}-sided alpha {alpha:g}, power {power:g}\n"
        f"  {formula}\n  = {d:.3f} -> {events} events"
    )
    _emit(result, as_json, text)


@app.command("two-arm")
def two_arm_command(
    median_control: Annotated[float, typer.Option(help="Control median (months).")],
    median_experimental: Annotated[float, typer.Option(help="Experimental median (months).")],
    accrual: Annotated[float, typer.Option(help="Uniform accrual duration A (months).")],
    follow_up: Annotated[float, typer.Option(help="Minimum follow-up F after accrual (months).")],
    alpha: Annotated[float, _ALPHA] = 0.025,
    power: Annotated[float, _POWER] = 0.8,
    sides: Annotated[int, _SIDES] = 1,
    dropout_hazard: Annotated[
        float, typer.Option(help="Exponential drop-out hazard per month (both arms).")
    ] = 0.0,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Two-arm 1:1 exponential design by Lachin & Foulkes (1986), as gsDesign::nSurv.

    N = [z_a sqrt(4/P(lambda_bar)) + z_b sqrt(2/P_c + 2/P_e)]^2 / (log HR)^2, with P the
    probability of an observed event under uniform accrual A, follow-up F and drop-out;
    lambda_bar = (lambda_c + lambda_e)/2; events = N (P_c + P_e)/2.
    """
    from hcctrial.stats.design_survival import lachin_foulkes

    _positive(median_control, "--median-control")
    _positive(median_experimental, "--median-experimental")
    _positive(accrual, "--accrual")
    lc, le = math.log(2) / median_control, math.log(2) / median_experimental
    d = lachin_foulkes(
        lc, le, accrual, follow_up, alpha, power, sides=sides, dropout_hazard=dropout_hazard
    )
    result = {
        "n": d.n,
        "n_unrounded": d.n_unrounded,
        "events": d.events,
        "events_unrounded": d.events_unrounded,
    }
    text = (
        "Two-arm 1:1 design, Lachin & Foulkes (1986, Biometrics 42:507), as gsDesign::nSurv\n"
        f"  medians {median_control:g} vs {median_experimental:g} months: HR {d.hazard_ratio:.4f}; "
        f"accrual {accrual:g}, follow-up {follow_up:g}, drop-out hazard {dropout_hazard:g}\n"
        f"  P(event) control {d.event_probability_control:.4f}, experimental "
        f"{d.event_probability_experimental:.4f}\n"
        "  N = [z_a sqrt(4/P(lambda_bar)) + z_b sqrt(2/P_c + 2/P_e)]^2 / (log HR)^2\n"
        f"  N = {d.n_unrounded:.2f} -> {d.n} patients; events {d.events_unrounded:.2f} -> {d.events}"
    )
    _emit(result, as_json, text)


@app.command("one-sample-logrank")
def one_sample_logrank_command(
    median0: Annotated[
        float | None, typer.Option(help="Median of the historical (null) curve.")
    ] = None,
    hr: Annotated[
        float | None, typer.Option("--hr", help="Hazard ratio under H1 (e.g. 1/1.75).")
    ] = None,
    accrual: Annotated[float | None, typer.Option(help="Uniform accrual duration.")] = None,
    follow_up: Annotated[float | None, typer.Option(help="Follow-up after accrual.")] = None,
    shape: Annotated[
        float | None, typer.Option(help="Weibull shape of the null curve (1 = exp, default).")
    ] = None,
    alpha: Annotated[
        float | None, typer.Option(help="One-sided type I error (default 0.05).")
    ] = None,
    power: Annotated[float | None, typer.Option(help="Power, in (0.5, 1) (default 0.8).")] = None,
    sap: Annotated[str | None, _SAP] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """One-sample log-rank test sample size, Wu (2015, Pharm Stat 14:26), Weibull null curve.

    n = (sqrt(p0) z_(1-a) + sigma z_(1-b))^2 / (p1 - p0)^2 with Wu's exact variance under H1.
    Without --median0, --hr, --accrual and --follow-up: the design of the plan (--sap).
    """
    from hcctrial.errors import DataValidationError
    from hcctrial.stats.design_survival import one_sample_logrank_wu

    required = {"--median0": median0, "--hr": hr, "--accrual": accrual, "--follow-up": follow_up}
    planned: Any = None
    reference: dict[str, str] | None = None
    if sap is not None or all(v is None for v in required.values()):
        planned, reference = _plan_design(sap, "one-sample-logrank")
    else:
        missing = [k for k, v in required.items() if v is None]
        if missing:
            raise DataValidationError(
                f"{missing[0]}: missing; expected {', '.join(required)}, or none of them to "
                "read the plan's design",
                field=missing[0].strip("-"),
            )

    def get(flag: Any, name: str, default: Any) -> Any:
        return _pick(flag, None if planned is None else getattr(planned, name), default)

    median0, hr = get(median0, "median0_months", None), get(hr, "hr", None)
    accrual, follow_up = (
        get(accrual, "accrual_months", None),
        get(follow_up, "follow_up_months", None),
    )
    shape, alpha, power = (
        get(shape, "shape", 1.0),
        get(alpha, "alpha", 0.05),
        get(power, "power", 0.8),
    )
    assert median0 is not None and hr is not None and accrual is not None and follow_up is not None

    n = one_sample_logrank_wu(median0, hr, accrual, follow_up, alpha, power, shape=shape)
    text = (
        "One-sample log-rank test, Wu (2015)\n"
        f"  null Weibull median {median0:g}, shape {shape:g}; HR {hr:g}; accrual {accrual:g}, "
        f"follow-up {follow_up:g}; one-sided alpha {alpha:g}, power {power:g}\n"
        "  n = (sqrt(p0) z_(1-a) + sigma z_(1-b))^2 / omega^2\n"
        f"  n = {n}"
    )
    out: dict[str, Any] = {"n": n}
    if reference is not None:
        out["plan"] = reference
        text += f"\n  design of plan {reference['id']} {reference['version']} ({reference['file']})"
    _emit(out, as_json, text)


@app.command("landmark")
def landmark_command(
    p0: Annotated[float, typer.Option("--p0", help="Null rate S(t0).")],
    p1: Annotated[float, typer.Option("--p1", help="Target rate S(t0).")],
    t0: Annotated[float, typer.Option("--t0", help="Landmark time (months).")],
    accrual: Annotated[float, typer.Option(help="Uniform accrual duration (months).")],
    follow_up: Annotated[float, typer.Option(help="Follow-up after accrual (months).")],
    alpha: Annotated[float, _ALPHA] = 0.05,
    power: Annotated[float, _POWER] = 0.9,
    sides: Annotated[int, _SIDES] = 1,
    dropout_hazard: Annotated[float, typer.Option(help="Drop-out hazard per month.")] = 0.0,
    shape: Annotated[float, typer.Option(help="Weibull shape of the assumed curve.")] = 1.0,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Single-arm landmark design tested with KM S(t0) and its asymptotic (Greenwood) variance.

    n = [z_a s0 + z_b s1]^2 / (p1 - p0)^2, s^2 = S(t0)^2 int_0^t0 lambda(u)/(S(u) G(u)) du
    (the limit of Greenwood's variance; G = censoring survival). Equals the binomial formula when
    nobody is censored before t0.
    """
    from hcctrial.stats.design_survival import landmark_km_design

    d = landmark_km_design(
        p0,
        p1,
        t0,
        accrual,
        follow_up,
        alpha,
        power,
        sides=sides,
        dropout_hazard=dropout_hazard,
        shape=shape,
    )
    result = {
        "n": d.n,
        "n_unrounded": d.n_unrounded,
        "n_binomial": d.n_binomial,
        "variance_null": d.variance_null,
        "variance_alt": d.variance_alt,
    }
    text = (
        "Single-arm landmark design, KM S(t0) with Greenwood variance\n"
        "  n = [z_a s0 + z_b s1]^2 / (p1 - p0)^2, s^2 = S(t0)^2 int lambda/(S G) du\n"
        f"  per-patient variance under p0 {d.variance_null:.4f} (binomial {p0 * (1 - p0):.4f}), "
        f"under p1 {d.variance_alt:.4f} (binomial {p1 * (1 - p1):.4f})\n"
        f"  n = {d.n_unrounded:.2f} -> {d.n} (binomial formula: {d.n_binomial:.2f})"
    )
    _emit(result, as_json, text)


def _model(distribution: str, shape: float, breaks: str | None, hazards: str | None) -> Any:
    """Return a factory (landmark or median -> model) for the chosen event-time distribution."""
    from hcctrial.errors import DataValidationError
    from hcctrial.stats.simulate import Exponential, PiecewiseExponential, Weibull

    def floats(text: str | None, flag: str) -> tuple[float, ...]:
        if not text:
            return ()
        try:
            return tuple(float(x) for x in text.split(","))
        except ValueError:
            raise DataValidationError(
                f"{flag}: got {text!r}; expected comma-separated numbers", field=flag[2:]
            ) from None

    if distribution == "exponential":
        return (
            lambda rate, t0: Exponential.from_landmark(rate, t0),
            lambda median: Exponential.from_median(median),
        )
    if distribution == "weibull":
        _positive(shape, "--shape")
        return (
            lambda rate, t0: Weibull.from_landmark(rate, t0, shape),
            lambda median: Weibull.from_median(median, shape),
        )
    if distribution == "piecewise":
        base = PiecewiseExponential(floats(breaks, "--breaks"), floats(hazards, "--hazards"))

        def from_median(median: float) -> Any:
            return base.scaled_to_landmark(0.5, median)

        return (lambda rate, t0: base.scaled_to_landmark(rate, t0), from_median)
    raise DataValidationError(
        f"--distribution: got {distribution!r}; expected exponential, weibull or piecewise",
        field="distribution",
    )


@app.command("simulate")
def simulate_command(
    design: Annotated[
        str, typer.Option(help="single-arm-landmark or two-arm-logrank.")
    ] = "single-arm-landmark",
    n: Annotated[
        int, typer.Option("--n", help="Patients (two-arm: total, 1:1, even).", max=100_000)
    ] = 66,
    p0: Annotated[float, typer.Option("--p0", help="Landmark design: null rate S(t0).")] = 0.3,
    t0: Annotated[float, typer.Option("--t0", help="Landmark time (months).")] = 12.0,
    true_rate: Annotated[
        float, typer.Option(help="Landmark design: true S(t0) generating the data.")
    ] = 0.3,
    median_control: Annotated[float, typer.Option(help="Two-arm: control median.")] = 7.5,
    median_experimental: Annotated[
        float, typer.Option(help="Two-arm: experimental median.")
    ] = 13.0,
    accrual: Annotated[float, typer.Option(help="Uniform accrual duration (months).")] = 24.0,
    follow_up: Annotated[float, typer.Option(help="Follow-up after accrual (months).")] = 12.0,
    dropout_hazard: Annotated[float, typer.Option(help="Drop-out hazard per month.")] = 0.0,
    alpha: Annotated[
        float, typer.Option(help="ONE-sided level (paper: 0.05 two-sided = 0.025).")
    ] = 0.025,
    distribution: Annotated[
        str, typer.Option(help="exponential, weibull (--shape) or piecewise (--breaks, --hazards).")
    ] = "exponential",
    shape: Annotated[float, typer.Option(help="Weibull shape.")] = 1.0,
    breaks: Annotated[
        str | None, typer.Option(help="Piecewise: change points, e.g. '6' (months).")
    ] = None,
    hazards: Annotated[
        str | None, typer.Option(help="Piecewise: relative hazards per piece, e.g. '1,2'.")
    ] = None,
    trials: Annotated[int, typer.Option(help="Simulated trials.", max=100_000_000)] = 10_000,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (reproducible runs).", min=0)
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")
    ] = True,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Monte Carlo operating characteristics (type I error / power with Monte Carlo SE).

    single-arm-landmark: n patients, uniform accrual, follow-up, exponential drop-out; data from the
    chosen distribution scaled to S(t0) = --true-rate; four one-sided tests of H0: S(t0) <= p0 —
    km (KM + Greenwood Wald), binomial_exact and binomial_normal (evaluable patients only: those
    censored before t0 dropped) and binomial_censored_as_failure. --true-rate = --p0 gives the type I
    error. two-arm-logrank: 1:1, medians give the two curves (proportional hazards for
    piecewise), log-rank test one-sided; compared with Schoenfeld's nominal power at the simulated
    mean number of events. A progress bar shows for runs over 100,000 trials (--no-progress hides).
    """
    from hcctrial.errors import DataValidationError
    from hcctrial.stats.simulate import simulate_landmark, simulate_two_arm

    show = progress and trials > 100_000
    from_landmark, from_median = _model(distribution, shape, breaks, hazards)
    if design == "single-arm-landmark":
        _positive(t0, "--t0")
        if not (0.0 < true_rate < 1.0):
            raise DataValidationError(
                f"--true-rate: got {true_rate!r}; expected a rate in (0, 1)", field="true_rate"
            )
        oc = simulate_landmark(
            n,
            p0,
            t0,
            from_landmark(true_rate, t0),
            accrual=accrual,
            follow_up=follow_up,
            dropout_hazard=dropout_hazard,
            alpha=alpha,
            trials=trials,
            seed=seed,
            progress=show,
        )
        result: dict[str, Any] = {
            "design": design,
            "trials": oc.trials,
            "n": oc.n,
            "p0": p0,
            "t0": t0,
            "true_rate": oc.true_rate,
            "alpha": alpha,
            "seed": seed,
            "tests": {k: {"rate": v.rate, "mc_se": v.mc_se} for k, v in oc.tests.items()},
            "mean_estimate": oc.mean_estimate,
            "mean_estimate_mc_se": oc.mean_estimate_mc_se,
            "mean_censored_before_t0": oc.mean_censored_before_t0,
        }
        what = "type I error" if math.isclose(true_rate, p0) else "power"
        lines = [
            f"Single-arm landmark design: {trials} simulated trials of {n} patients (seed {seed})",
            f"  H0: S({t0:g}) <= {p0:g}, one-sided alpha {alpha:g}; true S({t0:g}) = "
            f"{oc.true_rate:.4f} ({distribution}); accrual {accrual:g}, follow-up {follow_up:g}, "
            f"drop-out hazard {dropout_hazard:g}",
            f"  mean KM estimate {oc.mean_estimate:.4f} (MC SE {oc.mean_estimate_mc_se:.4f}); "
            f"mean censored before t0 {oc.mean_censored_before_t0:.2f}",
        ]
        for k, v in oc.tests.items():
            lines.append(f"  {what} {k:30s} {v.rate:.4f} (MC SE {v.mc_se:.4f})")
        _emit(result, as_json, "\n".join(lines))
        return
    if design == "two-arm-logrank":
        from scipy.stats import norm

        if n < 2 or n % 2:
            raise DataValidationError(
                f"--n: got {n!r}; expected an even total (1:1 allocation)", field="n"
            )
        _positive(median_control, "--median-control")
        _positive(median_experimental, "--median-experimental")
        control, experimental = from_median(median_control), from_median(median_experimental)
        oc2 = simulate_two_arm(
            n // 2,
            control,
            experimental,
            accrual=accrual,
            follow_up=follow_up,
            dropout_hazard=dropout_hazard,
            alpha=alpha,
            trials=trials,
            seed=seed,
            progress=show,
        )
        if distribution == "piecewise":
            hr = experimental.hazards[0] / control.hazards[0]
        elif distribution == "weibull":
            hr = (median_control / median_experimental) ** shape
        else:
            hr = median_control / median_experimental
        nominal = (
            float(
                norm.cdf(math.sqrt(oc2.mean_events / 4.0) * abs(math.log(hr)) - norm.ppf(1 - alpha))
            )
            if hr != 1
            else alpha
        )
        result = {
            "design": design,
            "trials": oc2.trials,
            "n": n,
            "alpha": alpha,
            "seed": seed,
            "hazard_ratio": hr,
            "reject": {"rate": oc2.reject.rate, "mc_se": oc2.reject.mc_se},
            "mean_events": oc2.mean_events,
            "schoenfeld_power": nominal,
        }
        text = (
            f"Two-arm log-rank design: {trials} simulated trials of {n} patients (seed {seed})\n"
            f"  medians {median_control:g} vs {median_experimental:g} (HR {hr:.4f}), one-sided "
            f"alpha {alpha:g}\n"
            f"  rejection rate {oc2.reject.rate:.4f} (MC SE {oc2.reject.mc_se:.4f}); mean events "
            f"{oc2.mean_events:.1f}; Schoenfeld's power at that many events {nominal:.4f}"
        )
        _emit(result, as_json, text)
        return
    raise DataValidationError(
        f"--design: got {design!r}; expected single-arm-landmark or two-arm-logrank",
        field="design",
    )
