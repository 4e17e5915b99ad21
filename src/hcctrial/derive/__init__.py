"""hcctrial.derive: analysis datasets derived from the trial's raw records.

- :mod:`~hcctrial.derive.records` — one patient's raw records as plain values; loading from the DB;
- :mod:`~hcctrial.derive.subject` — one row per patient (baseline, Child-Pugh, ALBI, BCLC, best
  response, worst grade per AE term, cycles, dose intensity);
- :mod:`~hcctrial.derive.endpoints` — one row per patient x endpoint of the statistical analysis
  plan (PFS as the paper defined it, standard PFS, OS, TTP, DoR, TTF, CIF of progression), as the
  plan defines origin, events, competing events and censoring; CSV export;
- :mod:`~hcctrial.derive.datasets` — the analysis datasets the plan's one analysis reads
  (:func:`hcctrial.analysis.run.analyse`).
"""

__all__ = ["datasets", "endpoints", "records", "subject"]
