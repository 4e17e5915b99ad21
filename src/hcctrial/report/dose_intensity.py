"""The report's "Dose intensity" table: per drug of the regimen, the patients treated, their cycles,
cumulative dose (mg/m²) and relative dose intensity (RDI), and for a drug with a lifetime limit
(epirubicin) the patients at or near it.

It summarises the dose-history rows (:func:`hcctrial.derive.dose_history.dose_history_rows`, the
rows of ``dose_history.csv``: one per patient, drug and cycle, computed by
:func:`hcctrial.protocol.dose_history.dose_history`, where RDI is defined). Per patient and drug the
row of the latest cycle holds the course so far: its ``cumulative_mg_m2`` and its
``relative_dose_intensity`` (delivered over planned mg/m² per week over every cycle given). Patients
without a cycle have no row and are not counted (a report built mid-trial simply counts fewer).
The limit and the "near" threshold are the regimen's (``drugs[].cumulative_limit_mg_m2`` and
``cumulative_near_pct``), never numbers of this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hcctrial.protocol.schema import Drug, Regimen
from hcctrial.report.tables import DASH, Row, Table, _median_iqr, fmt_num, n_pct

__all__ = ["dose_intensity_table", "per_patient_course"]


def per_patient_course(
    rows: Sequence[Mapping[str, Any]],
) -> dict[str, dict[str, tuple[int, float, float]]]:
    """Return drug -> study id -> (cycles given, cumulative mg/m², RDI as a fraction), from the
    dose-history rows: the number of rows of the patient and drug, and the latest cycle's totals."""
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    count: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (str(r["drug"]), str(r["study_id"]))
        count[key] = count.get(key, 0) + 1
        if key not in latest or int(r["cycle"]) > int(latest[key]["cycle"]):
            latest[key] = r
    out: dict[str, dict[str, tuple[int, float, float]]] = {}
    for (drug, sid), r in latest.items():
        out.setdefault(drug, {})[sid] = (
            count[(drug, sid)],
            float(r["cumulative_mg_m2"]),
            float(r["relative_dose_intensity"]),
        )
    return out


def _median_cell(values: Sequence[float], digits: int) -> str:
    if not values:
        return DASH
    med, q1, q3 = _median_iqr(values)
    return f"{fmt_num(med, digits)} ({fmt_num(q1, digits)}–{fmt_num(q3, digits)})"


def _drug_label(d: Drug) -> str:
    """The drug in words: its name and how it is given (e.g. "Oxaliplatin (HAIC, intra-arterial)")."""
    return f"{d.name.capitalize()} ({d.component.upper()}, {d.route})"


def _limit_rows(d: Drug, course: Mapping[str, tuple[int, float, float]], n: int) -> list[Row]:
    """Patients at or above the drug's lifetime limit, and near it (from the regimen's %)."""
    limit = d.cumulative_limit_mg_m2
    if limit is None:
        return []
    cums = [c for _, c, _ in course.values()]
    rows = [
        Row(
            f"At or above the lifetime limit of {fmt_num(limit, 0)} mg/m²",
            (n_pct(sum(c >= limit for c in cums), n), "", "", ""),
            1,
        )
    ]
    if d.cumulative_near_pct is not None:
        near = limit * d.cumulative_near_pct / 100.0
        rows.append(
            Row(
                f"Near the limit: {fmt_num(d.cumulative_near_pct, 0)} % of it "
                f"({fmt_num(near, 0)} mg/m²) or more, below it",
                (n_pct(sum(near <= c < limit for c in cums), n), "", "", ""),
                1,
            )
        )
    return rows


def dose_intensity_table(
    rows: Sequence[Mapping[str, Any]], regimen: Regimen, n_patients: int
) -> Table:
    """The "Dose intensity" table of ``n_patients`` analysed patients (see the module docstring);
    drugs in the regimen's order, medians with IQRs by linear interpolation (as Table 1)."""
    by_drug = per_patient_course(rows)
    n = n_patients
    body: list[Row] = []
    for d in regimen.drugs:
        course = by_drug.get(d.name, {})
        values = list(course.values())
        body.append(
            Row(
                _drug_label(d),
                (
                    n_pct(len(values), n),
                    _median_cell([float(k) for k, _, _ in values], 1),
                    _median_cell([c for _, c, _ in values], 1),
                    _median_cell([100.0 * f for _, _, f in values], 1),
                ),
            )
        )
        body += _limit_rows(d, course, n)
    weeks = regimen.cycle.min_weeks
    limit_notes = [
        f"{d.name.capitalize()} lifetime limit: {fmt_num(d.cumulative_limit_mg_m2, 0)} mg/m² "
        f"({d.cumulative_limit_source})"
        + (f"; near the limit: {d.cumulative_near_source}" if d.cumulative_near_source else "")
        + "."
        for d in regimen.drugs
        if d.cumulative_limit_mg_m2 is not None
    ]
    return Table(
        "dose_intensity",
        "Dose intensity of the TACE-HAIC drugs",
        (
            "Drug",
            f"Patients treated, n (%), N = {n}",
            "Cycles, median (IQR)",
            "Cumulative dose, mg/m², median (IQR)",
            "Relative dose intensity, %, median (IQR)",
        ),
        tuple(body),
        footnotes=(
            f"n (%) of the {n} patients analysed; a patient counts for a drug once a cycle with "
            "it is recorded (patients without a cycle are not counted). Cumulative dose and "
            "relative dose intensity are each patient's over every cycle given, in mg/m² of each "
            "cycle's body-surface area; IQR = 25th–75th percentile (linear interpolation).",
            "Relative dose intensity (Hryniuk; Longo et al., J Clin Oncol 1991): delivered over "
            "planned dose intensity. Delivered: cumulative mg/m² given / weeks from day 1 of the "
            f"first cycle to day 1 of the last, plus one planned cycle of {weeks} weeks. "
            "Planned: the protocol's full doses (level 0, the patient's baseline Child-Pugh "
            f"class) / {weeks} weeks per cycle. Doses reduced or cycles delayed lower it. The "
            f"planned cycle is the regimen's shortest ({weeks} weeks; regimen: "
            f'"{regimen.cycle.quote.split(" ...")[0]}").',
            *limit_notes,
            f"Regimen: {regimen.name}, version {regimen.version} ({regimen.source}). HAIC, "
            "hepatic arterial infusion chemotherapy; IQR, interquartile range; TACE, "
            "transarterial chemoembolisation.",
        ),
    )
