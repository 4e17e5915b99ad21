"""Every door, same outcome, for the rules issue 13 adds at entry (items 3, 5 and 6): the web
form, the JSON API, ``hcctrial import DIR`` (CSV), ``hcctrial import --format redcap`` and the
command line's own door to the same rule (``grade ae``, ``next`` on a record file).

- a value no patient can have is refused with the unit it would fit (LAB-PLAUSIBLE): neutrophils
  "450 x10^9/L" (the plausibility table, :mod:`hcctrial.clinical.plausibility`);
- an adverse event typed as the synonym "hand-foot skin reaction" is stored under its CTCAE v4.03
  name "Palmar-plantar erythrodysesthesia syndrome";
- a grade CTCAE does not define for the term is refused (AE-CTCAE-GRADE): CTCAE v4.03 defines
  grades 1-3 only for palmar-plantar erythrodysesthesia syndrome, so grade 4 is refused;
- an ECOG performance status is recorded at a pre-cycle examination, and ECOG 3 (above the entry
  limit 0-2, the paper's inclusion criterion 2) holds the next cycle.

Expected values: the CTCAE v4.03 text (NCI 2010), the paper's entry criterion, and the reading
of 450 as a count per µL (450 /µL = 0.45 x10^9/L; 450 x10^9/L is a hundred times the upper
bound of any neutrophil count).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_admin
from tests.web.conftest import TODAY
from tests.web.test_every_door import _api, _audit_head, _setup, _write_files

PPE = "Palmar-plantar erythrodysesthesia syndrome"
LAB_450 = {
    "sample_date": "2026-02-20",
    "analyte": "anc",
    "value_entered": "450",
    "unit_entered": "x10^9/L",
}
AE = {
    "term": "hand-foot skin reaction",
    "grade": "2",
    "onset_date": "2026-01-20",
    "resolution_date": "",
    "attribution": "possible",
    "serious": "false",
}
EXAM = {"exam_date": "2026-02-20", "ecog": "3", "weight_kg": "64"}

#: A new patient of site GZ as a REDCap records export gives it: enrolled, with a baseline.
REDCAP_PATIENT = {
    "record_id": "RC-1",
    "redcap_event_name": "screening_arm_1",
    "pat_site": "GZ",
    "pat_enrolment_date": "2026-01-05",
    "pat_status": "enrolled",
    "scr_screening_date": "2026-01-05",
    "scr_eligible": "1",
    "bl_assessment_date": "2026-01-05",
    "bl_age_years": "54",
    "bl_sex": "male",
    "bl_height_cm": "170",
    "bl_weight_kg": "65",
    "bl_n_nodules": "3",
    "bl_largest_cm": "6.5",
    "bl_findings___1": "0",
    "bl_findings___2": "0",
    "bl_findings___3": "0",
    "bl_findings___4": "1",
    "bl_findings___5": "1",
    "bl_ecog": "0",
    "bl_imaging_modality": "mri",
    "bl_ascites": "none",
    "bl_encephalopathy": "none",
}


def _redcap(
    tmp_path: Path, cli: Callable[..., Any], instrument: str, prefix: str, values: dict[str, str]
) -> tuple[Path, Path]:
    """(records file, dictionary) of REDCAP_PATIENT with one instance of ``instrument``."""
    dictionary = tmp_path / "dict.csv"
    assert cli("redcap", "dictionary", dictionary).exit_code == 0
    repeat = {
        "record_id": "RC-1",
        "redcap_event_name": "treatment_arm_1",
        "redcap_repeat_instrument": instrument,
        "redcap_repeat_instance": "1",
    } | {f"{prefix}_{k}": v for k, v in values.items()}
    rows = [REDCAP_PATIENT, repeat]
    header: list[str] = []
    for r in rows:
        header += [k for k in r if k not in header]
    header.remove("record_id")
    records = tmp_path / "records.csv"
    with records.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["record_id", *header], restval="")
        writer.writeheader()
        writer.writerows(rows)
    return records, dictionary


def _import_redcap(
    cli: Callable[..., Any], db: str, records: Path, dictionary: Path, user: str = "inv_gz"
) -> Any:
    return cli(
        "import",
        records,
        "--format",
        "redcap",
        "--dictionary",
        dictionary,
        "--database",
        db,
        *cli_admin(db, user),
    )


def _rc1(client: Any) -> int:
    """The id of the patient the REDCap import created."""
    found = [p for p in client.get("/api/patients").json() if p["study_id"] == "RC-1"]
    assert len(found) == 1, found
    return int(found[0]["id"])


def _import_csv(cli: Callable[..., Any], db: str, directory: Path, rows: Any) -> Any:
    _write_files(directory, rows)
    return cli("import", directory, "--database", db, *cli_admin(db, "inv_gz"))


# ------------------------------------------------------------------------- refused at every door
REFUSALS = {
    "neutrophils 450 x10^9/L": ("LAB-PLAUSIBLE", "labs", LAB_450, "lab_result", "lab"),
    "hand-foot skin reaction grade 4": (
        "AE-CTCAE-GRADE",
        "adverse_events",
        AE | {"grade": "4"},
        "adverse_event",
        "ae",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_every_door_refuses_with_the_same_rule_and_writes_nothing(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    tmp_path: Path,
    name: str,
) -> None:
    rule, slug, fields, instrument, prefix = REFUSALS[name]
    gz = _setup(web_db)["gz"]
    client = login("inv_gz")
    head = _audit_head(web_db)
    answers = []
    r = client.post(
        f"/patients/{gz}/{slug}/new",
        data={**fields, "csrf_token": client.csrf},
        follow_redirects=False,
    )
    answers.append(("form", r.status_code, f"[{rule}]" in r.text))
    r = client.post(
        f"/api/patients/{gz}/{slug}", json=_api(fields), headers={"X-CSRF-Token": client.csrf}
    )
    answers.append(("api", r.status_code, r.json().get("rule")))
    table = "lab_results" if slug == "labs" else slug
    row = {"id": 900_001, "patient_id": gz} | {k: v for k, v in fields.items() if v != ""}
    out = _import_csv(cli, web_db, tmp_path / "files", {table: [row]})
    answers.append(("import", out.exit_code, f"[{rule}]" in out.stderr))
    records, dictionary = _redcap(tmp_path, cli, instrument, prefix, _api(fields))
    red = _import_redcap(cli, web_db, records, dictionary)
    answers.append(("redcap", red.exit_code, "Traceback" not in red.stderr))
    assert answers == [
        ("form", 422, True),
        ("api", 422, rule),
        ("import", 2, True),
        ("redcap", 2, True),
    ], (out.stderr, red.stderr)
    # the same words at every door: the unit the value would fit, the grades CTCAE defines
    words = "did you mean 450 /uL" if rule == "LAB-PLAUSIBLE" else "are 1, 2, 3"
    assert words in r.json()["detail"] and words in out.stderr and words in red.stderr
    assert "record 'RC-1'" in red.stderr  # REDCap's coordinates
    assert _audit_head(web_db) == head  # nothing written by any door


def test_the_command_line_refuses_the_same_values(cli: Callable[..., Any], tmp_path: Path) -> None:
    """The command line's doors to the same keepers: ``grade ae`` (the CTCAE vocabulary) and
    ``next`` on a record file (the record parser: plausibility, canonical terms)."""
    out = cli("grade", "ae", "hand-foot skin reaction", "--grade", "4")
    assert out.exit_code == 2 and "1, 2, 3" in out.stderr and "Traceback" not in out.stderr
    base = _record()
    bad_ae = base | {
        "adverse_events": [{"term": "hand-foot skin reaction", "grade": 4, "onset": "2026-01-20"}]
    }
    bad_lab = base | {
        "labs": [{"date": "2026-02-20", "analyte": "anc", "value": 450, "unit": "x10^9/L"}]
    }
    for record, words in ((bad_ae, "1, 2, 3"), (bad_lab, "did you mean 450 /uL")):
        path = tmp_path / "record.json"
        path.write_text(json.dumps(record))
        out = cli("next", path, "--today", TODAY.isoformat(), "--json")
        assert out.exit_code == 2, out.stdout
        assert words in out.stderr and "Traceback" not in out.stderr


# -------------------------------------------------------------------- accepted, the same way
def _terms(client: Any, pid: int) -> list[str]:
    return [a["term"] for a in client.get(f"/api/patients/{pid}").json()["adverse_events"]]


def test_a_synonym_is_stored_under_its_ctcae_name_through_every_door(
    app: Any, login: Callable[[str], Any], web_db: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    gz = _setup(web_db)["gz"]
    client = login("inv_gz")
    r = client.post(
        f"/patients/{gz}/adverse_events/new",
        data={**AE, "csrf_token": client.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = client.post(
        f"/api/patients/{gz}/adverse_events",
        json=_api(AE) | {"onset_date": "2026-01-21"},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert r.status_code == 201 and r.json()["term"] == PPE, r.text
    row = {"id": 900_001, "patient_id": gz} | _api(AE) | {"onset_date": "2026-01-22"}
    out = _import_csv(cli, web_db, tmp_path / "files", {"adverse_events": [row]})
    assert out.exit_code == 0, out.stderr
    records, dictionary = _redcap(tmp_path, cli, "adverse_event", "ae", _api(AE))
    red = _import_redcap(cli, web_db, records, dictionary)
    assert red.exit_code == 0, red.stderr
    assert _terms(client, gz) == [PPE, PPE, PPE]
    assert _terms(client, _rc1(client)) == [PPE]
    # the command line's lookup names the same CTCAE term
    out = cli("grade", "ae", "hand-foot skin reaction", "--grade", "2", "--json")
    assert out.exit_code == 0 and out.json()["term"] == PPE


def _record() -> dict[str, Any]:
    """A record file (the course engine's format) of a patient after cycle 1."""
    return {
        "patient_id": "CLI-1",
        "treatment_start": "2026-01-12",
        "patient": {"height_cm": 170, "weight_kg": 65, "ecog": 0},
        "cycles": [{"cycle": 1, "date": "2026-01-12", "haic_level": 0}],
    }


def _ecog_holds(decision: dict[str, Any]) -> list[str]:
    return [r["finding"] for r in decision["reasons"] if r["rule"] == "ecog_above_entry_limit"]


def test_ecog_3_is_recorded_through_every_door_and_holds_the_next_cycle(
    app: Any, login: Callable[[str], Any], web_db: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    gz = _setup(web_db)["gz"]
    client = login("inv_gz")

    def decision(pid: int) -> dict[str, Any]:
        d = client.get(f"/api/patients/{pid}/next-step").json()["decision"]
        assert d is not None
        return dict(d)

    assert _ecog_holds(decision(gz)) == []  # the control: ECOG 0 at baseline, no hold for it
    page = client.get(f"/patients/{gz}/exams/new")
    assert page.status_code == 200 and 'name="ecog"' in page.text
    r = client.post(
        f"/patients/{gz}/exams/new",
        data={**EXAM, "csrf_token": client.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = client.post(
        f"/api/patients/{gz}/exams",
        json=_api(EXAM) | {"exam_date": "2026-02-21"},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert r.status_code == 201, r.text
    row = {"id": 900_001, "patient_id": gz} | _api(EXAM) | {"exam_date": "2026-02-22"}
    out = _import_csv(cli, web_db, tmp_path / "files", {"cycle_exams": [row]})
    assert out.exit_code == 0, out.stderr
    records, dictionary = _redcap(tmp_path, cli, "cycle_exam", "pce", _api(EXAM))
    red = _import_redcap(cli, web_db, records, dictionary)
    assert red.exit_code == 0, red.stderr
    rc1 = _rc1(client)
    stored = [
        (x["exam_date"], x["ecog"], x["weight_kg"])
        for pid in (gz, rc1)
        for x in client.get(f"/api/patients/{pid}").json()["exams"]
    ]
    assert stored == [
        ("2026-02-20", 3, 64.0),
        ("2026-02-21", 3, 64.0),
        ("2026-02-22", 3, 64.0),
        ("2026-02-20", 3, 64.0),
    ]
    page = client.get(f"/patients/{gz}").text
    timeline = page.split('<div id="timeline">', 1)[1].split("</section>", 1)[0]
    assert timeline.count("Pre-cycle examination: ECOG 3, weight 64 kg") == 3
    for pid, day in ((gz, "2026-02-22"), (rc1, "2026-02-20")):
        d = decision(pid)
        assert d["action"] != "give_cycle"
        assert _ecog_holds(d) == [
            f"ECOG performance status 3 (exams[{2 if pid == gz else 0}] on {day}): above the "
            "entry limit 0-2"
        ], d["reasons"]
    # the command line's door: the same examination in a record file
    path = tmp_path / "record.json"
    path.write_text(json.dumps(_record() | {"exams": [{"date": "2026-02-20", "ecog": 3}]}))
    out = cli("next", path, "--today", TODAY.isoformat(), "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["action"] != "give_cycle"
    assert _ecog_holds(out.json()) == [
        "ECOG performance status 3 (exams[0] on 2026-02-20): above the entry limit 0-2"
    ]


def test_the_examination_form_previews_what_the_engine_will_do(
    app: Any, login: Callable[[str], Any], web_db: str
) -> None:
    """The live preview answers with the engine's own findings: ECOG 3 holds the next cycle;
    a weight of 55 kg against the baseline's 65 kg (-15.4 %, more than 10 %) recomputes the BSA
    to sqrt(170 x 55 / 3600) = 1.6116 -> 1.61 m² (Mosteller); 62 kg (-4.6 %) keeps it."""
    import html

    gz = _setup(web_db)["gz"]
    client = login("inv_gz")

    def preview(fields: dict[str, str]) -> str:
        r = client.post(f"/patients/{gz}/exams/preview", data={**fields, "csrf_token": client.csrf})
        assert r.status_code == 200
        return html.unescape(r.text)

    text = preview({"exam_date": "2026-02-20", "ecog": "3", "weight_kg": "55"})
    assert "Holds the next cycle: ECOG performance status 3" in text
    assert "BSA recomputed to 1.61 m² (mosteller) from weight 55 kg on 2026-02-20" in text
    text = preview({"exam_date": "2026-02-20", "ecog": "1", "weight_kg": "62"})
    assert "No hold for the performance status." in text
    assert "weight 62 kg on 2026-02-20 (-4.6 % from 65 kg, within 10 %): BSA kept" in text
    assert 'id="exam-check"' not in preview({"exam_date": "2026-02-20", "ecog": "7"})


def test_an_examination_is_amended_and_deleted_like_every_record(
    app: Any, login: Callable[[str], Any], web_db: str
) -> None:
    """The API's generic amend/delete reach the examination through the services: emptying both
    values is refused (EXAM-VALUES, 422), a change with a reason is saved, the edit page opens."""
    gz = _setup(web_db)["gz"]
    client = login("inv_gz")
    headers = {"X-CSRF-Token": client.csrf}
    r = client.post(f"/api/patients/{gz}/exams", json=_api(EXAM), headers=headers)
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    empty = {"version": 1, "reason": "typo", "changes": {"ecog": None, "weight_kg": None}}
    r = client.put(f"/api/exams/{eid}", json=empty, headers=headers)
    assert (r.status_code, r.json()["rule"]) == (422, "EXAM-VALUES"), r.text
    change = {"version": 1, "reason": "re-examined", "changes": {"ecog": 2}}
    r = client.put(f"/api/exams/{eid}", json=change, headers=headers)
    assert r.status_code == 200 and (r.json()["ecog"], r.json()["version"]) == (2, 2), r.text
    assert client.get(f"/records/exams/{eid}/edit").status_code == 200
    r = client.request(
        "DELETE",
        f"/api/exams/{eid}",
        json={"version": 2, "reason": "entered twice"},
        headers=headers,
    )
    assert r.status_code in (200, 204), r.text
    assert client.get(f"/api/patients/{gz}").json()["exams"] == []
