"""hcctrial.analysis: the statistical analysis plan as a data file, and the one analysis that runs it.

- :mod:`~hcctrial.analysis.schema` — the pydantic model of a plan file (``plans/*.toml``);
- :mod:`~hcctrial.analysis.plan` — loading and validating plan files (key paths in errors);
- :mod:`~hcctrial.analysis.datasets` — what the analysis reads (subject variables, endpoint rows)
  and the rules that select patients (populations, subgroup levels, Cox covariates);
- :mod:`~hcctrial.analysis.run` — ``analyse(plan, datasets) -> AnalysisResults``: the only place
  that calls the statistics engine for the trial; every output (``analyze --json``, the demo's
  printout, the report, the dashboard, the web API) renders its one frozen result;
- :mod:`~hcctrial.analysis.describe` — the plan in words (``hcctrial sap show``, the report's
  statistical methods).
"""

from hcctrial.analysis.datasets import (
    SUBJECT_VARIABLES,
    AnalysisDatasets,
    SubjectData,
    TimeToEvent,
)
from hcctrial.analysis.plan import DEFAULT_PLAN, PlanFile, default_plan, list_plans, load_plan
from hcctrial.analysis.schema import Plan

__all__ = [
    "DEFAULT_PLAN",
    "SUBJECT_VARIABLES",
    "AnalysisDatasets",
    "Plan",
    "PlanFile",
    "SubjectData",
    "TimeToEvent",
    "default_plan",
    "list_plans",
    "load_plan",
]
