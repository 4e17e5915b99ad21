"""hcctrial.derive: analysis datasets derived from the trial's raw records, and the plan on them.

- :mod:`~hcctrial.derive.records` — one patient's raw records as plain values; loading from the DB;
- :mod:`~hcctrial.derive.subject` — one row per patient (baseline, Child-Pugh, ALBI, BCLC, best
  response, worst grade per AE term, cycles, dose intensity);
- :mod:`~hcctrial.derive.endpoints` — one row per patient x endpoint (PFS as the paper defined it,
  standard PFS, OS) in months = days / 30.4375; CSV export;
- :mod:`~hcctrial.derive.analysis` — the statistical plan (KM, SPSS/R medians, landmarks, ORR/DCR,
  AE tables, follow-up, subgroups, Cox, the primary endpoint).
"""

__all__ = ["analysis", "endpoints", "records", "subject"]
