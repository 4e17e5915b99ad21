"""Doses and the infusion timetable, checked by hand arithmetic and the shared reference vectors.

Hand calculations: dose = BSA (m², rounded to 2 decimals) x dose per m² x level factor, rounded
half-up to 1 mg (seed regimen). Paper: oxaliplatin 75 (A) / 60 (B) mg/m² IA 6 h; 5-FU 1.5 (A) /
1.0 (B) g/m² IA 18 h; leucovorin 200 mg/m² IV 2 h at the start of 5-FU; epirubicin 20-40 mg fixed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.clinical.scores import ChildPughClass
from hcctrial.errors import DataValidationError
from hcctrial.protocol import default_regimen, dose_sheet, load_regimen, round_dose_mg
from tests.protocol.helpers import edited_regimen
from tests.support import REFERENCE, read_jsonl

SEED = default_regimen()


def doses(bsa: float, cp: str = "A", level: int = 0, regimen=SEED, **kw) -> dict[str, float]:  # type: ignore[no-untyped-def]
    sheet = dose_sheet(regimen, bsa_m2=bsa, child_pugh_class=cp, level=level, **kw)
    return {d.name: d.dose_mg for d in sheet.drugs}


# ------------------------------------------------------------------------------------------------
# dose rules, by hand
# ------------------------------------------------------------------------------------------------

HAND = [
    # BSA 1.8, A: oxaliplatin 1.8 x 75 = 135; 5-FU 1.8 x 1500 = 2700; leucovorin 1.8 x 200 = 360
    (1.8, "A", 0, {"oxaliplatin": 135, "fluorouracil": 2700, "leucovorin": 360, "epirubicin": 40}),
    # BSA 1.8, B: oxaliplatin 1.8 x 60 = 108; 5-FU 1.8 x 1000 = 1800; leucovorin 360 (same)
    (1.8, "B", 0, {"oxaliplatin": 108, "fluorouracil": 1800, "leucovorin": 360, "epirubicin": 40}),
    # BSA 1.65, A: 1.65 x 75 = 123.75 -> 124; 1.65 x 1500 = 2475; 1.65 x 200 = 330
    (1.65, "A", 0, {"oxaliplatin": 124, "fluorouracil": 2475, "leucovorin": 330}),
    # BSA 1.7, A: 1.7 x 75 = 127.5 -> half-up 128 (not banker's 128/127.5 -> 128 either way; see
    # 1.5 below for the half-up check)
    (1.7, "A", 0, {"oxaliplatin": 128, "fluorouracil": 2550, "leucovorin": 340}),
    # BSA 1.5, B: 1.5 x 60 = 90; 1.5 x 1000 = 1500; 1.5 x 200 = 300
    (1.5, "B", 0, {"oxaliplatin": 90, "fluorouracil": 1500, "leucovorin": 300}),
    # level -1 (x 0.8), BSA 1.8, A: 135 x 0.8 = 108; 2700 x 0.8 = 2160; leucovorin not reduced 360
    (1.8, "A", -1, {"oxaliplatin": 108, "fluorouracil": 2160, "leucovorin": 360, "epirubicin": 40}),
    # level -2 (x 0.6), BSA 1.8, A: 135 x 0.6 = 81; 2700 x 0.6 = 1620
    (1.8, "A", -2, {"oxaliplatin": 81, "fluorouracil": 1620, "leucovorin": 360}),
    # level -1, BSA 1.8, B: 108 x 0.8 = 86.4 -> 86; 1800 x 0.8 = 1440
    (1.8, "B", -1, {"oxaliplatin": 86, "fluorouracil": 1440, "leucovorin": 360}),
    # level -2, BSA 1.75, B: 1.75 x 60 x 0.6 = 63; 1.75 x 1000 x 0.6 = 1050; 1.75 x 200 = 350
    (1.75, "B", -2, {"oxaliplatin": 63, "fluorouracil": 1050, "leucovorin": 350}),
    # BSA 1.857 is rounded to 1.86 first: 1.86 x 75 = 139.5 -> half-up 140
    (1.857, "A", 0, {"oxaliplatin": 140, "fluorouracil": 2790, "leucovorin": 372}),
]


@pytest.mark.parametrize(("bsa", "cp", "level", "expected"), HAND)
def test_dose_rule_by_hand(bsa: float, cp: str, level: int, expected: dict[str, float]) -> None:
    got = doses(bsa, cp, level)
    assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in read_jsonl(REFERENCE / "clinical" / "scores_cases.jsonl")
        if c["score"] == "haic_folfox_dose"
    ],
    ids=lambda c: c["id"],
)
def test_shared_reference_dose_vectors(case: dict) -> None:  # type: ignore[type-arg]
    got = doses(case["inputs"]["bsa_m2"], case["inputs"]["child_pugh"])
    exp = case["expected"]
    assert got["oxaliplatin"] == exp["oxaliplatin_mg_ia_6h"]
    assert got["leucovorin"] == exp["leucovorin_mg_iv_2h"]
    assert got["fluorouracil"] == exp["fluorouracil_mg_ia_18h"]


def test_no_bsa_cap_by_default() -> None:
    # score-071: BSA 2.2 -> 165 / 3300 mg uncapped (the paper sets no cap)
    sheet = dose_sheet(SEED, bsa_m2=2.2, child_pugh_class="A")
    assert sheet.bsa_capped is False and sheet.bsa_m2 == 2.2
    assert sheet.drug("oxaliplatin").dose_mg == 165


def test_bsa_cap_from_the_file(tmp_path: Path) -> None:
    # score-071 note: with a 2.0 m² cap, 2.0 x 75 = 150, 2.0 x 200 = 400, 2.0 x 1500 = 3000
    path = edited_regimen(tmp_path, [('bsa_cap_m2 = "none"', "bsa_cap_m2 = 2.0")])
    sheet = dose_sheet(load_regimen(path), bsa_m2=2.2, child_pugh_class="A")
    assert sheet.bsa_capped is True and sheet.bsa_m2 == 2.0
    assert {d.name: d.dose_mg for d in sheet.drugs if d.component == "haic"} == {
        "oxaliplatin": 150,
        "fluorouracil": 3000,
        "leucovorin": 400,
    }
    assert any("capped" in n for n in sheet.notes)
    # below the cap nothing changes: 1.8 x 75 = 135
    assert doses(1.8, regimen=load_regimen(path))["oxaliplatin"] == 135


def test_rounding_step_from_the_file(tmp_path: Path) -> None:
    # round to 10 mg: 1.65 x 75 = 123.75 -> 120; 1.65 x 1500 = 2475 -> half-up 2480
    path = edited_regimen(tmp_path, [("round_to_mg = 1.0", "round_to_mg = 10.0")])
    got = doses(1.65, regimen=load_regimen(path))
    assert (got["oxaliplatin"], got["fluorouracil"]) == (120, 2480)


def test_edited_dose_per_m2_changes_the_dose(tmp_path: Path) -> None:
    # the code reads the file: oxaliplatin A 75 -> 85 mg/m² gives 1.8 x 85 = 153 mg
    path = edited_regimen(tmp_path, [("A = 75.0", "A = 85.0")])
    assert doses(1.8, regimen=load_regimen(path))["oxaliplatin"] == 153
    assert doses(1.8)["oxaliplatin"] == 135


def test_edited_level_factor_changes_the_dose(tmp_path: Path) -> None:
    # level -1 at 75 %: 135 x 0.75 = 101.25 -> 101
    path = edited_regimen(tmp_path, [("level = -1\nfactor = 0.8", "level = -1\nfactor = 0.75")])
    assert doses(1.8, level=-1, regimen=load_regimen(path))["oxaliplatin"] == 101


def test_half_up_rounding() -> None:
    # 134.5 -> 135 (banker's rounding would give 134); 2.5 with step 5 -> 5
    assert round_dose_mg(134.5, 1) == 135
    assert round_dose_mg(122.5, 5) == 125
    assert round_dose_mg(2.4, 1) == 2


def test_epirubicin_fixed_dose_with_range() -> None:
    epi = dose_sheet(SEED, bsa_m2=1.6, child_pugh_class="B", level=-2).drug("epirubicin")
    assert epi.dose_mg == 40  # fixed: not BSA-based, not reduced
    assert epi.dose_range_mg == (20.0, 40.0)
    assert epi.dose_per_m2_mg is None
    assert "lipiodol" in epi.note and "< 20 mL" in epi.note


# ------------------------------------------------------------------------------------------------
# sorafenib
# ------------------------------------------------------------------------------------------------

SORAFENIB = [
    (
        "start",
        400,
        "200 mg twice daily",
    ),  # "sorafenib (200 mg) was administered orally twice daily"
    (0, 800, "400 mg twice daily"),  # "400 mg was administered orally twice daily"
    (-1, 600, "400 mg morning + 200 mg evening"),  # "reduced (600 mg or 400 mg orally per day)"
    (-2, 400, "200 mg twice daily"),
]


@pytest.mark.parametrize(("level", "daily", "schedule"), SORAFENIB)
def test_sorafenib_daily_dose(level: int | str, daily: float, schedule: str) -> None:
    s = dose_sheet(SEED, bsa_m2=1.8, child_pugh_class="A", sorafenib_level=level).drug("sorafenib")  # type: ignore[arg-type]
    assert s.dose_mg == daily
    assert s.schedule.startswith(schedule)
    assert s.route == "oral" and s.duration_h is None and s.end is None


def test_sorafenib_does_not_depend_on_bsa_or_child_pugh() -> None:
    assert (
        doses(1.4, "B", sorafenib_level=0)["sorafenib"]
        == doses(2.3, "A", sorafenib_level=0)["sorafenib"]
        == 800
    )


@pytest.mark.parametrize("bad", [1, -3, "full", True])
def test_unknown_sorafenib_level(bad: object) -> None:
    with pytest.raises(DataValidationError, match="sorafenib_level"):
        dose_sheet(SEED, bsa_m2=1.8, child_pugh_class="A", sorafenib_level=bad)  # type: ignore[arg-type]


def test_sister_regimen_has_no_sorafenib_but_the_same_haic() -> None:
    sister = load_regimen("tace_haic_folfox")
    sheet = dose_sheet(sister, bsa_m2=1.8, child_pugh_class="A")
    assert [d.name for d in sheet.drugs] == [
        "epirubicin",
        "oxaliplatin",
        "fluorouracil",
        "leucovorin",
    ]
    assert sheet.sorafenib_level is None
    # same TACE-HAIC: 135 / 2700 / 360 mg as the seed regimen
    assert doses(1.8, regimen=sister) == {
        "epirubicin": 40,
        "oxaliplatin": 135,
        "fluorouracil": 2700,
        "leucovorin": 360,
    }


# ------------------------------------------------------------------------------------------------
# timetable
# ------------------------------------------------------------------------------------------------


def test_infusion_clock_times() -> None:
    # TACE 08:00 (2 h slot) -> oxaliplatin 10:00-16:00 (6 h) -> 5-FU 16:00-10:00 next day (18 h);
    # leucovorin 16:00-18:00 (2 h at the start of 5-FU); sorafenib from 08:00, continuous
    sheet = dose_sheet(SEED, bsa_m2=1.8, child_pugh_class="A", start=datetime(2026, 3, 2, 8, 0))
    times = {d.name: (d.start, d.end) for d in sheet.drugs}
    assert times == {
        "epirubicin": (datetime(2026, 3, 2, 8), datetime(2026, 3, 2, 10)),
        "oxaliplatin": (datetime(2026, 3, 2, 10), datetime(2026, 3, 2, 16)),
        "fluorouracil": (datetime(2026, 3, 2, 16), datetime(2026, 3, 3, 10)),
        "leucovorin": (datetime(2026, 3, 2, 16), datetime(2026, 3, 2, 18)),
        "sorafenib": (datetime(2026, 3, 2, 8), None),
    }


def test_clock_times_follow_the_start() -> None:
    # start 13:30: TACE 13:30-15:30, oxaliplatin 15:30-21:30, 5-FU 21:30-15:30 (+1 day)
    sheet = dose_sheet(SEED, bsa_m2=1.8, child_pugh_class="A", start=datetime(2026, 12, 31, 13, 30))
    assert sheet.drug("fluorouracil").start == datetime(2026, 12, 31, 21, 30)
    assert sheet.drug("fluorouracil").end == datetime(2027, 1, 1, 15, 30)
    d = sheet.drug("fluorouracil").to_dict()
    assert (d["start_day"], d["start_clock"], d["end_day"], d["end_clock"]) == (
        1,
        "21:30",
        2,
        "15:30",
    )


def test_without_start_the_file_clock_gives_day_and_time() -> None:
    sheet = dose_sheet(SEED, bsa_m2=1.8, child_pugh_class="A")
    ox = sheet.drug("oxaliplatin").to_dict()
    assert ox["start"] is None and ox["end"] is None
    assert (ox["start_day"], ox["start_clock"], ox["end_day"], ox["end_clock"]) == (
        1,
        "10:00",
        1,
        "16:00",
    )


def test_edited_duration_moves_the_timetable(tmp_path: Path) -> None:
    # oxaliplatin over 4 h instead of 6 h: 10:00-14:00, then 5-FU 14:00-08:00
    path = edited_regimen(tmp_path, [("duration_h = 6.0", "duration_h = 4.0")])
    sheet = dose_sheet(
        load_regimen(path), bsa_m2=1.8, child_pugh_class="A", start=datetime(2026, 3, 2, 8)
    )
    assert sheet.drug("fluorouracil").start == datetime(2026, 3, 2, 14)
    assert sheet.drug("fluorouracil").end == datetime(2026, 3, 3, 8)


# ------------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"child_pugh_class": "C"}, "child_pugh"),
        ({"child_pugh_class": ChildPughClass.C}, "child_pugh"),
        ({"child_pugh_class": "D"}, "child_pugh"),
        ({"level": -3}, "level"),
        ({"level": 1}, "level"),
        ({"bsa_m2": 0.0}, "bsa_m2"),
        ({"bsa_m2": 18.0}, "bsa_m2"),
    ],
)
def test_bad_dosing_input(kwargs: dict, field: str) -> None:  # type: ignore[type-arg]
    args = {"bsa_m2": 1.8, "child_pugh_class": "A"} | kwargs
    with pytest.raises(DataValidationError) as err:
        dose_sheet(SEED, **args)
    assert field in str(err.value)


def test_child_pugh_c_message_is_clear() -> None:
    with pytest.raises(DataValidationError, match="Child-Pugh C is not eligible"):
        dose_sheet(SEED, bsa_m2=1.8, child_pugh_class="C")


def test_child_pugh_enum_and_label_accepted() -> None:
    assert doses(1.8, ChildPughClass.B)["oxaliplatin"] == 108  # type: ignore[arg-type]
    assert doses(1.8, "B7")["oxaliplatin"] == 108  # 1.8 x 60


# ------------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------------

bsas = st.floats(min_value=0.5, max_value=3.5, allow_nan=False)
levels = st.sampled_from([0, -1, -2])


@settings(max_examples=200, deadline=None)
@given(a=bsas, b=bsas, cp=st.sampled_from(["A", "B"]), level=levels)
def test_dose_is_monotone_in_bsa(a: float, b: float, cp: str, level: int) -> None:
    lo, hi = sorted((a, b))
    d_lo, d_hi = doses(lo, cp, level), doses(hi, cp, level)
    assert all(d_lo[k] <= d_hi[k] for k in d_lo)


@settings(max_examples=200, deadline=None)
@given(bsa=bsas, level=levels)
def test_child_pugh_b_never_gets_more_than_a(bsa: float, level: int) -> None:
    a, b = doses(bsa, "A", level), doses(bsa, "B", level)
    assert all(b[k] <= a[k] for k in a)


@settings(max_examples=200, deadline=None)
@given(bsa=bsas, cp=st.sampled_from(["A", "B"]))
def test_lower_level_never_gets_more(bsa: float, cp: str) -> None:
    d0, d1, d2 = doses(bsa, cp, 0), doses(bsa, cp, -1), doses(bsa, cp, -2)
    assert all(d2[k] <= d1[k] <= d0[k] for k in d0)


@settings(max_examples=200, deadline=None)
@given(bsa=bsas, cp=st.sampled_from(["A", "B"]), level=levels)
def test_dose_within_half_a_step_of_exact_product(bsa: float, cp: str, level: int) -> None:
    # an independent float computation of BSA(2 dp) x dose/m² x factor, vs the Decimal one
    per_m2 = {
        "A": {"oxaliplatin": 75, "fluorouracil": 1500},
        "B": {"oxaliplatin": 60, "fluorouracil": 1000},
    }
    factor = {0: 1.0, -1: 0.8, -2: 0.6}[level]
    got = doses(bsa, cp, level)
    for drug, mg in per_m2[cp].items():
        # BSA rounding to 2 dp moves the BSA by <= 0.005 m²; dose rounding by <= 0.5 mg
        assert abs(got[drug] - bsa * mg * factor) <= 0.5 + 0.005 * mg * factor + 1e-6


# ------------------------------------------------------------------------------------------------
# Child-Pugh labels (issue 13 item 4): "(3) Child-Pugh class A or B7" (paper, inclusion 3);
# class A = 5-6 points, B = 7-9, C = 10-15 (Pugh 1973).


@pytest.mark.parametrize(
    ("label", "why"),
    [
        ("B10", "10 points is Child-Pugh class C, not B"),
        ("A9", "9 points is Child-Pugh class B, not A"),
        ("A7", "7 points is Child-Pugh class B, not A"),
        ("B6", "6 points is Child-Pugh class A, not B"),
        ("C9", "9 points is Child-Pugh class B, not C"),
        ("A4", "a Child-Pugh total is 5-15 points"),
        ("B16", "a Child-Pugh total is 5-15 points"),
    ],
)
def test_child_pugh_label_whose_letter_contradicts_its_points_is_refused(
    label: str, why: str
) -> None:
    with pytest.raises(DataValidationError, match=why) as exc:
        dose_sheet(SEED, bsa_m2=1.8, child_pugh_class=label)
    assert exc.value.field == "child_pugh"


@pytest.mark.parametrize("label", ["B8", "B9"])
def test_child_pugh_outside_entry_classes_is_refused_unless_the_investigator_decides(
    label: str,
) -> None:
    # B8/B9 are class B (7-9 points) but the paper admits "Child-Pugh class A or B7" only
    with pytest.raises(DataValidationError, match="outside the protocol's liver function"):
        dose_sheet(SEED, bsa_m2=1.8, child_pugh_class=label)
    sheet = dose_sheet(SEED, bsa_m2=1.8, child_pugh_class=label, allow_outside_entry=True)
    assert sheet.child_pugh_class == "B"
    assert sheet.drug("oxaliplatin").dose_mg == 108.0  # 1.8 x 60 mg/m² (class B)
    assert any("investigator decision" in n for n in sheet.notes)


@pytest.mark.parametrize(("label", "oxaliplatin"), [("A5", 135.0), ("A6", 135.0), ("B7", 108.0)])
def test_entry_labels_dose_as_their_class(label: str, oxaliplatin: float) -> None:
    # 1.8 m² x 75 mg/m² (A) = 135 mg; x 60 mg/m² (B) = 108 mg
    assert dose_sheet(SEED, bsa_m2=1.8, child_pugh_class=label).drug("oxaliplatin").dose_mg == (
        oxaliplatin
    )
