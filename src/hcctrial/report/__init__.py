"""The report: the paper's tables and figures regenerated from the raw records, for Word and the web.

- :mod:`~hcctrial.report.inputs` — what the report reads (analysis rows as frozen records);
- every statistic is a field of the plan's one result (:func:`hcctrial.analysis.run.analyse`);
  the report's statistical-methods text is the plan in words (:mod:`hcctrial.analysis.describe`);
- :mod:`~hcctrial.report.tables`, :mod:`~hcctrial.report.survival_tables`,
  :mod:`~hcctrial.report.published` — the one table model and its builders;
- :mod:`~hcctrial.report.figures`, :mod:`~hcctrial.report.figures_more` — matplotlib figures;
- :mod:`~hcctrial.report.render_html`, :mod:`~hcctrial.report.render_docx`,
  :mod:`~hcctrial.report.render_csv` — renderers of the document model;
- :mod:`~hcctrial.report.build` — ``build_report(source, out_dir, formats)``.

Heavy libraries (numpy, matplotlib, python-docx) are imported inside functions.
"""

from hcctrial.report.build import ReportPaths, build_report
from hcctrial.report.inputs import ReportInputs, report_inputs_from_mappings
from hcctrial.report.tables import Row, Table

__all__ = [
    "ReportInputs",
    "ReportPaths",
    "Row",
    "Table",
    "build_report",
    "report_inputs_from_mappings",
]
