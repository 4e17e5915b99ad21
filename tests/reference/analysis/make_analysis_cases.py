"""Write analysis_cases.csv: 80 synthetic patients (fixed seed) for analyse_r.R.

Run from the repository root: python tests/reference/analysis/make_analysis_cases.py
Times are whole days; PFS as the paper defined it (pfs_*), OS (os_*); covariates as the seed
plan's subject variables.
"""

import csv
import random
from pathlib import Path

rng = random.Random(20240514)
rows = []
for i in range(80):
    bclc = "C" if rng.random() < 0.55 else "B"
    pvi = bclc == "C" and rng.random() < 0.6
    ehs = bclc == "C" and rng.random() < 0.4
    scale = 420 if bclc == "B" else 260
    os_days = max(15, int(rng.expovariate(1 / (scale * 1.8))))
    alive = rng.random() < 0.3
    pfs_days = max(10, min(os_days, int(rng.expovariate(1 / scale))))
    pfs_event = int(pfs_days < os_days and rng.random() < 0.85)
    best = rng.choices(["CR", "PR", "SD", "PD", "NE"], [0.12, 0.3, 0.42, 0.12, 0.04])[0]
    rows.append(
        {
            "study_id": f"S{i + 1:03d}",
            "bclc": bclc,
            "portal_vein_invasion": str(pvi).lower(),
            "extrahepatic_spread": str(ehs).lower(),
            "afp_ng_ml": "" if rng.random() < 0.05 else round(rng.lognormvariate(4.5, 2.0), 1),
            "child_pugh_class": "B" if rng.random() < 0.15 else "A",
            "largest_tumour_cm": round(rng.uniform(1.5, 15.0), 1),
            "imaging_modality": "CT" if rng.random() < 0.25 else "MRI",
            "best_response": best,
            "n_cycles": rng.choice([1, 2, 2, 3, 4, 5, 6]),
            "major_deviations": 1 if rng.random() < 0.08 else 0,
            "pfs_days": pfs_days,
            "pfs_event": pfs_event,
            "os_days": os_days,
            "os_event": 0 if alive else 1,
        }
    )
path = Path(__file__).with_name("analysis_cases.csv")
with path.open("w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
