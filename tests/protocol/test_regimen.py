"""The regimen files: every number of the paper's protocol, and errors naming the key path.

Expected values come from ``tests/reference/seed/published.json`` (the paper's figures, each with its
quote), not from the regimen file under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hcctrial.errors import ProtocolError
from hcctrial.protocol import default_regimen, list_regimens, load_regimen
from hcctrial.protocol.regimen import regimen_from_mapping
from tests.protocol.helpers import bundled_text, edited_regimen
from tests.support import TESTS_REFERENCE, published_figures

PUBLISHED: dict[str, Any] = published_figures()
#: The seed paper's text, verbatim (tests/reference/README.md).
PAPER_TEXT = " ".join((TESTS_REFERENCE / "seed" / "paper.txt").read_text().split())


def _inclusion(rule_id: str) -> dict[str, Any]:
    return next(r for r in PUBLISHED["eligibility"]["inclusion"] if r["id"] == rule_id)


# ------------------------------------------------------------------------------------------------
# the seed regimen holds the paper's numbers
# ------------------------------------------------------------------------------------------------


def test_bundled_regimens_are_listed() -> None:
    assert list_regimens() == ["sorafenib_tace_haic_folfox", "tace_haic_folfox"]
    assert default_regimen().id == "sorafenib_tace_haic_folfox"


def test_version_and_source_present() -> None:
    r = default_regimen()
    assert r.version == "1.0.0"
    assert "paper.txt" in r.source


@pytest.mark.parametrize(
    ("rule_id", "criterion_id"),
    [
        ("INC5a", "wbc"),
        ("INC5b", "anc"),
        ("INC6a", "creatinine"),
        ("INC6b", "albumin"),
        ("INC7", "lvef"),
    ],
)
def test_lab_thresholds_match_the_paper(rule_id: str, criterion_id: str) -> None:
    expected = _inclusion(rule_id)
    lab = next(c for c in default_regimen().eligibility.labs if c.id == criterion_id)
    assert lab.op == expected["op"]
    assert lab.value == expected["value"]
    # published.json writes the albumin threshold in g/dL (the paper's "mg/dL" is a unit slip)
    assert lab.unit == expected["unit"]


def test_albumin_unit_slip_is_g_per_dl() -> None:
    lab = next(c for c in default_regimen().eligibility.labs if c.id == "albumin")
    assert lab.unit == "g/dL"
    assert "mg/dL" in lab.quote  # the paper's words are kept verbatim


def test_age_ecog_child_pugh_bclc_match_the_paper() -> None:
    e = default_regimen().eligibility
    assert [e.age_min_years, e.age_max_years] == _inclusion("INC1")["value"]  # [18, 75]
    assert e.age_inclusive is (_inclusion("INC1")["op"] == "between_inclusive")
    assert list(range(e.ecog_max + 1)) == _inclusion("INC2")["value"]  # [0, 1, 2]
    assert e.child_pugh_allowed == _inclusion("INC3")["value"]  # A5, A6, B7
    assert e.bclc_allowed == _inclusion("INC4")["value"]  # B, C
    assert e.diagnosis_methods == ["pathology", "aasld_noninvasive"]


def test_five_exclusions_match_the_paper() -> None:
    fields = [x["field"] for x in PUBLISHED["eligibility"]["exclusion"]]
    got = [c.field for c in default_regimen().eligibility.exclusions]
    # published.json names: other_malignancy, uncontrolled_infection, pregnant_or_breastfeeding,
    # prior_sorafenib, severe_allergy_contrast_or_drugs
    assert got == fields
    infection = next(
        c for c in default_regimen().eligibility.exclusions if c.field == "uncontrolled_infection"
    )
    assert infection.infection_grade_above == 2  # "> grade 2 infections"


def test_haic_doses_match_the_paper() -> None:
    haic = PUBLISHED["regimen"]["haic"]
    r = default_regimen()
    ox, fu, lv = r.drug("oxaliplatin"), r.drug("fluorouracil"), r.drug("leucovorin")
    assert ox.dose_per_m2 is not None and fu.dose_per_m2 is not None and lv.dose_per_m2 is not None
    assert (ox.dose_per_m2.A, ox.dose_per_m2.B) == (75, 60)
    ox_paper = haic["oxaliplatin"]["value"]["dose_mg_m2"]
    assert (
        ox_paper["Child-Pugh A"],
        ox_paper["Child-Pugh B"],
    ) == (ox.dose_per_m2.A, ox.dose_per_m2.B)
    assert ox.duration_h == haic["oxaliplatin"]["value"]["duration_h"] == 6
    assert ox.route == "intra-arterial"
    assert fu.dose_unit == "g"
    fu_paper = haic["fluorouracil"]["value"]["dose_g_m2"]  # 1.5 / 1.0 g/m²
    assert (
        fu_paper["Child-Pugh A"],
        fu_paper["Child-Pugh B"],
    ) == (fu.dose_per_m2.A, fu.dose_per_m2.B)
    assert fu.duration_h == haic["fluorouracil"]["value"]["duration_h"] == 18
    assert fu.start_after == "oxaliplatin"  # "oxaliplatin ... for 6 h, followed by 5-FU for 18 h"
    assert lv.dose_per_m2.A == lv.dose_per_m2.B == haic["leucovorin"]["value"]["dose_mg_m2"]
    assert lv.duration_h == haic["leucovorin"]["value"]["duration_h"] == 2
    assert lv.route == "intravenous"
    assert lv.start_with == "fluorouracil"  # "at the beginning of the 5-FU infusion"


def test_tace_numbers_match_the_paper() -> None:
    tace = PUBLISHED["regimen"]["tace"]
    r = default_regimen()
    epi = r.drug("epirubicin")
    assert epi.fixed_dose is not None
    assert (epi.fixed_dose.min_mg, epi.fixed_dose.max_mg) == (
        tace["epirubicin_mg"]["value"]["min"],
        tace["epirubicin_mg"]["value"]["max"],
    )
    assert r.tace is not None
    assert r.tace.lipiodol_max_ml == tace["lipiodol_max_ml"]["value"] == 20
    assert r.tace.lipiodol_max_strict is True
    assert r.tace.embospheres_um == tace["embospheres_um"]["value"]
    assert r.tace.gelatin_sponge_um == tace["gelatin_sponge_um"]["value"]
    assert r.tace.microcatheter_fr == tace["microcatheter"]["value"]["size_F"]


def test_sorafenib_levels_match_the_paper() -> None:
    s = PUBLISHED["regimen"]["sorafenib"]
    sor = default_regimen().sorafenib
    assert sor is not None
    assert sor.start_daily_mg == s["start_dose"]["value"]["daily_mg"]  # 200 mg bid = 400 mg/day
    levels = {lv.level: lv.daily_mg for lv in sor.levels}
    assert levels[0] == s["target_dose"]["value"]["daily_mg"]  # 400 mg bid = 800 mg/day
    assert [levels[-1], levels[-2]] == s["reduced_daily_doses_mg"]["value"]  # 600, 400
    assert sor.route == "oral"


def test_cycle_and_calendar_match_the_paper() -> None:
    reg = PUBLISHED["regimen"]
    sched = PUBLISHED["schedule"]
    r = default_regimen()
    assert (r.cycle.min_weeks, r.cycle.max_weeks) == (
        reg["cycle_length"]["value"]["min_weeks"],
        reg["cycle_length"]["value"]["max_weeks"],
    )
    assert r.cycle.tace_haic_days == reg["tace_haic_days"]["value"] == [1, 2]
    assert r.cycle.max_haic_cycles == reg["max_haic_cycles"]["value"] == 8
    assert r.schedule.imaging_every_n_cycles == 2
    assert (
        r.schedule.maintenance_imaging_every_months
        == (sched["response_imaging_maintenance"]["value"]["every_months"])
    )
    assert r.schedule.afp_after_cr_every_months == sched["after_cr"]["value"]["afp_every_months"]


def test_assessment_and_stopping_parameters() -> None:
    r = default_regimen()
    stop = PUBLISHED["stopping_rules"][0]
    assert r.assessment.new_node_pd_threshold_mm == stop["new_lesion_threshold_mm"] == 5
    assert r.assessment.new_node_pd_strict is True  # "> 5 mm"
    assert r.assessment.afp_uln_ng_ml == 20
    assert r.assessment.cr_requires_normal_afp is True
    assert r.assessment.min_sd_days > 0
    assert r.assessment.ctcae_version == "4.03"
    assert r.stopping.stop_all_at_pd_count == 2  # "until PD was identified twice"
    assert r.stopping.stop_tace_haic_at_cr and r.stopping.continue_sorafenib_after_cr
    assert r.dosing.bsa_cap_m2 == "none"  # the paper sets no cap


def test_defaults_where_paper_is_silent_are_marked() -> None:
    text = bundled_text()
    r = default_regimen()
    marker = "hcctrial default; paper silent"
    assert marker in r.dosing.source
    assert marker in r.assessment.afp_uln_source
    # every toxicity rule quotes the paper or says it is silent (issue 13: "each row marked with
    # the paper's words or 'hcctrial default; paper silent'")
    for rule in r.dose_modifications.toxicity_rules:
        assert marker in rule.source or rule.quote, rule.id
        assert rule.quote == "" or rule.quote in PAPER_TEXT, rule.id  # the paper's own words
    assert all(marker in lv.source for lv in r.dosing.haic_levels if lv.level != 0)
    assert text.count(marker) >= 20


def test_hfsr_table_follows_sorafenib_label() -> None:
    # sorafenib label HFSR table (STANDARDS.md §5): G2 1st continue (interrupt if no improvement
    # within 7 days), 2nd/3rd interrupt+reduce, 4th discontinue; G3 1st/2nd interrupt+reduce,
    # 3rd discontinue
    hfsr = "Palmar-plantar erythrodysesthesia syndrome"
    rules = {
        (x.min_grade, x.min_occurrence, x.max_occurrence): (x.action, x.on_resume, x.drugs)
        for x in default_regimen().dose_modifications.toxicity_rules
        if x.terms == [hfsr]
    }
    lower = ("hold", "one_level_lower", ["sorafenib"])
    assert rules == {
        (1, 1, None): ("continue", "same_level", ["sorafenib"]),
        (2, 1, 1): ("continue", "same_level", ["sorafenib"]),
        (2, 2, 3): lower,
        (2, 4, None): ("stop", "same_level", ["sorafenib"]),
        (3, 1, 2): lower,
        (3, 3, None): ("stop", "same_level", ["sorafenib"]),
    }


# ------------------------------------------------------------------------------------------------
# the sister regimen
# ------------------------------------------------------------------------------------------------


def test_sister_regimen_has_no_sorafenib() -> None:
    r = load_regimen("tace_haic_folfox")
    assert r.sorafenib is None
    assert r.stopping.continue_sorafenib_after_cr is False
    assert "prior_sorafenib" not in [c.field for c in r.eligibility.exclusions]
    assert all("sorafenib" not in rule.drugs for rule in r.dose_modifications.toxicity_rules)


def test_sister_regimen_keeps_the_same_tace_haic() -> None:
    # the paper: "a clinical trial ... with the same TACE-HAIC regimen[21]"
    seed, sister = default_regimen(), load_regimen("tace_haic_folfox")
    assert sister.drugs == seed.drugs
    assert sister.cycle.model_dump(exclude={"quote"}) == seed.cycle.model_dump(exclude={"quote"})


def test_load_by_path_equals_load_by_name(tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(bundled_text())
    assert load_regimen(path) == default_regimen()
    assert load_regimen(str(path)) == default_regimen()


# ------------------------------------------------------------------------------------------------
# malformed files: the error names the key path
# ------------------------------------------------------------------------------------------------

MALFORMED = [
    pytest.param(
        [("A = 1.5\nB = 1.0", 'A = 1.5\nB = "one"')],
        "drugs[2].dose_per_m2.B",
        id="wrong_type_names_drugs[2].dose_per_m2.B",
    ),
    pytest.param(
        [("max_haic_cycles = 8\n", "")],
        "cycle.max_haic_cycles: required key is missing",
        id="missing_key_names_cycle.max_haic_cycles",
    ),
    pytest.param(
        [("min_sd_days = 42\n", "min_sd_days = 42\nmin_sd_dayz = 43\n")],
        "assessment.min_sd_dayz: unknown key",
        id="unknown_key_names_assessment.min_sd_dayz",
    ),
    pytest.param(
        [('bsa_cap_m2 = "none"', 'bsa_cap_m2 = "no cap"')],
        "dosing.bsa_cap_m2",
        id="bad_cap_names_dosing.bsa_cap_m2",
    ),
    pytest.param(
        [('start_after = "oxaliplatin"', 'start_after = "cisplatin"')],
        "drugs[2] (fluorouracil): start_after/start_with 'cisplatin'",
        id="unknown_drug_reference",
    ),
    pytest.param(
        [("min_weeks = 4\n", "min_weeks = 7\n")],
        "cycle: Value error, min_weeks is above max_weeks",
        id="cycle_min_above_max",
    ),
    pytest.param(
        [("level = -1\nfactor = 0.8", "level = -1\nfactor = 1.2")],
        "dosing.haic_levels[1].factor",
        id="factor_above_one",
    ),
    pytest.param(
        [('op = ">"\nvalue = 3.0\nunit = "10^9/L"', 'op = "=>"\nvalue = 3.0\nunit = "10^9/L"')],
        "eligibility.labs[0].op",
        id="bad_operator_names_eligibility.labs[0].op",
    ),
]


@pytest.mark.parametrize(("replacements", "message"), MALFORMED)
def test_malformed_regimen_error_names_the_key(
    tmp_path: Path, replacements: list[tuple[str, str]], message: str
) -> None:
    path = edited_regimen(tmp_path, replacements)
    with pytest.raises(ProtocolError) as err:
        load_regimen(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = edited_regimen(tmp_path, [("max_haic_cycles = 8", "max_haic_cycles = = 8")])
    with pytest.raises(ProtocolError, match=r"not valid TOML.*line \d+"):
        load_regimen(path)


def test_unknown_regimen_name_lists_the_bundled_ones() -> None:
    with pytest.raises(ProtocolError, match="tace_haic_folfox"):
        load_regimen("folfirinox")


def test_missing_file_is_a_protocol_error(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="not found"):
        load_regimen(tmp_path / "nope.toml")


def test_string_for_a_number_is_not_coerced() -> None:
    import tomllib

    data = tomllib.loads(bundled_text())
    data["cycle"]["max_haic_cycles"] = "8"  # strict: a string is not a number
    with pytest.raises(ProtocolError, match=r"cycle\.max_haic_cycles"):
        regimen_from_mapping(data)


def test_sorafenib_inside_drugs_is_refused() -> None:
    import tomllib

    data = tomllib.loads(bundled_text())
    extra = dict(data["drugs"][1], name="sorafenib", start_after="fluorouracil")
    data["drugs"].append(extra)
    with pytest.raises(ProtocolError, match=r"\[sorafenib\] section"):
        regimen_from_mapping(data)
