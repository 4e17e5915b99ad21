"""Published vs reproduced: the seed paper's figures beside the values recomputed from raw records.

Reads the package copy of the paper's figures (``report/data/published.json``, copied from
``../shared/seed/published.json``; its ``provenance`` key says so) so the report never needs the
shared folder. Three tables:

- **comparison**: every published number (Table 1-3, safety text, survival) with the reproduced
  value and a mark: ``✓`` when the reproduced value, rounded to the published number's decimals
  (half-up), equals it; ``≠`` with the difference otherwise;
- **conventions**: numbers that depend on a convention, shown both ways with the one the paper used
  (SPSS vs R median and CI; PFS as the paper defined it vs standard PFS; simple vs reverse-KM
  follow-up);
- **inconsistencies**: the paper's 29 internal inconsistencies with the value this report uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from hcctrial.analysis.results import AnalysisResults, EndpointResult, SubgroupResult
from hcctrial.report.inputs import ReportInputs, SubjectRecord
from hcctrial.report.survival_tables import fmt_median
from hcctrial.report.tables import DASH, Row, Table, fmt_num, fmt_pct

__all__ = [
    "Comparison",
    "comparison_table",
    "comparisons",
    "conventions_table",
    "inconsistencies_table",
    "published_data",
]

_DATA = Path(__file__).resolve().parent / "data" / "published.json"


@cache
def published_data() -> dict[str, Any]:
    """Return the paper's figures (the ``published`` part of the package data file)."""
    data: dict[str, Any] = json.loads(_DATA.read_text(encoding="utf-8"))["published"]
    return data


@dataclass(frozen=True)
class Comparison:
    """One published number beside the reproduced one. ``match`` None: not comparable."""

    section: str
    item: str
    published: str
    reproduced: str
    match: bool | None
    note: str = ""


def _decimals(value: float | int) -> int:
    text = json.dumps(value)
    return len(text.split(".")[1]) if "." in text else 0


def _compare(
    section: str, item: str, pub: float | int | None, rep: float | None, note: str = ""
) -> Comparison:
    if pub is None:
        return Comparison(section, item, DASH, DASH if rep is None else fmt_num(rep), None, note)
    d = _decimals(pub)
    if rep is None:
        return Comparison(
            section, item, json.dumps(pub), "not reached / not available", False, note
        )
    shown = fmt_num(rep, d)
    match = Decimal(shown) == Decimal(json.dumps(pub))
    if not match:
        diff = fmt_num(rep - float(pub), d + 1)
        note = f"Δ = {diff}" + (f"; {note}" if note else "")
    return Comparison(section, item, json.dumps(pub), shown, match, note)


def _count(subjects: tuple[SubjectRecord, ...], pred: Callable[[SubjectRecord], bool]) -> int:
    return sum(1 for s in subjects if pred(s))


def _table1(p: dict[str, Any], inputs: ReportInputs) -> list[Comparison]:
    import numpy as np

    s = inputs.subjects
    cat = p["table1"]["categorical"]
    preds: dict[tuple[str, str], Callable[[SubjectRecord], bool]] = {
        ("sex", "male"): lambda r: (r.sex or "").lower() == "male",
        ("sex", "female"): lambda r: (r.sex or "").lower() == "female",
        ("max_tumor_diameter_cm", "<=5"): lambda r: (
            r.largest_tumour_cm is not None and r.largest_tumour_cm <= 5
        ),
        ("max_tumor_diameter_cm", "5-10"): lambda r: (
            r.largest_tumour_cm is not None and 5 < r.largest_tumour_cm <= 10
        ),
        ("max_tumor_diameter_cm", ">10"): lambda r: (
            r.largest_tumour_cm is not None and r.largest_tumour_cm > 10
        ),
        ("child_pugh", "A"): lambda r: (r.child_pugh or "").upper().startswith("A"),
        ("child_pugh", "B7"): lambda r: (r.child_pugh or "").upper() == "B7",
        ("bclc", "B"): lambda r: (r.bclc or "").upper() == "B",
        ("bclc", "C"): lambda r: (r.bclc or "").upper() == "C",
        ("ecog_ps", "0"): lambda r: r.ecog == 0,
        ("ecog_ps", "1"): lambda r: r.ecog == 1,
        ("ecog_ps", "2"): lambda r: r.ecog == 2,
        ("vascular_invasion", "present"): lambda r: r.vascular_invasion is True,
        ("vascular_invasion", "absent"): lambda r: r.vascular_invasion is False,
        ("portal_vein_invasion", "present"): lambda r: r.portal_vein_invasion is True,
        ("portal_vein_invasion", "absent"): lambda r: r.portal_vein_invasion is False,
        ("extrahepatic_metastasis", "present"): lambda r: r.extrahepatic_spread is True,
        ("extrahepatic_metastasis", "absent"): lambda r: r.extrahepatic_spread is False,
        ("hbv", "positive"): lambda r: r.hbv is True,
        ("hbv", "negative"): lambda r: r.hbv is False,
        ("hbv_dna_copies_ml", ">2e3"): lambda r: r.hbv_dna_high is True,
        ("hbv_dna_copies_ml", "<=2e3"): lambda r: r.hbv_dna_high is False,
        ("cirrhosis", "present"): lambda r: r.cirrhosis is True,
        ("cirrhosis", "absent"): lambda r: r.cirrhosis is False,
        ("afp_ng_ml", "<=100"): lambda r: r.afp_ng_ml is not None and r.afp_ng_ml <= 100,
        ("afp_ng_ml", ">100"): lambda r: r.afp_ng_ml is not None and r.afp_ng_ml > 100,
    }
    out = [_compare("Table 1", "Patients enrolled", p["table1"]["n"]["value"], float(len(s)))]
    ages = np.array([r.age_years for r in s if r.age_years is not None], dtype=float)
    age = p["table1"]["age_mean_sd"]
    if ages.size > 1:
        out.append(
            _compare(
                "Table 1", "Age, mean (years)", age["table"]["value"]["mean"], float(ages.mean())
            )
        )
        out.append(
            _compare(
                "Table 1",
                "Age, SD (Table 1)",
                age["table"]["value"]["sd"],
                float(ages.std(ddof=1)),
                "INC-01",
            )
        )
        out.append(
            _compare(
                "Table 1",
                "Age, SD (text)",
                age["text"]["value"]["sd"],
                float(ages.std(ddof=1)),
                "INC-01",
            )
        )
    tum = np.array([r.largest_tumour_cm for r in s if r.largest_tumour_cm is not None], dtype=float)
    if tum.size > 1:
        tv = p["table1"]["tumor_size_mean_sd"]["value"]
        out.append(_compare("Table 1", "Tumour size, mean (cm)", tv["mean"], float(tum.mean())))
        out.append(_compare("Table 1", "Tumour size, SD (cm)", tv["sd"], float(tum.std(ddof=1))))
    for (var, level), pred in preds.items():
        out.append(
            _compare(
                "Table 1",
                f"{var.replace('_', ' ')}: {level}",
                cat[var][level]["n"],
                float(_count(s, pred)),
            )
        )
    for mod, entry in p["table1"]["response_imaging_modality"].items():
        out.append(
            _compare(
                "Table 1",
                f"Response imaging: {mod}",
                entry["n"],
                float(sum((r.imaging_modality or "").upper() == mod for r in s)),
            )
        )
    return out


def _table2_3(p: dict[str, Any], inputs: ReportInputs, res: AnalysisResults) -> list[Comparison]:
    del inputs
    out: list[Comparison] = []
    n = res.response.n
    counts = res.response.counts
    for r in ("CR", "PR", "SD", "PD"):
        out.append(_compare("Table 2", f"{r}, n", p["table2"][r]["n"], float(counts[r])))
        out.append(
            _compare("Table 2", f"{r}, %", p["table2"][r]["pct_reported"], 100.0 * counts[r] / n)
        )
    for key in ("ORR", "DCR"):
        prop = res.response.rates[key.lower()].ci
        out.append(_compare("Table 2", f"{key}, n", p["table2"][key]["n"], float(prop.count)))
        out.append(_compare("Table 2", f"{key}, %", p["table2"][key]["pct_reported"], prop.percent))
    ae = {row.key: row for row in res.adverse_events.rows}
    for term, row in p["table3"]["rows"].items():
        mine = ae.get(term)
        for g in (1, 2, 3, 4):
            out.append(
                _compare(
                    "Table 3",
                    f"{mine.label if mine else row['label']}: grade {g}",
                    row[f"G{g}"]["n"],
                    None if mine is None else float(mine.by_grade[g - 1]),
                )
            )
    st = p["safety_text"]
    n_ae = res.adverse_events.n

    def count(term: str, which: str) -> float | None:
        mine = ae.get(term)
        if mine is None:
            return None
        return float(mine.any_grade if which == "any" else mine.grade3_or_more)

    g34 = count("transaminase_increased", "g3")
    out += [
        _compare(
            "Safety text",
            "Liver function damage, any grade (n)",
            st["liver_function_damage_any"]["n"],
            count("transaminase_increased", "any"),
            "INC-04: reproduced = transaminase row total",
        ),
        _compare(
            "Safety text",
            "Grade 3–4 transaminase increase (n)",
            st["liver_function_damage_g34"]["n"],
            g34,
        ),
        _compare(
            "Safety text",
            "Grade 3–4 transaminase increase (%)",
            st["liver_function_damage_g34"]["pct_reported"],
            None if g34 is None else 100.0 * g34 / n_ae,
            "INC-05: printed 12.2, 8/66 = 12.1",
        ),
        _compare(
            "Safety text",
            "Grade 3–4 thrombocytopenia (n)",
            st["thrombocytopenia_g34"]["n"],
            count("platelet_count_decreased", "g3"),
        ),
        _compare(
            "Safety text",
            "Grade 3–4 neutropenia (n)",
            st["neutropenia_g34"]["n"],
            count("neutrophil_count_decreased", "g3"),
        ),
        _compare(
            "Safety text",
            "Hand-foot skin reaction, any grade (n)",
            st["hfsr_any"]["n"],
            count("hand_foot_skin_reaction", "any"),
        ),
    ]
    return out


def _sub_median(res: AnalysisResults, endpoint: str, key: str, level: str) -> float | None:
    sgs: tuple[SubgroupResult, ...] = res.subgroups_of(endpoint)
    for sg in sgs:
        if sg.key == key and level in sg.levels:
            return sg.medians_spss[sg.levels.index(level)].estimate
    return None


def _sub_p(res: AnalysisResults, endpoint: str, key: str) -> float | None:
    for sg in res.subgroups_of(endpoint):
        if sg.key == key and sg.logrank is not None:
            return sg.logrank.p
    return None


def _paper_endpoints(
    res: AnalysisResults,
) -> tuple[EndpointResult | None, EndpointResult | None, EndpointResult | None]:
    """The endpoints the paper's PFS, standard PFS and OS figures are compared with (the plan's
    ``[outputs]``)."""
    o = res.plan.outputs
    std = res.endpoints.get(o.json_pfs_standard) if o.json_pfs_standard else None
    return res.endpoints.get(o.json_pfs), std, res.endpoints.get(o.json_os)


def _survival(p: dict[str, Any], res: AnalysisResults) -> list[Comparison]:
    out: list[Comparison] = []
    sv = p["survival"]
    pfs_ep, _, os_ep = _paper_endpoints(res)
    if os_ep is not None:
        fu = os_ep.followup
        out.append(
            _compare(
                "Survival",
                "Median follow-up (simple median), months",
                sv["follow_up"]["median_months"]["value"],
                fu.simple_median,
                "the paper's method (INC-28)",
            )
        )
        lo, hi = sv["follow_up"]["range_months"]["value"]
        out.append(_compare("Survival", "Follow-up minimum, months", lo, fu.minimum))
        out.append(_compare("Survival", "Follow-up maximum, months", hi, fu.maximum, "INC-12"))
    for name, ep, key, rates in (
        ("OS", os_ep, "os", ("12", "24", "60")),
        ("PFS", pfs_ep, "pfs", ("6", "12", "24")),
    ):
        if ep is None:
            continue
        d = sv[key]
        out.append(_compare("Survival", f"{name} events", d["events"]["value"], float(ep.events)))
        m = ep.median_spss
        out.append(
            _compare(
                "Survival",
                f"{name} median (SPSS rule), months",
                d["median_months"]["value"],
                m.estimate,
            )
        )
        lo, hi = d["median_ci95"]["value"]
        out.append(_compare("Survival", f"{name} median 95 % CI lower (SPSS)", lo, m.lower))
        out.append(_compare("Survival", f"{name} median 95 % CI upper (SPSS)", hi, m.upper))
        for t in rates:
            at = ep.rate_at(float(t))
            out.append(
                _compare(
                    "Survival",
                    f"{name} rate at {t} months, %",
                    d[f"rate_{t}m"]["value"],
                    None if at is None else 100.0 * at.surv,
                    "" if at is not None else "not a landmark of the plan",
                )
            )
        sub = d["subgroups"]
        endpoint = ep.key
        for pkey, (sg, level) in (
            ("bclc_B_median", ("bclc", "B")),
            ("bclc_C_median", ("bclc", "C")),
            ("portal_vein_invasion_median", ("pvi", "PVI")),
        ):
            out.append(
                _compare(
                    "Survival",
                    f"{name} median, {sg} = {level} (SPSS)",
                    sub[pkey]["value"],
                    _sub_median(res, endpoint, sg, level),
                )
            )
        out.append(
            _compare(
                "Survival",
                f"{name} MRI vs CT, log-rank p",
                sub["mri_vs_ct_p"]["value"],
                _sub_p(res, endpoint, "imaging"),
                "test not stated in the paper",
            )
        )
    return out


def comparisons(inputs: ReportInputs, results: AnalysisResults) -> tuple[Comparison, ...]:
    """Return every published number beside the reproduced value."""
    p = published_data()
    return tuple(_table1(p, inputs) + _table2_3(p, inputs, results) + _survival(p, results))


def comparison_table(inputs: ReportInputs, results: AnalysisResults) -> Table:
    """The published-vs-reproduced table with match marks and a count of matches."""
    cs = comparisons(inputs, results)
    rows: list[Row] = []
    section = None
    for c in cs:
        if c.section != section:
            section = c.section
            rows.append(Row(section, ("", "", "", ""), heading=True))
        mark = DASH if c.match is None else ("✓" if c.match else "≠")
        rows.append(Row(c.item, (c.published, c.reproduced, mark, c.note), 1))
    n_match = sum(c.match is True for c in cs)
    n_cmp = sum(c.match is not None for c in cs)
    return Table(
        "published",
        "Published vs reproduced",
        ("Item", "Published", "Reproduced", "Match", "Note"),
        tuple(rows),
        footnotes=(
            f"{n_match} of {n_cmp} published numbers reproduced to the paper's printed precision "
            "(✓: the reproduced value rounded half-up to the published decimals equals it; ≠: it "
            "does not, Δ = reproduced − published).",
            "Medians and their CIs by the SPSS rule, PFS as the paper defined it, follow-up as a "
            "simple median: the paper's conventions (see the conventions table).",
        ),
    )


def conventions_table(results: AnalysisResults) -> Table:
    """Numbers that depend on a convention, both ways, with the one the paper used."""
    rows: list[Row] = []
    paper, std, os_ep = _paper_endpoints(results)
    for ep, name in ((os_ep, "OS"), (paper, "PFS (paper)")):
        if ep is None:
            continue
        rows.append(
            Row(
                f"{name} median, months (95 % CI)",
                (fmt_median(ep.median_spss), fmt_median(ep.median_r), "SPSS"),
            )
        )
    if paper is not None and std is not None:
        rows.append(Row("PFS events", (str(paper.events), str(std.events), "progression only")))
        rows.append(
            Row(
                "PFS median (SPSS), months",
                (
                    fmt_median(paper.median_spss, with_ci=False),
                    fmt_median(std.median_spss, with_ci=False),
                    "progression only",
                ),
            )
        )
        for a in paper.rates:
            b = std.rate_at(a.time)
            rows.append(
                Row(
                    f"PFS at {a.time:g} months, %",
                    (
                        fmt_num(100 * a.surv),
                        DASH if b is None else fmt_num(100 * b.surv),
                        "progression only",
                    ),
                )
            )
    if os_ep is not None:
        fu = os_ep.followup
        rows.append(
            Row(
                "Median follow-up, months",
                (fmt_num(fu.simple_median), fmt_median(fu.reverse_km), "simple median"),
            )
        )
    return Table(
        "conventions",
        "Numbers that depend on a convention",
        ("Quantity", "Paper's convention", "Alternative", "Paper used"),
        tuple(rows),
        footnotes=(
            "Medians: paper's convention = SPSS (first event time with S ≤ 0.5, Wald CI from the "
            "density between S = 0.55 and 0.45); alternative = R survival (midpoint of a flat 0.5 "
            "stretch, CI inverting the log band).",
            "PFS: paper's convention = progression only (deaths without progression censored); "
            "alternative = standard PFS (progression or death).",
            "Follow-up: paper's convention = simple median of all observed times; alternative = "
            "reverse Kaplan–Meier (censoring as the event).",
        ),
    )


def _used(inc_id: str, inputs: ReportInputs, res: AnalysisResults) -> str:
    """The value this report uses for an inconsistency, where the data decide it."""
    import numpy as np

    s = inputs.subjects
    n = res.n_enrolled
    ae = {row.key: row for row in res.adverse_events.rows}
    n_ae = res.adverse_events.n
    paper, std, os_ep = _paper_endpoints(res)
    orr = res.response.rates["orr"].ci
    if inc_id == "INC-01":
        ages = np.array([x.age_years for x in s if x.age_years is not None], dtype=float)
        return f"SD {fmt_num(float(ages.std(ddof=1)))} (n − 1)" if ages.size > 1 else DASH
    if inc_id == "INC-02":
        return f"ORR {orr.count}/{orr.n} = {fmt_num(orr.percent)} %"
    if inc_id == "INC-03":
        m = _count(s, lambda x: (x.sex or "").lower() == "male")
        return f"male {m}/{n} = {fmt_pct(m, n)} %"
    if inc_id in ("INC-04", "INC-05") and "transaminase_increased" in ae:
        row = ae["transaminase_increased"]
        k = row.any_grade if inc_id == "INC-04" else row.grade3_or_more
        return f"{k}/{n_ae} = {fmt_pct(k, n_ae)} %"
    if inc_id == "INC-07" and ae:
        best = max(ae.values(), key=lambda r: r.any_grade)
        return f"{best.label}: {best.any_grade}/{n_ae} = {fmt_pct(best.any_grade, n_ae)} %"
    if inc_id == "INC-08":
        parts = [f"{r.label} {r.grade3_or_more}" for r in ae.values() if r.grade3_or_more]
        return "grade ≥ 3: " + "; ".join(parts) if parts else "no grade ≥ 3 events"
    if inc_id == "INC-09" and res.primary.landmark is not None:
        r = res.primary.landmark
        return (
            f"S({r.time:g}) = {fmt_num(100 * r.surv)} % vs {100 * r.p0:g} %: "
            f"{'two-sided' if res.primary.alternative == 'two-sided' else 'one-sided'} "
            f"p = {r.p:.2g} ({r.scale.value})"
        )
    if inc_id == "INC-11":
        vi = _count(s, lambda x: x.vascular_invasion is True)
        pvi = _count(s, lambda x: x.portal_vein_invasion is True)
        return f"vascular invasion {vi}, portal-vein invasion {pvi}"
    if inc_id == "INC-12" and os_ep is not None:
        return f"maximum follow-up {fmt_num(os_ep.followup.maximum)} months"
    if inc_id == "INC-13" and paper is not None and std is not None:
        return f"PFS events {paper.events} (paper) and {std.events} (standard)"
    if inc_id == "INC-23" and os_ep is not None:
        for sg in res.subgroups_of(os_ep.key):
            h = sg.hazard_ratio("C") if sg.key == "bclc" else None
            if h is not None and sg.logrank is not None:
                return (
                    f"OS HR C vs B {fmt_num(h[0], 2)} ({fmt_num(h[1], 2)}–{fmt_num(h[2], 2)}), "
                    f"log-rank p = {sg.logrank.p:.3f} (new result)"
                )
    if inc_id == "INC-26":
        return f"not evaluable: {res.response.counts['NE']}"
    if inc_id == "INC-28" and os_ep is not None:
        fu = os_ep.followup
        return (
            f"simple median {fmt_num(fu.simple_median)}; reverse KM "
            f"{fmt_median(fu.reverse_km, with_ci=False)} months"
        )
    if inc_id == "INC-29" and os_ep is not None and paper is not None:
        return f"OS {fmt_median(os_ep.median_spss)}; PFS {fmt_median(paper.median_spss)} (SPSS)"
    return DASH


def inconsistencies_table(inputs: ReportInputs, results: AnalysisResults) -> Table:
    """The paper's internal inconsistencies (all of them) with the handling and the value used."""
    rows = []
    for inc in published_data()["inconsistencies"]:
        rows.append(
            Row(
                inc["id"],
                (
                    inc["topic"],
                    inc["severity"],
                    inc["finding"],
                    inc["recommended_handling"],
                    _used(inc["id"], inputs, results),
                ),
            )
        )
    return Table(
        "inconsistencies",
        f"The paper's internal inconsistencies ({len(rows)})",
        ("ID", "Topic", "Severity", "Finding", "Handling", "Value this report uses"),
        tuple(rows),
        footnotes=("From the seed audit (published.json → inconsistencies; AUDIT.md section 2).",),
    )
