"""Every door, same outcome, for the rules of a scan (SCAN-LESIONS, SCAN-ASSESSABLE): the imaging
form, the JSON API, ``hcctrial import DIR`` (CSV, the action "import"), ``hcctrial import --format
redcap`` and the command line's own door to the mRECIST engine (``assess mrecist``).

The trial (:func:`tests.web.test_every_door._setup`): GZ-1's baseline scan on 2026-01-06 has one
target, T1 (liver, 50 mm). A follow-up scan on 2026-02-20

- with no lesion at all is refused (SCAN-LESIONS): nothing the engine could read;
- with a target "T3" is refused (SCAN-ASSESSABLE): mRECIST follows the baseline's targets only
  (Lencioni & Llovet 2010: the target lesions are chosen at baseline), so T3 is "not a baseline
  target lesion" -- the engine's own words, which ``assess mrecist`` gives for the same scans;
- with T1 at 30 mm is accepted at every door (the control case).

An import of history meets the same rules as a form (the decision documented in
:mod:`hcctrial.services.checks_scans`).
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_admin
from tests.web.test_every_door import _audit_head, _setup, _write_files
from tests.web.test_every_door_issue13 import REDCAP_PATIENT, _import_redcap

DAY = "2026-02-20"
T1 = {"lesion_id": "T1", "kind": "target", "organ": "liver", "diameter_mm": 30}
T3 = {"lesion_id": "T3", "kind": "target", "organ": "liver", "diameter_mm": 30}
#: what each refusal says at every door
WORDS = {
    "SCAN-LESIONS": f"the scan of {DAY} has no lesion measurement",
    "SCAN-ASSESSABLE": "target[0].id 'T3': not a baseline target lesion",
}


def _form(lesions: list[dict[str, Any]]) -> dict[str, str]:
    form = {"assessment_date": DAY, "modality": "mri", "afp_ng_ml": ""}
    for i, les in enumerate(lesions):
        form |= {f"{k}_{i}": str(v) for k, v in les.items()}
    return form


def _redcap_files(
    tmp_path: Path, cli: Callable[..., Any], lesions: list[dict[str, Any]]
) -> tuple[Path, Path]:
    """A REDCap records export: REDCap's patient RC-1 with a baseline scan (T1 50 mm on
    2026-01-06) and the follow-up scan of ``lesions`` on 2026-02-20."""
    dictionary = tmp_path / "dict.csv"
    assert cli("redcap", "dictionary", dictionary).exit_code == 0
    treatment = {"record_id": "RC-1", "redcap_event_name": "treatment_arm_1"}
    rows: list[dict[str, Any]] = [REDCAP_PATIENT]
    for n, day in enumerate(("2026-01-06", DAY), start=1):
        rows.append(
            treatment
            | {"redcap_repeat_instrument": "imaging", "redcap_repeat_instance": str(n)}
            | {"img_assessment_date": day, "img_modality": "mri"}
        )
    scan_lesions = [("2026-01-06", T1 | {"diameter_mm": 50})] + [(DAY, x) for x in lesions]
    for n, (day, les) in enumerate(scan_lesions, start=1):
        rows.append(
            treatment
            | {"redcap_repeat_instrument": "lesion", "redcap_repeat_instance": str(n)}
            | {"les_scan_date": day}
            | {f"les_{k}": str(v) for k, v in les.items()}
        )
    header: list[str] = []
    for r in rows:
        header += [k for k in r if k not in header and k != "record_id"]
    records = tmp_path / "records.csv"
    with records.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["record_id", *header], restval="")
        writer.writeheader()
        writer.writerows(rows)
    return records, dictionary


def _import_rows(gz: int, lesions: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        "imaging_assessments": [
            {"id": 900_001, "patient_id": gz, "assessment_date": DAY, "modality": "mri"}
        ]
    }
    if lesions:
        rows["lesion_measurements"] = [
            {"id": 900_001 + i, "imaging_id": 900_001} | les for i, les in enumerate(lesions)
        ]
    return rows


@pytest.mark.parametrize(
    ("rule", "lesions"), [("SCAN-LESIONS", []), ("SCAN-ASSESSABLE", [T3])], ids=["none", "T3"]
)
def test_every_door_refuses_the_scan_with_the_same_rule_and_writes_nothing(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    tmp_path: Path,
    rule: str,
    lesions: list[dict[str, Any]],
) -> None:
    gz = _setup(web_db)["gz"]
    client = login("inv_gz")
    head = _audit_head(web_db)
    words = WORDS[rule]
    answers = []
    r = client.post(
        f"/patients/{gz}/imaging/new",
        data={**_form(lesions), "csrf_token": client.csrf},
        follow_redirects=False,
    )
    answers.append(
        ("form", r.status_code, f"[{rule}]" in r.text and words in html.unescape(r.text))
    )
    body = {"assessment_date": DAY, "modality": "mri", "lesions": lesions}
    r = client.post(f"/api/patients/{gz}/imaging", json=body, headers={"X-CSRF-Token": client.csrf})
    api = r.json()
    answers.append(("api", r.status_code, (api.get("rule"), api.get("field"))))
    assert words in api["detail"]
    _write_files(tmp_path / "files", _import_rows(gz, lesions))
    out = cli("import", tmp_path / "files", "--database", web_db, *cli_admin(web_db, "inv_gz"))
    answers.append(("import", out.exit_code, f"[{rule}]" in out.stderr and words in out.stderr))
    assert "imaging_assessments.csv row 2" in out.stderr  # the scan's row of the file
    records, dictionary = _redcap_files(tmp_path, cli, lesions)
    red = _import_redcap(cli, web_db, records, dictionary)
    # (REDCap's messages name the record, event, instance -- not the rule id)
    answers.append(("redcap", red.exit_code, words in red.stderr))
    assert answers == [
        ("form", 422, True),
        ("api", 422, (rule, None)),  # the scan as a whole: no one field of it
        ("import", 2, True),
        ("redcap", 2, True),
    ], (out.stderr, red.stderr)
    assert "record 'RC-1'" in red.stderr and "imaging instance 2" in red.stderr
    assert "Traceback" not in out.stderr + red.stderr
    assert _audit_head(web_db) == head  # nothing written by any door


def test_the_command_line_engine_refuses_the_same_scans(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    """``assess mrecist`` (the engine's own door, a file of scans) says the same of T3."""
    data = {
        "afp_uln_ng_ml": 20,
        "assessments": [
            {"date": "2026-01-06", "modality": "MRI", "target": [T1 | {"diameter_mm": 50}]},
            {"date": DAY, "modality": "MRI", "target": [T3]},
        ],
    }
    for scan in data["assessments"]:
        for les in scan["target"]:
            del les["lesion_id"], les["kind"]
    data["assessments"][0]["target"][0]["id"] = "T1"
    data["assessments"][1]["target"][0]["id"] = "T3"
    path = tmp_path / "scans.json"
    path.write_text(json.dumps(data))
    out = cli("assess", "mrecist", path)
    assert out.exit_code == 2 and "Traceback" not in out.stderr
    assert "assessments[1]." + WORDS["SCAN-ASSESSABLE"] in out.stderr


def test_the_same_scan_is_accepted_through_every_door(
    app: Any, login: Callable[[str], Any], web_db: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    """The control case: T1 measured again (30 mm) is saved by the form, the API and the
    import, on three patients' worth of dates (one scan per patient and date)."""
    ids = _setup(web_db)
    gz, sh = ids["gz"], ids["sh"]
    c = login("inv_gz")
    r = c.post(
        f"/patients/{gz}/imaging/new",
        data={**_form([T1]), "csrf_token": c.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    body = {"assessment_date": "2026-02-21", "modality": "mri", "lesions": [T1]}
    r = c.post(f"/api/patients/{gz}/imaging", json=body, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201, r.text
    _write_files(tmp_path / "ok", _import_rows(sh, [T1]))
    out = cli("import", tmp_path / "ok", "--database", web_db, *cli_admin(web_db, "admin"))
    assert out.exit_code == 0, out.stderr
    # baseline 50 mm -> 30 mm: (30 - 50) / 50 = -40 %, at least a 30 % decrease: PR (mRECIST)
    for pid in (gz, sh):
        page = (
            c.get(f"/patients/{pid}").text
            if pid == gz
            else login("inv_sh").get(f"/patients/{pid}").text
        )
        assert "mRECIST: PR" in page
