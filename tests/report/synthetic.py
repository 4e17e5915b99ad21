"""Small synthetic report inputs for the report tests (deterministic, built by hand or by seed)."""

from __future__ import annotations

import random

from hcctrial.report.inputs import (
    Disposition,
    EndpointRecord,
    ReportInputs,
    SubjectRecord,
    SwimmerRecord,
    TumourMeasurement,
)


def tiny_inputs() -> ReportInputs:
    """Six patients whose every table cell can be worked out by hand (see test_tables.py)."""
    subjects = (
        SubjectRecord(
            "P1",
            sex="male",
            age_years=40,
            largest_tumour_cm=3.0,
            child_pugh="A5",
            bclc="B",
            ecog=0,
            vascular_invasion=False,
            portal_vein_invasion=False,
            extrahepatic_spread=False,
            hbv=True,
            hbv_dna_high=True,
            cirrhosis=True,
            afp_ng_ml=20.0,
            imaging_modality="MRI",
            best_response="CR",
            best_change_pct=-100.0,
            worst_grades={"platelet_count_decreased": 1, "pain": 2},
            n_cycles=4,
        ),
        SubjectRecord(
            "P2",
            sex="male",
            age_years=50,
            largest_tumour_cm=6.0,
            child_pugh="A6",
            bclc="B",
            ecog=0,
            vascular_invasion=False,
            portal_vein_invasion=False,
            extrahepatic_spread=False,
            hbv=True,
            hbv_dna_high=False,
            cirrhosis=True,
            afp_ng_ml=150.0,
            imaging_modality="MRI",
            best_response="PR",
            best_change_pct=-45.0,
            worst_grades={"platelet_count_decreased": 3, "pain": 1},
            n_cycles=3,
        ),
        SubjectRecord(
            "P3",
            sex="female",
            age_years=60,
            largest_tumour_cm=12.0,
            child_pugh="B7",
            bclc="C",
            ecog=1,
            vascular_invasion=True,
            portal_vein_invasion=True,
            extrahepatic_spread=False,
            hbv=False,
            hbv_dna_high=False,
            cirrhosis=False,
            afp_ng_ml=900.0,
            imaging_modality="CT",
            best_response="SD",
            best_change_pct=5.0,
            worst_grades={"transaminase_increased": 4},
            n_cycles=2,
        ),
        SubjectRecord(
            "P4",
            sex="male",
            age_years=70,
            largest_tumour_cm=8.0,
            child_pugh="A5",
            bclc="C",
            ecog=1,
            vascular_invasion=True,
            portal_vein_invasion=False,
            extrahepatic_spread=True,
            hbv=True,
            hbv_dna_high=True,
            cirrhosis=True,
            afp_ng_ml=None,
            imaging_modality="MRI",
            best_response="PD",
            best_change_pct=35.0,
            worst_grades={},
            n_cycles=1,
        ),
        SubjectRecord(
            "P5",
            sex="female",
            age_years=None,
            largest_tumour_cm=4.0,
            child_pugh="A5",
            bclc="C",
            ecog=0,
            vascular_invasion=False,
            portal_vein_invasion=False,
            extrahepatic_spread=True,
            hbv=False,
            hbv_dna_high=False,
            cirrhosis=True,
            afp_ng_ml=50.0,
            imaging_modality="CT",
            best_response="SD",
            best_change_pct=-10.0,
            worst_grades={"pain": 2, "platelet_count_decreased": 2},
            n_cycles=2,
        ),
        SubjectRecord(
            "P6",
            sex="male",
            age_years=30,
            largest_tumour_cm=10.0,
            child_pugh="A6",
            bclc="B",
            ecog=0,
            vascular_invasion=False,
            portal_vein_invasion=False,
            extrahepatic_spread=False,
            hbv=True,
            hbv_dna_high=True,
            cirrhosis=False,
            afp_ng_ml=100.0,
            imaging_modality="MRI",
            best_response=None,
            best_change_pct=None,
            worst_grades={"fever": 1},
            n_cycles=1,
        ),
    )
    # OS: times 2, 4, 6, 8, 10, 12 with events 1, 0, 1, 1, 0, 1
    # PFS (paper): 1, 3, 5, 7, 9, 11 with events 1, 1, 0, 1, 1, 0
    os_t, os_e = (12, 4, 6, 8, 10, 2), (1, 0, 1, 1, 0, 1)
    pf_t, pf_e = (11, 3, 5, 7, 9, 1), (0, 1, 0, 1, 1, 1)
    ends = []
    for s, t, e, pt, pe in zip(subjects, os_t, os_e, pf_t, pf_e, strict=True):
        ends.append(EndpointRecord(s.study_id, "os", float(t), e))
        ends.append(EndpointRecord(s.study_id, "pfs_paper", float(pt), pe))
        ends.append(EndpointRecord(s.study_id, "pfs", float(pt), int(pe or e)))
    return ReportInputs(subjects, tuple(ends))


def random_inputs(n: int = 40, seed: int = 7) -> ReportInputs:
    """A seeded synthetic cohort with every field, measurements, swimmers and disposition."""
    rng = random.Random(seed)
    subjects, ends, meas, swim = [], [], [], []
    responses = ("CR", "PR", "SD", "PD")
    for i in range(n):
        sid = f"S{i + 1:03d}"
        bclc = "C" if rng.random() < 0.55 else "B"
        pvi = bclc == "C" and rng.random() < 0.5
        resp = rng.choice(responses)
        grades = {
            t: rng.choice((0, 0, 1, 2, 3, 4))
            for t in (
                "platelet_count_decreased",
                "transaminase_increased",
                "pain",
                "hand_foot_skin_reaction",
            )
        }
        best = {
            "CR": -100.0,
            "PR": -30 - 60 * rng.random(),
            "SD": -29 + 48 * rng.random(),
            "PD": 20 + 50 * rng.random(),
        }[resp]
        subjects.append(
            SubjectRecord(
                sid,
                sex=rng.choice(("male", "male", "female")),
                age_years=float(rng.randint(30, 75)),
                largest_tumour_cm=round(rng.uniform(1.5, 15.0), 1),
                child_pugh=rng.choice(("A5", "A6", "B7")),
                bclc=bclc,
                ecog=rng.choice((0, 1)),
                vascular_invasion=pvi or rng.random() < 0.1,
                portal_vein_invasion=pvi,
                extrahepatic_spread=rng.random() < 0.25,
                hbv=rng.random() < 0.8,
                hbv_dna_high=rng.random() < 0.4,
                cirrhosis=rng.random() < 0.75,
                afp_ng_ml=round(rng.lognormvariate(4.5, 2.0), 1),
                imaging_modality=rng.choice(("MRI", "MRI", "CT")),
                best_response=resp,
                best_change_pct=best,
                worst_grades=grades,
                n_cycles=rng.randint(1, 8),
            )
        )
        scale = 20.0 if bclc == "B" else 10.0
        os_t = round(rng.expovariate(1 / (scale * 1.8)) + 0.5, 2)
        died = rng.random() < 0.7
        os_t = min(os_t, 70.0)
        pfs_t = round(min(os_t, rng.expovariate(1 / scale) + 0.3), 2)
        prog = pfs_t < os_t or rng.random() < 0.3
        ends += [
            EndpointRecord(sid, "os", os_t, int(died)),
            EndpointRecord(sid, "pfs_paper", pfs_t, int(prog)),
            EndpointRecord(sid, "pfs", pfs_t, int(prog or (died and pfs_t == os_t))),
        ]
        for k in range(1, 4):
            meas.append(TumourMeasurement(sid, 2.0 * k, best * k / 3))
        swim.append(
            SwimmerRecord(
                sid,
                min(os_t, 1.0 * rng.randint(1, 8)),
                rng.randint(1, 8),
                resp,
                2.0 if resp in ("CR", "PR") else None,
                pfs_t if prog else None,
                os_t if died else None,
                os_t,
            )
        )
    disp = Disposition(
        screened=n + 7,
        excluded=(("Child-Pugh B8 or worse", 4), ("Age over 75 years", 3)),
        enrolled=n,
        treated=n,
        assessable=n,
        analysed=n,
    )
    return ReportInputs(tuple(subjects), tuple(ends), tuple(meas), tuple(swim), disp)
