"""REDCap both ways: the data dictionary, a hand-made records export with REDCap's quirks, errors
named by record/event/field with nothing written, and the round trip hcctrial -> REDCap ->
hcctrial giving identical tables."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import CliResult
from tests.support import cli_admin


def _db(tmp_path: Path, cli: Callable[..., CliResult], name: str = "t.sqlite") -> Path:
    db = tmp_path / name
    sites = tmp_path / f"sites-{name}"
    sites.mkdir()
    (sites / "sites.csv").write_text("id,code,name,country\n1,S1,Site one,China\n")
    assert cli("init", "--database", str(db)).exit_code == 0
    assert cli("import", str(sites), "--database", str(db), *cli_admin(f"sqlite:///{db}")).exit_code == 0
    return db


def _rows(db: Path, sql: str) -> list[dict[str, Any]]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        out = [dict(r) for r in c.execute(text(sql)).mappings()]
    engine.dispose()
    return out


def test_dictionary_has_the_standard_columns_and_event_mapping(
        cli: Callable[..., CliResult], tmp_path: Path) -> None:
    r = cli("redcap", "dictionary", str(tmp_path / "dict.csv"), "--json")
    assert r.exit_code == 0
    with (tmp_path / "dict.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:13] == ["Variable / Field Name", "Form Name", "Section Header", "Field Type",
                            "Field Label", "Choices, Calculations, OR Slider Labels",
                            "Field Note", "Text Validation Type OR Show Slider Number",
                            "Text Validation Min", "Text Validation Max", "Identifier?",
                            "Branching Logic (Show field only if...)", "Required Field?"]
    by_name = {row[0]: row for row in rows[1:]}
    assert rows[1][0] == "record_id"
    assert by_name["bl_findings"][3] == "checkbox"
    assert by_name["bl_sex"][5] == "male, Male | female, Female"
    assert by_name["bl_ecog"][7:10] == ["integer", "0", "4"]
    assert by_name["ae_onset_date"][7] == "date_ymd"
    with Path(r.json()["instrument_event_mapping"]).open() as fh:
        mapping = list(csv.DictReader(fh))
    forms = {row[1] for row in rows[1:]}
    assert {m["form"] for m in mapping} == forms
    assert {m["unique_event_name"] for m in mapping} == {"screening_arm_1", "treatment_arm_1",
                                                         "follow_up_arm_1"}


def _hand_made(tmp_path: Path, cli: Callable[..., CliResult], **changes: str) -> tuple[Path, Path]:
    """A records export as a site would download it: checkbox columns, an empty event row,
    repeat instances, Checked/Unchecked, a synonym AE term, a date_mdy field."""
    assert cli("redcap", "dictionary", str(tmp_path / "dict.csv")).exit_code == 0
    dictionary = tmp_path / "dict.csv"
    with dictionary.open() as fh:
        drows = list(csv.reader(fh))
    for row in drows:
        if row[0] == "fu_contact_date":
            row[7] = "date_mdy"  # this site collects follow-up dates as M-D-Y
    with dictionary.open("w", newline="") as fh:
        csv.writer(fh).writerows(drows)
    header = ["record_id", "redcap_event_name", "redcap_repeat_instrument",
              "redcap_repeat_instance", "redcap_data_access_group", "pat_site",
              "pat_enrolment_date", "pat_status", "patient_complete", "scr_screening_date",
              "scr_eligible", "scr_notes", "bl_assessment_date", "bl_age_years", "bl_sex",
              "bl_height_cm", "bl_weight_kg", "bl_n_nodules", "bl_largest_cm",
              "bl_findings___1", "bl_findings___2", "bl_findings___3", "bl_findings___4",
              "bl_findings___5", "bl_hbv_dna_iu_ml", "bl_ecog", "bl_imaging_modality",
              "bl_ascites", "bl_encephalopathy", "lab_sample_date", "lab_analyte",
              "lab_value_entered", "lab_unit_entered", "lab_uln", "lab_lln", "cyc_cycle_number",
              "cyc_cycle_date", "cyc_sorafenib_daily_mg", "cyc_sorafenib_level",
              "dose_cycle_number", "dose_drug", "dose_planned_mg", "dose_given_mg", "ae_term",
              "ae_grade", "ae_onset_date", "ae_resolution_date", "ae_attribution", "ae_serious",
              "fu_contact_date", "fu_vital_status", "fu_cause_of_death", "followup_complete"]
    rows = [
        {"record_id": "R-001", "redcap_event_name": "screening_arm_1", "pat_site": "S1",
         "pat_enrolment_date": "2019-03-04", "pat_status": "follow_up", "patient_complete": "2",
         "scr_screening_date": "2019-03-01", "scr_eligible": "1",
         "bl_assessment_date": "2019-03-01", "bl_age_years": "58", "bl_sex": "male",
         "bl_height_cm": "170", "bl_weight_kg": "65.5", "bl_n_nodules": "3",
         "bl_largest_cm": "7.2", "bl_findings___1": "1", "bl_findings___2": "0",
         "bl_findings___3": "Unchecked", "bl_findings___4": "Checked", "bl_findings___5": "1",
         "bl_ecog": "1", "bl_imaging_modality": "mri", "bl_ascites": "none",
         "bl_encephalopathy": "none"},
        {"record_id": "R-001", "redcap_event_name": "screening_arm_1",
         "redcap_repeat_instrument": "lab_result", "redcap_repeat_instance": "1",
         "lab_sample_date": "2019-03-01", "lab_analyte": "bilirubin", "lab_value_entered": "1.2",
         "lab_unit_entered": "mg/dL", "lab_uln": "1.2", "lab_lln": "0.2"},
        {"record_id": "R-001", "redcap_event_name": "screening_arm_1",
         "redcap_repeat_instrument": "lab_result", "redcap_repeat_instance": "2",
         "lab_sample_date": "2019/03/01", "lab_analyte": "albumin", "lab_value_entered": "38",
         "lab_unit_entered": "g/L"},
        {"record_id": "R-001", "redcap_event_name": "treatment_arm_1", "patient_complete": "0"},
        {"record_id": "R-001", "redcap_event_name": "treatment_arm_1",
         "redcap_repeat_instrument": "treatment_cycle", "redcap_repeat_instance": "1",
         "cyc_cycle_number": "1", "cyc_cycle_date": "2019-03-05",
         "cyc_sorafenib_daily_mg": "400", "cyc_sorafenib_level": "0"},
        {"record_id": "R-001", "redcap_event_name": "treatment_arm_1",
         "redcap_repeat_instrument": "cycle_dose", "redcap_repeat_instance": "1",
         "dose_cycle_number": "1", "dose_drug": "oxaliplatin", "dose_planned_mg": "128",
         "dose_given_mg": "128"},
        {"record_id": "R-001", "redcap_event_name": "treatment_arm_1",
         "redcap_repeat_instrument": "adverse_event", "redcap_repeat_instance": "1",
         "ae_term": "Nausea", "ae_grade": "2", "ae_onset_date": "2019-03-06",
         "ae_resolution_date": "2019-03-09", "ae_attribution": "possible", "ae_serious": "0"},
        {"record_id": "R-001", "redcap_event_name": "treatment_arm_1",
         "redcap_repeat_instrument": "adverse_event", "redcap_repeat_instance": "2",
         "ae_term": "hand-foot skin reaction", "ae_grade": "1", "ae_onset_date": "2019-03-20",
         "ae_attribution": "Probable", "ae_serious": "0"},
        {"record_id": "R-001", "redcap_event_name": "follow_up_arm_1",
         "redcap_repeat_instrument": "followup", "redcap_repeat_instance": "1",
         "fu_contact_date": "06-01-2019", "fu_vital_status": "alive",
         "followup_complete": "2"},
        {"record_id": "R-002", "redcap_event_name": "screening_arm_1", "pat_site": "S1",
         "pat_status": "screen_failure", "scr_screening_date": "2019-04-02",
         "scr_eligible": "0", "scr_notes": "ECOG 3"},
    ]
    for key, value in changes.items():
        line, field = key.split("__", 1)
        rows[int(line[1:])][field] = value
    records = tmp_path / "records.csv"
    with records.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return records, dictionary


def test_hand_made_export_with_redcap_quirks(cli: Callable[..., CliResult],
                                             tmp_path: Path) -> None:
    db = _db(tmp_path, cli)
    records, dictionary = _hand_made(tmp_path, cli)
    r = cli("import", str(records), "--format", "redcap", "--dictionary", str(dictionary),
            "--database", str(db), *cli_admin(f"sqlite:///{db}"), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["rows"]["patients"] == 2
    b = _rows(db, "SELECT * FROM baselines")[0]
    assert (b["vascular_invasion"], b["portal_vein_invasion"], b["extrahepatic_spread"],
            b["hbv"], b["cirrhosis"]) == (1, 0, 0, 1, 1)
    assert b["hbv_dna_iu_ml"] is None  # blank cell: no value
    labs = _rows(db, "SELECT * FROM lab_results ORDER BY id")
    assert [(x["analyte"], x["sample_date"], x["canonical_value"]) for x in labs] == [
        ("bilirubin", "2019-03-01", 1.2), ("albumin", "2019-03-01", 3.8)]  # 38 g/L = 3.8 g/dL
    aes = _rows(db, "SELECT * FROM adverse_events ORDER BY id")
    # the service layer's vocabulary rule applied: a synonym is stored under its CTCAE name
    assert [a["term"] for a in aes] == ["Nausea", "Palmar-plantar erythrodysesthesia syndrome"]
    assert aes[1]["attribution"] == "probable"  # a choice given by its label
    assert _rows(db, "SELECT contact_date FROM followups")[0]["contact_date"] == "2019-06-01"
    dose = _rows(db, "SELECT d.drug, c.cycle_number FROM cycle_doses d JOIN treatment_cycles c "
                     "ON c.id = d.cycle_id")
    assert dose == [{"drug": "oxaliplatin", "cycle_number": 1}]
    p = _rows(db, "SELECT study_id, status, enrolment_date FROM patients ORDER BY id")
    assert p == [{"study_id": "R-001", "status": "follow_up", "enrolment_date": "2019-03-04"},
                 {"study_id": "R-002", "status": "screen_failure", "enrolment_date": None}]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"r6__ae_grade": "7"}, "ae_grade", "between 1 and 5"),
        ({"r6__ae_term": "Headache of doom"}, "ae_term", "CTCAE"),
        ({"r6__ae_onset_date": "2019-02-30"}, "ae_onset_date", "exists"),
        ({"r3__ae_grade": "2", "r3__redcap_repeat_instrument": "adverse_event",
          "r3__redcap_repeat_instance": "9", "r3__ae_term": "Nausea"}, "ae_onset_date",
         "required"),
        ({"r0__bl_findings___2": "maybe"}, "bl_findings___2", "checked"),
        ({"r5__dose_cycle_number": "4"}, "dose_cycle_number", "treatment_cycle"),
    ],
)
def test_bad_values_are_named_and_nothing_is_written(
        cli: Callable[..., CliResult], tmp_path: Path, change: dict[str, str], field: str,
        words: str) -> None:
    db = _db(tmp_path, cli)
    records, dictionary = _hand_made(tmp_path, cli, **change)
    r = cli("import", str(records), "--format", "redcap", "--dictionary", str(dictionary),
            "--database", str(db), *cli_admin(f"sqlite:///{db}"))
    assert r.exit_code == 2
    assert "record 'R-001'" in r.stderr and f"field {field}" in r.stderr, r.stderr
    assert words in r.stderr
    assert "Traceback" not in r.stderr
    assert _rows(db, "SELECT count(*) AS n FROM patients")[0]["n"] == 0


def test_sites_by_code_created_when_new_and_needed_when_ambiguous(
        cli: Callable[..., CliResult], tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.sqlite"  # no site at all: S1 is created with the patients
    assert cli("init", "--database", str(fresh)).exit_code == 0
    records, dictionary = _hand_made(tmp_path, cli)
    r = cli("import", str(records), "--format", "redcap", "--dictionary", str(dictionary),
            "--database", str(fresh), *cli_admin(f"sqlite:///{fresh}"), "--json")
    assert r.exit_code == 0, r.stderr
    assert _rows(fresh, "SELECT code FROM sites") == [{"code": "S1"}]
    two = _db(tmp_path, cli, "two.sqlite")  # two sites and no code given: which one?
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "sites.csv").write_text("id,code,name,country\n2,S2,Site two,China\n")
    assert cli("import", str(extra), "--database", str(two), *cli_admin(f"sqlite:///{two}")).exit_code == 0
    records, dictionary = _hand_made(tmp_path, cli, r0__pat_site="", r9__pat_site="")
    r = cli("import", str(records), "--format", "redcap", "--dictionary", str(dictionary),
            "--database", str(two), *cli_admin(f"sqlite:///{two}"))
    assert r.exit_code == 2 and "field pat_site" in r.stderr and "S1, S2" in r.stderr


def test_import_needs_a_dictionary_and_a_known_format(cli: Callable[..., CliResult],
                                                      tmp_path: Path) -> None:
    db = _db(tmp_path, cli)
    records, _ = _hand_made(tmp_path, cli)
    r = cli("import", str(records), "--format", "redcap", "--database", str(db), *cli_admin(f"sqlite:///{db}"))
    assert r.exit_code == 2 and "--dictionary" in r.stderr
    r = cli("import", str(records), "--format", "openclinica", "--dictionary", "x",
            "--database", str(db), *cli_admin(f"sqlite:///{db}"))
    assert r.exit_code == 2 and "--format" in r.stderr


def _table_files(directory: Path) -> dict[str, list[dict[str, str]]]:
    out = {}
    for path in sorted(directory.glob("*.csv")):
        if path.stem in ("audit_log", "users"):  # users are not trial data (not in REDCap)
            continue
        with path.open() as fh:
            out[path.stem] = [{k: v for k, v in r.items()
                               if k not in ("version", "created_at", "updated_at")}
                              for r in csv.DictReader(fh)]
    return out


def test_round_trip_hcctrial_redcap_hcctrial(cli: Callable[..., CliResult], tmp_path: Path,
                                             demo_db: Path, exported: dict[str, Path]) -> None:
    new = tmp_path / "new.sqlite"
    assert cli("init", "--database", str(new)).exit_code == 0
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "sites.csv").write_text((exported["csv"] / "sites.csv").read_text())
    assert cli("import", str(sites), "--database", str(new), *cli_admin(f"sqlite:///{new}")).exit_code == 0
    rc = exported["redcap"]
    r = cli("import", str(rc / "redcap_records.csv"), "--format", "redcap", "--dictionary",
            str(rc / "redcap_dictionary.csv"), "--database", str(new), *cli_admin(f"sqlite:///{new}"))
    assert r.exit_code == 0, r.stderr
    assert cli("export", str(tmp_path / "back"), "--database", str(new)).exit_code == 0
    before, after = _table_files(exported["csv"]), _table_files(tmp_path / "back")
    assert before.keys() == after.keys()
    for table in before:
        assert after[table] == before[table], table
    assert sum(len(v) for v in before.values()) > 9000
