"""The statistics engine: pure numpy/scipy, knows nothing of the database or the protocol.

Survival and proportions agree with R ``survival`` 3.5 to a relative 1e-8 (tests/reference/survival;
docs/survival.md lists the peers, the tolerances and every remaining difference):

- :mod:`~hcctrial.stats.data`: the one input checker (:func:`survival_data`) and the CSV reader;
- :mod:`~hcctrial.stats.kaplan_meier`: KM step table, pointwise CIs (log, R's default and ours;
  log-log; plain), survival at chosen times, the at-risk grid;
- :mod:`~hcctrial.stats.km_quantiles`: medians/quantiles with CIs by R's or SPSS's rule, reverse-KM
  follow-up;
- :mod:`~hcctrial.stats.landmark`: the landmark test of S(t0) against p0, RMST;
- :mod:`~hcctrial.stats.logrank`: k-group, stratified, Fleming-Harrington and trend log-rank tests;
- :mod:`~hcctrial.stats.proportions`: Clopper-Pearson and Wilson CIs.

scipy is imported inside the functions that need it, so importing this package costs numpy only.
"""

from hcctrial.stats.data import CsvTable, SurvivalData, read_csv_table, survival_data
from hcctrial.stats.kaplan_meier import (
    ConfType,
    KaplanMeierCurve,
    RiskGrid,
    SurvivalAt,
    confidence_band,
    kaplan_meier,
    kaplan_meier_by_group,
    risk_grid,
    survival_at,
)
from hcctrial.stats.km_quantiles import (
    FollowUp,
    MedianCIMethod,
    SurvivalQuantile,
    median_survival,
    reverse_km_followup,
    survival_quantile,
)
from hcctrial.stats.landmark import (
    Alternative,
    LandmarkScale,
    LandmarkTestResult,
    RestrictedMean,
    RestrictedMeanDifference,
    landmark_test,
    restricted_mean,
    restricted_mean_difference,
)
from hcctrial.stats.logrank import (
    LogRankResult,
    TrendTestResult,
    logrank_test,
    logrank_trend_test,
)
from hcctrial.stats.proportions import ProportionCI, ProportionMethod, proportion_ci

# Other engines (Cox, batched simulation, design) add their names below, additively.

__all__ = [
    "Alternative",
    "ConfType",
    "CsvTable",
    "FollowUp",
    "KaplanMeierCurve",
    "LandmarkScale",
    "LandmarkTestResult",
    "LogRankResult",
    "MedianCIMethod",
    "ProportionCI",
    "ProportionMethod",
    "RestrictedMean",
    "RestrictedMeanDifference",
    "RiskGrid",
    "SurvivalAt",
    "SurvivalData",
    "SurvivalQuantile",
    "TrendTestResult",
    "confidence_band",
    "kaplan_meier",
    "kaplan_meier_by_group",
    "landmark_test",
    "logrank_test",
    "logrank_trend_test",
    "median_survival",
    "proportion_ci",
    "read_csv_table",
    "restricted_mean",
    "restricted_mean_difference",
    "reverse_km_followup",
    "risk_grid",
    "survival_at",
    "survival_data",
    "survival_quantile",
]

# The survival models beside KM, log-rank and Cox (issue 15): competing risks (Aalen-Johansen,
# Gray's test, Fine-Gray regression), Nelson-Aalen, RMST per group with difference and ratio, parametric AFT regression (survreg).
from hcctrial.stats.competing_risks import (
    CumulativeIncidenceCurve,
    GrayTestResult,
    IncidenceAtTime,
    cumulative_incidence,
    cumulative_incidence_by_group,
    gray_test,
    incidence_at,
)

# Cox regression and its proportional-hazards test (issue 15), and R's timefix.
from hcctrial.stats.cox import CoxResult, cox_ph
from hcctrial.stats.cox_zph import CoxZphResult, cox_zph
from hcctrial.stats.fine_gray import FineGrayResult, fine_gray
from hcctrial.stats.nelson_aalen import NelsonAalenCurve, nelson_aalen, nelson_aalen_by_group
from hcctrial.stats.rmst import RmstComparison, RmstGroup, rmst_by_group
from hcctrial.stats.survreg import (
    SurvregDist,
    SurvregFit,
    SurvregQuantile,
    survreg,
    survreg_quantiles,
)
from hcctrial.stats.timefix import aeq_times

__all__ += [
    "CumulativeIncidenceCurve",
    "FineGrayResult",
    "GrayTestResult",
    "IncidenceAtTime",
    "NelsonAalenCurve",
    "RmstComparison",
    "RmstGroup",
    "SurvregDist",
    "SurvregFit",
    "SurvregQuantile",
    "cumulative_incidence",
    "cumulative_incidence_by_group",
    "fine_gray",
    "gray_test",
    "incidence_at",
    "nelson_aalen",
    "nelson_aalen_by_group",
    "rmst_by_group",
    "survreg",
    "survreg_quantiles",
]


__all__ += ["CoxResult", "CoxZphResult", "aeq_times", "cox_ph", "cox_zph"]
