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
- **inconsistencies** (:mod:`~hcctrial.report.published_inconsistencies`): the paper's 29
  internal inconsistencies with the value computed now.
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
from hcctrial.report.tables import DASH, Row, Table, fmt_num

__all__ = [
    "Comparison",
    "comparison_table",
    "comparisons",
    "conventions_table",
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
    out = [_compare("Table 1", "Patients enrolled, n", p["table1"]["n"]["value"], float(len(s)))]
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
                f"{_T1_VARIABLES[var]}: {_T1_LEVELS.get(level, level.capitalize())}, n",
                cat[var][level]["n"],
                float(_count(s, pred)),
            )
        )
    tv = cat["sex"]["text_variant"]
    males = float(_count(s, preds[("sex", "male")]))
    out.append(_compare("Results text", "Male, n (text)", tv["n"], males, "INC-03"))
    out.append(
        _compare(
            "Results text",
            "Male, % (text)",
            tv["pct_reported"],
            100.0 * males / len(s) if s else None,
            "INC-03",
        )
    )
    for mod, entry in p["table1"]["response_imaging_modality"].items():
        k = float(sum((r.imaging_modality or "").upper() == mod for r in s))
        out.append(_compare("Results text", f"Response imaging by {mod}, n", entry["n"], k))
        out.append(
            _compare(
                "Results text",
                f"Response imaging by {mod}, %",
                entry["pct_reported"],
                100.0 * k / len(s) if s else None,
            )
        )
    return out


#: The paper's Table 1 variables and levels (data keys of published.json) in words.
_T1_VARIABLES = {
    "sex": "Sex",
    "max_tumor_diameter_cm": "Largest tumour diameter",
    "child_pugh": "Child-Pugh class",
    "bclc": "BCLC stage",
    "ecog_ps": "ECOG performance status",
    "vascular_invasion": "Vascular invasion",
    "portal_vein_invasion": "Portal-vein invasion",
    "extrahepatic_metastasis": "Extrahepatic spread",
    "hbv": "HBV infection",
    "hbv_dna_copies_ml": "HBV DNA",
    "cirrhosis": "Cirrhosis",
    "afp_ng_ml": "AFP",
}
_T1_LEVELS = {
    "<=5": "≤ 5 cm",
    "5-10": "> 5 to 10 cm",
    ">10": "> 10 cm",
    ">2e3": "> 2 × 10³ copies/mL",
    "<=2e3": "≤ 2 × 10³ copies/mL",
    "<=100": "≤ 100 ng/mL",
    ">100": "> 100 ng/mL",
}


def _table2_3(p: dict[str, Any], inputs: ReportInputs, res: AnalysisResults) -> list[Comparison]:
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
    n_t3 = res.adverse_events.n
    for term, row in p["table3"]["rows"].items():
        mine = ae.get(term)
        for g in (1, 2, 3, 4):
            k = None if mine is None else float(mine.by_grade[g - 1])
            name = f"{mine.label if mine else row['label']}: grade {g}"
            out.append(_compare("Table 3", f"{name}, n", row[f"G{g}"]["n"], k))
            out.append(
                _compare(
                    "Table 3",
                    f"{name}, %",
                    row[f"G{g}"]["pct_reported"],
                    None if k is None or not n_t3 else 100.0 * k / n_t3,
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
            "Liver function damage, any grade (%)",
            st["liver_function_damage_any"]["pct_reported"],
            _pct(count("transaminase_increased", "any"), n_ae),
            "INC-04",
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
            "Grade 3–4 thrombocytopenia (%)",
            st["thrombocytopenia_g34"]["pct_reported"],
            _pct(count("platelet_count_decreased", "g3"), n_ae),
        ),
        _compare(
            "Safety text",
            "Grade 3–4 neutropenia (%)",
            st["neutropenia_g34"]["pct_reported"],
            _pct(count("neutrophil_count_decreased", "g3"), n_ae),
        ),
        _compare(
            "Safety text",
            "Hand-foot skin reaction, any grade (n)",
            st["hfsr_any"]["n"],
            count("hand_foot_skin_reaction", "any"),
        ),
        _compare(
            "Safety text",
            "Hand-foot skin reaction, any grade (%)",
            st["hfsr_any"]["pct_reported"],
            _pct(count("hand_foot_skin_reaction", "any"), n_ae),
        ),
        _compare(
            "Safety text",
            "Treatment-related deaths (n)",
            st["treatment_related_deaths"]["n"],
            float(res.adverse_events.grade5_patients),
            "reproduced = patients with a grade 5 event",
        ),
    ]
    for extra in p["table3"]["not_in_table"]:
        event, k = extra["value"]["event"], extra["value"]["n"]
        seen = _term_patients(inputs, event)
        item = f"{event.capitalize()} (n)"
        out.append(
            _compare("Safety text", item, k, seen)
            if seen is not None
            else Comparison("Safety text", item, str(k), DASH, None, "not a term of the records")
        )
    return out


def _pct(k: float | None, n: int) -> float | None:
    return None if k is None or n <= 0 else 100.0 * k / n


def _term_patients(inputs: ReportInputs, event: str) -> float | None:
    """Patients with any grade of ``event`` (words of the paper, e.g. "vascular complications")
    among the recorded terms; None when no patient's record has such a term."""
    key = event.lower().replace(" ", "_").rstrip("s")
    if not any(k.startswith(key) for s in inputs.subjects for k in s.worst_grades):
        return None
    return float(
        sum(
            1
            for s in inputs.subjects
            if any(k.startswith(key) and (g or 0) >= 1 for k, g in s.worst_grades.items())
        )
    )


def _sub_median(res: AnalysisResults, endpoint: str, key: str, level: str) -> float | None:
    sgs: tuple[SubgroupResult, ...] = res.subgroups_of(endpoint)
    for sg in sgs:
        if sg.key == key and level in sg.levels:
            return sg.medians_spss[sg.levels.index(level)].estimate
    return None


def _level_words(res: AnalysisResults, endpoint: str, key: str, level: str) -> str:
    """A subgroup level in the plan's words, e.g. "BCLC stage B" (not the data key)."""
    for sg in res.subgroups_of(endpoint):
        if sg.key == key:
            return level if level.startswith(sg.label.split()[0]) else f"{sg.label} {level}"
    return level


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
        out.append(
            _compare(
                "Survival",
                f"{name} censored",
                d["censored_derived"],
                float(ep.censored),
                "published: patients − events",
            )
        )
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
                    f"{name} median, {_level_words(res, endpoint, sg, level)} (SPSS)",
                    sub[pkey]["value"],
                    _sub_median(res, endpoint, sg, level),
                )
            )
        out.append(
            _compare(
                "Survival",
                f"{name}, MRI vs CT response imaging, log-rank p",
                sub["mri_vs_ct_p"]["value"],
                _sub_p(res, endpoint, "imaging"),
                "test not stated in the paper",
            )
        )
    return out


def comparisons(inputs: ReportInputs, results: AnalysisResults) -> tuple[Comparison, ...]:
    """Return every published number beside the reproduced value."""
    from hcctrial.report.published_design import design_comparisons

    p = published_data()
    return tuple(
        list(design_comparisons(p, results))
        + _table1(p, inputs)
        + _table2_3(p, inputs, results)
        + _survival(p, results)
    )


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
