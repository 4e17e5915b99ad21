"""hcctrial.demo: the synthetic 66-patient trial consistent with the published study.

- ``tools/fit_cohort.py`` (repository tool, not installed) — fits the survival skeleton (its output is
  ``data/cohort_skeleton.json``);
- :mod:`~hcctrial.demo.cohort` — assigns every baseline variable, intended response and worst grade
  with the paper's exact marginals;
- :mod:`~hcctrial.demo.measurements` — lab values and lesion diameters that imply them;
- :mod:`~hcctrial.demo.generate` — writes the trial as raw records through the service layer.
"""

__all__ = ["cohort", "generate", "measurements", "screening_files"]
