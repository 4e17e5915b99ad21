"""The rule of the pre-cycle examination (issue 13): it records something.

A pre-cycle examination (:class:`hcctrial.store.models_exam.CycleExam`) is read by the course
engine for the ECOG performance status (ECOG >= 3 holds the cycle) and the weight (the BSA is
recomputed when it moved by more than the regimen's percentage). A row with neither says nothing
and would still count as "the examination is done" for a reader that only looks for the row, so it
is refused (EXAM-VALUES). Its dates follow the date rules of every record, one examination per
patient and date (RECORD-UNIQUE), and only an enrolled patient has one (STATE-ACCEPTS): those are
the general checks of :mod:`hcctrial.services.checks`, which list the table.

A module of its own so :mod:`hcctrial.services.checks` stays under the size limit; it registers
its check on import (``checks`` imports it).
"""

from __future__ import annotations

from collections.abc import Iterator

from hcctrial.services.charts import Chart
from hcctrial.services.checks import RuleContext, chart_check
from hcctrial.services.rules import Finding, finding

__all__: list[str] = []


@chart_check("EXAM-VALUES", scope={"cycle_exams"})
def _exam_values(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    for row in chart.of("cycle_exams"):
        if row.get("ecog") is None and row.get("weight_kg") is None:
            yield finding("EXAM-VALUES", "cycle_exams", row["id"], "ecog")
