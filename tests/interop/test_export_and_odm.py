"""``hcctrial export --format``: every value accepted, csv unchanged, bad format refused; ODM 1.3;
valid names per format."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import CliResult
from tests.interop.conftest import FORMATS


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_from_the_cli(cli: Callable[..., CliResult], demo_db: Path, tmp_path: Path,
                                   fmt: str) -> None:
    r = cli("export", str(tmp_path / fmt), "--database", str(demo_db), "--format", fmt, "--json")
    assert r.exit_code == 0, r.stderr
    written = {p.name for p in (tmp_path / fmt).iterdir()}
    assert set(r.json()["rows"]) <= written | {"items"} or fmt == "csv"
    expected = {"csv": "patients.csv", "sav": "patients.sav", "dta": "patients.dta",
                "xpt": "patients.xpt", "sdtm": "define.xml", "adam": "adtte.xpt",
                "odm": "clinical_data.xml", "redcap": "redcap_records.csv"}[fmt]
    assert expected in written


def test_csv_stays_the_default(cli: Callable[..., CliResult], demo_db: Path,
                               tmp_path: Path) -> None:
    r = cli("export", str(tmp_path / "d"), "--database", str(demo_db), "--json")
    assert r.exit_code == 0
    assert r.json()["rows"]["patients"] == 82  # the old JSON shape: table -> rows
    assert (tmp_path / "d" / "audit_log.csv").exists()


def test_unknown_format_is_bad_input(cli: Callable[..., CliResult], demo_db: Path,
                                     tmp_path: Path) -> None:
    r = cli("export", str(tmp_path / "d"), "--database", str(demo_db), "--format", "parquet")
    assert r.exit_code == 2
    assert "expected one of csv, sav, dta, xpt, sdtm, adam, odm, redcap" in r.stderr


def test_odm_holds_every_subject_and_the_recorded_values(exported: dict[str, Path],
                                                         demo_db: Path) -> None:
    ns = {"o": "http://www.cdisc.org/ns/odm/v1.3"}
    root = ET.parse(exported["odm"] / "clinical_data.xml").getroot()
    assert root.tag == "{http://www.cdisc.org/ns/odm/v1.3}ODM"
    assert root.get("ODMVersion") == "1.3.2"
    subjects = root.findall("o:ClinicalData/o:SubjectData", ns)
    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as c:
        patients = list(c.execute(text("SELECT id, study_id FROM patients ORDER BY id")))
        ages = {sid: age for sid, age in c.execute(text(
            "SELECT p.study_id, b.age_years FROM baselines b JOIN patients p "
            "ON p.id = b.patient_id"))}
        n_aes = c.execute(text("SELECT count(*) FROM adverse_events")).scalar()
    engine.dispose()
    assert [s.get("SubjectKey") for s in subjects] == [p.study_id for p in patients]
    for s in subjects:
        item = s.find(".//o:ItemData[@ItemOID='IT.BL_AGE_YEARS']", ns)
        if s.get("SubjectKey") in ages:
            assert item is not None and int(item.get("Value")) == ages[s.get("SubjectKey")]
    groups = root.findall(".//o:ItemGroupData[@ItemGroupOID='IG.ADVERSE_EVENT']", ns)
    assert len(groups) == n_aes
    assert all(g.get("ItemGroupRepeatKey") for g in groups)
    defs = {d.get("OID") for d in root.findall(".//o:ItemDef", ns)}
    refs = {r.get("ItemOID") for r in root.findall(".//o:ItemData", ns)}
    assert refs <= defs


def test_names_shortened_by_hand() -> None:
    from hcctrial.interop.dataset import file_names, short_name

    # ENROLMENT_DATE -> DATE loses its vowel (DT), ENROLMENT its (ENRLMNT), then cut at 8
    assert short_name("enrolment_date", 8, upper=True) == "ENRLMNTD"
    assert short_name("ecog", 8, upper=True) == "ECOG"
    assert short_name("n_nodules", 32) == "n_nodules"
    # ABCDEFGHIJ -> ABCDFGHJ twice: the second gets its number
    assert file_names(["abcdefghij_x", "abcdefghij_y"], "xpt") == {
        "abcdefghij_x": "ABCDFGHJ", "abcdefghij_y": "ABCDFGH2"}


def test_every_xpt_name_fits_version_5(exported: dict[str, Path]) -> None:
    import pyreadstat

    for path in exported["xpt"].glob("*.xpt"):
        assert len(path.stem) <= 8
        _frame, meta = pyreadstat.read_xport(str(path), metadataonly=True)
        assert all(len(c) <= 8 and c == c.upper() for c in meta.column_names), path
        assert all(lab is None or len(lab) <= 40 for lab in meta.column_labels)
