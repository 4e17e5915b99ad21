"""The one table model of the report and the builders of Tables 1-3.

A :class:`Table` is what every renderer (HTML, Word, CSV) draws: a title, column headers, rows of
already-formatted cells (with an indent level and a flag for section headings), footnotes
(abbreviations, denominators, methods) and a caption. Builders format engine results; Table 1
computes descriptive statistics of the subject rows (n, %, mean, SD, quartiles); every count of an
analysis population and every inferential number (CIs, medians, tests) is a field of the plan's one
result (:class:`hcctrial.analysis.results.AnalysisResults`).

Number conventions: percentages of the stated denominator, rounded half-up to one decimal (the seed
audit's rule: compute from counts, never sum rounded percentages); SD with n - 1 (as SPSS);
quartiles by linear interpolation (numpy's default, R type 7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from hcctrial.analysis.results import AnalysisResults
from hcctrial.report.inputs import BEST_RESPONSES, ReportInputs, SubjectRecord

__all__ = [
    "TRUNCATED",
    "Row",
    "Table",
    "ci_header",
    "fmt_ci",
    "fmt_num",
    "fmt_p",
    "fmt_p_plan",
    "fmt_pct",
    "house_style",
    "n_pct",
    "table1_baseline",
    "table2_response",
    "table3_adverse_events",
]

DASH = "—"

#: The mark of a confidence bound truncated at zero (a Wald interval of a time crossing zero);
#: :func:`house_style` adds :data:`TRUNCATED_NOTE` to every table that shows it.
TRUNCATED = "†"
TRUNCATED_NOTE = (
    f"{TRUNCATED} Lower bound truncated at 0: the Wald interval (estimate ± z·SE) of a time "
    "crosses zero, and a time cannot be negative."
)


@dataclass(frozen=True)
class Row:
    """One table row: ``label`` in the first column, ``cells`` for the others.

    ``indent``: nesting level of the label (0 = top); ``heading``: a section heading row whose
    cells are empty.
    """

    label: str
    cells: tuple[str, ...]
    indent: int = 0
    heading: bool = False


@dataclass(frozen=True)
class Table:
    """A report table. ``columns`` holds every header, the label column's first."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...] = ()
    caption: str = ""

    def cell(self, label: str, column: str, *, occurrence: int = 0) -> str:
        """Return the cell of the ``occurrence``-th row labelled ``label`` under ``column``."""
        j = self.columns.index(column)
        hits = [r for r in self.rows if r.label == label]
        row = hits[occurrence]
        return row.label if j == 0 else row.cells[j - 1]


# --------------------------------------------------------------------------------- formatting
def fmt_num(x: float | None, digits: int = 1) -> str:
    """Return ``x`` rounded half-up to ``digits`` decimals (None -> an em dash)."""
    if x is None:
        return DASH
    q = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def fmt_pct(count: int, denominator: int, digits: int = 1) -> str:
    """Return 100 count / denominator rounded half-up (``"0.0"`` for an empty denominator)."""
    if denominator <= 0:
        return DASH
    return fmt_num(100.0 * count / denominator, digits)


def n_pct(count: int, denominator: int) -> str:
    """Return ``"n (x.x)"``."""
    return f"{count} ({fmt_pct(count, denominator)})"


def fmt_ci(
    lower: float | None,
    upper: float | None,
    digits: int = 1,
    *,
    scale: float = 1.0,
    missing: str = "NR",
    truncated: bool = False,
) -> str:
    """Return ``"lo–up"``; an unreached bound prints as ``missing`` ("NR": not reached).

    A negative lower bound (only a Wald interval of a time or rate can give one), or one the
    engine already ``truncated`` at 0, prints as 0 with the mark :data:`TRUNCATED` (footnoted by
    :func:`house_style`): never a negative time.
    """
    if lower is None:
        lo = missing
    elif lower < 0 or truncated:
        lo = fmt_num(0.0, digits) + TRUNCATED
    else:
        lo = fmt_num(lower * scale, digits)
    up = missing if upper is None else fmt_num(upper * scale, digits)
    return f"{lo}–{up}"


def fmt_p(p: float | None, digits: int = 3, below: float = 0.001) -> str:
    """Return a p value with ``digits`` decimals, ``< below`` under it (the plan's
    ``conventions.p_values``; default 3 decimals and ``< 0.001``)."""
    if p is None:
        return DASH
    return f"< {below:g}" if p < below else f"{p:.{digits}f}"


def fmt_p_plan(p: float | None, results: AnalysisResults) -> str:
    """Return a p value formatted as the plan says (``conventions.p_values``)."""
    pv = results.plan.conventions.p_values
    return fmt_p(p, pv.digits, pv.below)


def ci_header(results: AnalysisResults) -> str:
    """The plan's CI level as a column header fragment, e.g. ``95 % CI``."""
    return f"{100 * results.plan.conventions.ci_level.level:g} % CI"


def house_style(table: Table) -> Table:
    """Return ``table`` with the house-style footnotes its cells call for (the one place that
    adds them): :data:`TRUNCATED_NOTE` where a bound is truncated at zero."""
    cells = [c for r in table.rows for c in (r.label, *r.cells)]
    if any(TRUNCATED in c for c in cells) and TRUNCATED_NOTE not in table.footnotes:
        return replace(table, footnotes=(*table.footnotes, TRUNCATED_NOTE))
    return table


# ----------------------------------------------------------------------------- descriptives
def _mean_sd(values: Sequence[float]) -> tuple[float, float | None]:
    import numpy as np

    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), (float(a.std(ddof=1)) if a.size > 1 else None)


def _median_iqr(values: Sequence[float]) -> tuple[float, float, float]:
    import numpy as np

    q1, med, q3 = np.percentile(np.asarray(values, dtype=np.float64), [25, 50, 75])
    return float(med), float(q1), float(q3)


def _continuous_rows(
    label: str, values: Sequence[float | None], n: int, digits: int = 1
) -> list[Row]:
    have = [float(v) for v in values if v is not None]
    rows = [Row(label, ("",), heading=True)]
    if have:
        mean, sd = _mean_sd(have)
        med, q1, q3 = _median_iqr(have)
        rows.append(Row("Mean ± SD", (f"{fmt_num(mean, digits)} ± {fmt_num(sd, digits)}",), 1))
        rows.append(
            Row(
                "Median (IQR)",
                (f"{fmt_num(med, digits)} ({fmt_num(q1, digits)}–{fmt_num(q3, digits)})",),
                1,
            )
        )
    missing = n - len(have)
    if missing:
        rows.append(Row("Missing", (n_pct(missing, n),), 1))
    return rows


def _categorical_rows(
    label: str, values: Sequence[str | None], levels: Sequence[str], n: int
) -> list[Row]:
    rows = [Row(label, ("",), heading=True)]
    for level in levels:
        rows.append(Row(level, (n_pct(sum(v == level for v in values), n),), 1))
    others = sorted({v for v in values if v is not None and v not in levels})
    for level in others:
        rows.append(Row(level, (n_pct(sum(v == level for v in values), n),), 1))
    missing = sum(v is None for v in values)
    if missing:
        rows.append(Row("Missing", (n_pct(missing, n),), 1))
    return rows


def _binary(
    s: Sequence[SubjectRecord], attr: str, yes: str = "Present", no: str = "Absent"
) -> list[str | None]:
    out: list[str | None] = []
    for rec in s:
        v = getattr(rec, attr)
        out.append(None if v is None else (yes if v else no))
    return out


def _binned(values: Sequence[float | None], cut: Callable[[float], str]) -> list[str | None]:
    return [None if v is None else cut(float(v)) for v in values]


def _tumour_bin(x: float) -> str:
    return "≤ 5" if x <= 5 else ("> 5 to 10" if x <= 10 else "> 10")


def _child_pugh_label(cp: str | None) -> str | None:
    if not cp:
        return None
    cp = cp.upper()
    return "A" if cp.startswith("A") else cp


def table1_baseline(inputs: ReportInputs) -> Table:
    """Table 1: baseline characteristics of all enrolled patients (n (%), mean ± SD, median
    (IQR), a "Missing" row wherever a value is not recorded)."""
    s = inputs.subjects
    n = len(s)
    sex = [None if r.sex is None else r.sex.strip().capitalize() for r in s]
    rows: list[Row] = []
    rows += _categorical_rows("Sex", sex, ("Male", "Female"), n)
    rows += _continuous_rows("Age, years", [r.age_years for r in s], n)
    tum = [r.largest_tumour_cm for r in s]
    rows += _continuous_rows("Largest tumour diameter, cm", tum, n)
    rows += [
        Row(r.label, r.cells, 1)
        for r in _categorical_rows("", _binned(tum, _tumour_bin), ("≤ 5", "> 5 to 10", "> 10"), n)[
            1:
        ]
        if r.label != "Missing"
    ]
    rows += _categorical_rows(
        "Child-Pugh class", [_child_pugh_label(r.child_pugh) for r in s], ("A", "B7"), n
    )
    rows += _categorical_rows(
        "BCLC stage", [None if r.bclc is None else r.bclc.upper() for r in s], ("B", "C"), n
    )
    rows += _categorical_rows(
        "ECOG performance status",
        [None if r.ecog is None else str(r.ecog) for r in s],
        ("0", "1", "2"),
        n,
    )
    for attr, label in (
        ("vascular_invasion", "Vascular invasion"),
        ("portal_vein_invasion", "Portal-vein invasion"),
        ("extrahepatic_spread", "Extrahepatic spread"),
        ("cirrhosis", "Cirrhosis"),
    ):
        rows += _categorical_rows(label, _binary(s, attr), ("Present", "Absent"), n)
    rows += _categorical_rows(
        "HBV infection", _binary(s, "hbv", "Positive", "Negative"), ("Positive", "Negative"), n
    )
    rows += _categorical_rows(
        "HBV DNA, copies/mL",
        _binary(s, "hbv_dna_high", "> 2 × 10³", "≤ 2 × 10³"),
        ("> 2 × 10³", "≤ 2 × 10³"),
        n,
    )
    afp = [r.afp_ng_ml for r in s]
    rows += _categorical_rows(
        "AFP, ng/mL",
        _binned(afp, lambda x: "≤ 100" if x <= 100 else "> 100"),
        ("≤ 100", "> 100"),
        n,
    )
    if any(v is not None for v in afp):
        # whole ng/mL: AFP spans five orders of magnitude; a decimal adds digits, not meaning
        med, q1, q3 = _median_iqr([float(v) for v in afp if v is not None])
        rows.append(
            Row("Median (IQR)", (f"{fmt_num(med, 0)} ({fmt_num(q1, 0)}–{fmt_num(q3, 0)})",), 1)
        )
    rows += _categorical_rows(
        "Response imaging modality",
        [None if r.imaging_modality is None else r.imaging_modality.upper() for r in s],
        ("MRI", "CT"),
        n,
    )
    return Table(
        "table1",
        "Baseline characteristics",
        ("Characteristic", f"All patients (n = {n})"),
        tuple(rows),
        footnotes=(
            f"Values are n (%) of all {n} enrolled patients unless stated otherwise; SD with "
            "n − 1; IQR = 25th–75th percentile (linear interpolation).",
            "AFP, α-fetoprotein; BCLC, Barcelona Clinic Liver Cancer; ECOG, Eastern Cooperative "
            "Oncology Group; HBV, hepatitis B virus; IQR, interquartile range; SD, standard "
            "deviation.",
        ),
        caption="Child-Pugh class and BCLC stage are derived by the scoring engine from the "
        "recorded labs and findings, not typed in.",
    )


_CI_NAMES = {"clopper-pearson": "exact Clopper–Pearson", "wilson": "Wilson score"}


def table2_response(results: AnalysisResults) -> Table:
    """Table 2: best overall response with the plan's response rates and their CIs."""
    resp = results.response
    n = resp.n
    c = resp.counts
    names = {
        "CR": "Complete response (CR)",
        "PR": "Partial response (PR)",
        "SD": "Stable disease (SD)",
        "PD": "Progressive disease (PD)",
        "NE": "Not evaluable (NE)",
    }
    rows = [Row(names[r], (n_pct(c[r], n), "")) for r in BEST_RESPONSES if r != "NE" or c["NE"]]
    for rate in resp.rates.values():
        prop = rate.ci
        rows.append(
            Row(
                rate.label if prop.n == n else f"{rate.label}, N = {prop.n}",
                (
                    n_pct(prop.count, prop.n),
                    fmt_ci(prop.lower, prop.upper, scale=100.0),
                ),
            )
        )
    pop = results.plan.populations[resp.population].label
    methods = sorted({_CI_NAMES[r.ci.method.value] for r in resp.rates.values()})
    return Table(
        "table2",
        f"Best tumour response ({resp.criteria})",
        ("Best overall response", f"n (%), N = {n}", f"{ci_header(results)}, %"),
        tuple(rows),
        footnotes=(
            f"Denominator: {pop.lower()}, {n} patients; patients without an evaluable "
            "assessment count as not evaluable and as non-responders.",
            f"{ci_header(results)}: {'; '.join(methods)}.",
            "CI, confidence interval; DCR, disease control rate; mRECIST, modified Response "
            "Evaluation Criteria in Solid Tumours; ORR, objective response rate.",
        ),
    )


def _symptom_footnote(results: AnalysisResults) -> str:
    """Which symptom convention the lab-derived grades of Table 3 rest on (the plan's lab terms)."""
    from hcctrial.assess.ctcae import symptom_convention_note

    terms = [t.term for row in results.plan.adverse_events.terms for t in row.lab_terms]
    return symptom_convention_note(terms, results.adverse_events.ctcae_version)


def table3_adverse_events(results: AnalysisResults) -> Table:
    """Table 3: patients by their worst CTCAE grade per row of the plan's adverse-event table
    (grades I-IV, any grade, >= III), over the plan's population."""
    ae = results.adverse_events
    n = ae.n
    rows: list[Row] = []
    category = None
    for term in ae.rows:
        if term.category != category:
            category = term.category
            rows.append(Row(category.capitalize(), ("",) * 6, heading=True))
        rows.append(
            Row(
                term.label,
                (
                    *(n_pct(k, n) for k in term.by_grade),
                    n_pct(term.any_grade, n),
                    n_pct(term.grade3_or_more, n),
                ),
                1,
            )
        )
    if ae.any_event is not None:
        t = ae.any_event
        rows.append(
            Row(
                "Any adverse event (worst grade over all rows)",
                (
                    *(n_pct(k, n) for k in t.by_grade),
                    n_pct(t.any_grade, n),
                    n_pct(t.grade3_or_more, n),
                ),
            )
        )
    pop = results.plan.populations[ae.population].label
    not_gradable = [f"{t.label} {t.not_gradable}" for t in ae.rows if t.not_gradable]
    return Table(
        "table3",
        "Adverse events by worst CTCAE grade per patient",
        (
            f"Adverse event, n (%), N = {n}",
            "Grade I",
            "Grade II",
            "Grade III",
            "Grade IV",
            "Any grade",
            "Grade ≥ III",
        ),
        tuple(rows),
        footnotes=(
            f"n (%) of {pop.lower()} ({n} patients); each patient counts once per term, at the "
            "worst grade recorded; in the last row once, at the worst grade over all rows.",
            f"Grade V (death related to an adverse event): {ae.grade5_patients} patients.",
            *(
                (
                    "Lab values recorded but not gradable (counted in no grade): "
                    + "; ".join(not_gradable)
                    + ".",
                )
                if not_gradable
                else ()
            ),
            f"Grades by CTCAE v{ae.ctcae_version}, derived by the grading engine from the "
            "recorded labs and clinical findings. ALT, alanine aminotransferase; AST, aspartate "
            "aminotransferase; CTCAE, Common Terminology Criteria for Adverse Events.",
            _symptom_footnote(results),
        ),
    )
