"""Published vs reproduced, the design part: the paper's design parameters beside the plan's, its
sample size beside the one the statistics engine computes from them, and the paper's dates."""

from __future__ import annotations

from typing import Any

from hcctrial.analysis.results import AnalysisResults
from hcctrial.report.published import Comparison, _compare
from hcctrial.report.tables import DASH

__all__ = ["design_comparisons"]


def design_comparisons(p: dict[str, Any], res: AnalysisResults) -> list[Comparison]:
    """The paper's design parameters beside the plan's, and its sample size beside the one the
    statistics engine computes from them; the dates beside what the datasets hold."""
    from hcctrial.analysis.design import planned_design
    from hcctrial.analysis.schema import SingleArmDesign

    ss = p["design"]["sample_size"]
    d = res.plan.design
    out: list[Comparison] = []
    if isinstance(d, SingleArmDesign):
        computed = planned_design(res.plan)
        for key, item, mine in (
            ("p0", "Null 12-month PFS rate (p0)", d.p0),
            ("p1", "Alternative 12-month PFS rate (p1)", d.p1),
            ("power", "Power", d.power),
            ("alpha", "α", d.alpha),
            ("dropout_rate", "Drop-out rate", d.dropout),
        ):
            out.append(_compare("Design", item, ss[key]["value"], mine, "the plan's value"))
        out.append(
            _compare(
                "Design",
                "Evaluable patients needed, n",
                ss["n_evaluable"]["value"],
                None if computed.n_evaluable is None else float(computed.n_evaluable),
                f"computed: {computed.method}",
            )
        )
        out.append(
            _compare(
                "Design",
                "Patients to enrol, n",
                ss["n_recruited"]["value"],
                float(computed.n_enrolled),
                f"computed, drop-out rule '{d.dropout_rule}' (INC-10)",
            )
        )
    out.append(
        _compare(
            "Design", "Patients recruited, n", ss["n_recruited"]["value"], float(res.n_enrolled)
        )
    )
    src = p["source"]
    period = src["enrolment_period"]["value"]
    for item, value in (
        ("Enrolment start", period["start"]),
        ("Enrolment end", period["end"]),
        ("Data cut-off", src["data_cutoff"]["value"]),
    ):
        out.append(
            Comparison(
                "Design", item, value, DASH, None, "calendar dates are not in the analysis datasets"
            )
        )
    return out
