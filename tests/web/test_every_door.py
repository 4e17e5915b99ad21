"""Every door, same answer: each rule, tried through the web form, the JSON API and ``hcctrial
import`` (the command line), is refused by the same rule id with the status of its kind -- 403
authorization, 409 state, 422 values; exit code 2 from the command line -- and nothing is written.

The trial is set up through the services (fast); each probe then goes through every door that can
express it (a form has no field for a record's parent: the reparenting attack goes through the API
and the import).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, TODAY
from tests.web.flows import BASELINE, ELIGIBLE


@dataclass(frozen=True)
class Probe:
    """One rule tried through the doors: who tries, and what each door sends."""

    rule: str
    user: str
    form: tuple[str, dict[str, str]] | None = None  # (url, fields)
    api: tuple[str, str, dict[str, Any]] | None = None  # (method, url, json)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # import files


STATUS = {"authorization": 403, "state": 409, "value": 422}
#: the screening labs of flows.ELIGIBLE, as the screening form saves them
SCREENING_LABS = [
    {"analyte": analyte, "value_entered": float(ELIGIBLE[f"lab_{analyte}"])}
    | {"unit_entered": ELIGIBLE[f"unit_{analyte}"]}
    for analyte in ("wbc", "anc", "platelets", "creatinine", "albumin", "bilirubin", "inr")
]


def _setup(url: str) -> dict[str, int]:
    """A trial through the services: GZ-1 enrolled and treated (cycle 1, a scan), SH-1 likewise
    at site SH, GZ-F a screen failure, GZ-D dead on 2026-02-01."""
    from sqlalchemy import select

    from hcctrial.services import cycles, follow_up, patients, scans
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session
    from hcctrial.web.clinical import screening_input

    ids: dict[str, int] = {}
    engine = make_engine(url)
    with open_session(engine) as s:
        uow = UnitOfWork(s, Actor.system("setup"), today=TODAY)
        site = dict(s.execute(select(m.Site.code, m.Site.id)).all())
        baseline = {**BASELINE, "ecog": 0}

        def enrol(study_id: str, code: str, **changes: str) -> int:
            data, problems = screening_input({**ELIGIBLE, **changes})
            assert not problems
            return patients.screen_and_enrol(
                uow,
                study_id=study_id,
                site_id=site[code],
                screening_date="2026-01-05",
                patient=data,
                labs=SCREENING_LABS,
                reason="setup",
            ).patient_id

        for key, code in (("gz", "GZ"), ("sh", "SH")):
            pid = ids[key] = enrol(f"{code}-1", code)
            patients.record_baseline(uow, pid, baseline, reason="setup")
            ids[f"{key}_cycle"] = cycles.start_cycle(
                uow,
                pid,
                cycle_date="2026-01-12",
                doses=[{"drug": "oxaliplatin", "planned_mg": 131, "given_mg": 131}],
                reason="setup",
            )
            ids[f"{key}_scan"] = scans.record_scan(
                uow,
                pid,
                {"assessment_date": "2026-01-06", "modality": "mri"},
                [{"lesion_id": "T1", "kind": "target", "organ": "liver", "diameter_mm": 50}],
                reason="setup",
            )
            ids[f"{key}_lesion"] = s.scalar(
                select(m.LesionMeasurement.id).where(
                    m.LesionMeasurement.imaging_id == ids[f"{key}_scan"]
                )
            )
            ids[f"{key}_dose"] = s.scalar(
                select(m.CycleDose.id).where(m.CycleDose.cycle_id == ids[f"{key}_cycle"])
            )
        ids["fail"] = enrol("GZ-F", "GZ", lab_wbc="2.5")
        ids["dead"] = enrol("GZ-D", "GZ")
        patients.record_baseline(uow, ids["dead"], baseline, reason="setup")
        follow_up.record_death(
            uow, ids["dead"], death_date="2026-02-01", cause="liver failure", reason="setup"
        )
    engine.dispose()
    return ids


LAB = {
    "sample_date": "2026-01-20",
    "analyte": "platelets",
    "value_entered": "140",
    "unit_entered": "x10^9/L",
}
AE = {
    "term": "Fatigue",
    "grade": "2",
    "onset_date": "2026-01-20",
    "resolution_date": "",
    "attribution": "possible",
    "serious": "false",
}
CYCLE_FORM = {"haic_level": "0", "sorafenib_level": "0"}


def _api(d: dict[str, str]) -> dict[str, Any]:
    """Form fields as the API sends them (no empty strings)."""
    return {k: v for k, v in d.items() if v != ""}


def _probes(ids: dict[str, int]) -> dict[str, Probe]:
    gz, dead, fail = ids["gz"], ids["dead"], ids["fail"]
    lab_url, api_lab = f"/patients/{gz}/labs/new", f"/api/patients/{gz}/labs"
    row = {"id": 900_001, "patient_id": gz}
    return {
        "cross-site lesion reparenting": Probe(
            "AUTH-SITE",
            "inv_sh",
            api=(
                "PUT",
                f"/api/lesions/{ids['sh_lesion']}",
                {"version": 1, "reason": "move", "changes": {"imaging_id": ids["gz_scan"]}},
            ),
            rows={
                "lesion_measurements": [
                    {"id": 900_001, "imaging_id": ids["gz_scan"], "lesion_id": "X9"}
                    | {"kind": "target", "organ": "liver", "diameter_mm": 10}
                ]
            },
        ),
        "cross-site dose reparenting": Probe(
            "AUTH-SITE",
            "inv_sh",
            api=(
                "PUT",
                f"/api/doses/{ids['sh_dose']}",
                {"version": 1, "reason": "move", "changes": {"cycle_id": ids["gz_cycle"]}},
            ),
            rows={
                "cycle_doses": [
                    {"id": 900_001, "cycle_id": ids["gz_cycle"], "drug": "epirubicin"}
                    | {"planned_mg": 9999, "given_mg": 9999}
                ]
            },
        ),
        "another site's patient": Probe(
            "AUTH-SITE",
            "inv_sh",
            form=(lab_url, LAB),
            api=("POST", api_lab, _api(LAB)),
            rows={"lab_results": [row | LAB]},
        ),
        "a monitor writes": Probe(
            "AUTH-ROLE",
            "monitor",
            form=(lab_url, LAB),
            api=("POST", api_lab, _api(LAB)),
            rows={"lab_results": [row | LAB]},
        ),
        "lab dated 2035": Probe(
            "DATE-FUTURE",
            "inv_gz",
            form=(lab_url, LAB | {"sample_date": "2035-01-01"}),
            api=("POST", api_lab, _api(LAB) | {"sample_date": "2035-01-01"}),
            rows={"lab_results": [row | LAB | {"sample_date": "2035-01-01"}]},
        ),
        "lab dated 1900": Probe(
            "DATE-BEFORE-SCREENING",
            "inv_gz",
            form=(lab_url, LAB | {"sample_date": "1900-01-01"}),
            api=("POST", api_lab, _api(LAB) | {"sample_date": "1900-01-01"}),
            rows={"lab_results": [row | LAB | {"sample_date": "1900-01-01"}]},
        ),
        "identical duplicate lab": Probe(
            "LAB-DUPLICATE",
            "inv_gz",
            form=(lab_url, LAB | {"value_entered": "142", "sample_date": "2026-01-05"}),
            api=("POST", api_lab, _api(LAB) | {"value_entered": 142, "sample_date": "2026-01-05"}),
            rows={"lab_results": [row | LAB | {"value_entered": 142, "sample_date": "2026-01-05"}]},
        ),
        "adverse event resolved before onset": Probe(
            "AE-RESOLUTION-ORDER",
            "inv_gz",
            form=(f"/patients/{gz}/adverse_events/new", AE | {"resolution_date": "2026-01-10"}),
            api=(
                "POST",
                f"/api/patients/{gz}/adverse_events",
                _api(AE) | {"resolution_date": "2026-01-10"},
            ),
            rows={"adverse_events": [row | AE | {"resolution_date": "2026-01-10"}]},
        ),
        "adverse event grade 6": Probe(
            "FIELD-VALUE",
            "inv_gz",
            form=(f"/patients/{gz}/adverse_events/new", AE | {"grade": "6"}),
            api=("POST", f"/api/patients/{gz}/adverse_events", _api(AE) | {"grade": 6}),
            rows={"adverse_events": [row | AE | {"grade": 6}]},
        ),
        "cycle for a screen failure": Probe(
            "STATE-ACCEPTS",
            "inv_gz",
            form=(f"/patients/{fail}/baseline/new", BASELINE),
            api=("POST", f"/api/patients/{fail}/cycles", {"cycle_date": "2026-01-12"}),
            rows={
                "treatment_cycles": [
                    {"id": 900_001, "patient_id": fail, "cycle_number": 1}
                    | {"cycle_date": "2026-01-12"}
                ]
            },
        ),
        "cycle after death": Probe(
            "AFTER-DEATH",
            "inv_gz",
            form=(f"/patients/{dead}/cycles/new", CYCLE_FORM | {"cycle_date": "2026-02-10"}),
            api=("POST", f"/api/patients/{dead}/cycles", {"cycle_date": "2026-02-10"}),
            rows={
                "treatment_cycles": [
                    {"id": 900_001, "patient_id": dead, "cycle_number": 1}
                    | {"cycle_date": "2026-02-10"}
                ]
            },
        ),
        "alive after death": Probe(
            "FOLLOW-UP-AFTER-DEATH",
            "inv_gz",
            form=(
                f"/patients/{dead}/followups/new",
                {"contact_date": "2026-02-02", "vital_status": "alive"},
            ),
            api=(
                "POST",
                f"/api/patients/{dead}/followups",
                {"contact_date": "2026-02-02", "vital_status": "alive"},
            ),
            rows={
                "followups": [
                    {"id": 900_001, "patient_id": dead, "contact_date": "2026-02-02"}
                    | {"vital_status": "alive"}
                ]
            },
        ),
        "second death": Probe(
            "DEATH-UNIQUE",
            "inv_gz",
            form=(
                f"/patients/{dead}/followups/new",
                {"contact_date": "2026-02-01", "vital_status": "dead"},
            ),
            api=(
                "POST",
                f"/api/patients/{dead}/followups",
                {"contact_date": "2026-02-01", "vital_status": "dead"},
            ),
            rows={
                "followups": [
                    {"id": 900_001, "patient_id": dead, "contact_date": "2026-02-01"}
                    | {"vital_status": "dead"}
                ]
            },
        ),
        "cycle 99": Probe(
            "CYCLE-CONSECUTIVE",
            "inv_gz",
            form=(
                f"/patients/{gz}/cycles/new",
                CYCLE_FORM | {"cycle_date": "2026-02-10", "cycle_number": "99"},
            ),
            api=(
                "POST",
                f"/api/patients/{gz}/cycles",
                {"cycle_date": "2026-02-10", "cycle_number": 99},
            ),
            rows={
                "treatment_cycles": [
                    {"id": 900_001, "patient_id": gz, "cycle_number": 99}
                    | {"cycle_date": "2026-02-10"}
                ]
            },
        ),
        "cycle 2 before cycle 1": Probe(
            "CYCLE-ORDER",
            "inv_gz",
            form=(f"/patients/{gz}/cycles/new", CYCLE_FORM | {"cycle_date": "2026-01-08"}),
            api=("POST", f"/api/patients/{gz}/cycles", {"cycle_date": "2026-01-08"}),
            rows={
                "treatment_cycles": [
                    {"id": 900_001, "patient_id": gz, "cycle_number": 2}
                    | {"cycle_date": "2026-01-08"}
                ]
            },
        ),
        "a dose of 10^9 mg": Probe(
            "DOSE-PLAUSIBLE",
            "inv_gz",
            form=(
                f"/records/cycles/{ids['gz_cycle']}/doses/new",
                {"drug": "leucovorin", "planned_mg": "350", "given_mg": "1e9", "reason": "r"},
            ),
            api=(
                "POST",
                "/api/doses",
                {"cycle_id": ids["gz_cycle"], "drug": "leucovorin"}
                | {"planned_mg": 350, "given_mg": 1e9},
            ),
            rows={
                "cycle_doses": [
                    {"id": 900_001, "cycle_id": ids["gz_cycle"], "drug": "leucovorin"}
                    | {"planned_mg": 350, "given_mg": 1e9}
                ]
            },
        ),
        "a dose line for aspirin": Probe(
            "DOSE-DRUG",
            "inv_gz",
            form=(
                f"/records/cycles/{ids['gz_cycle']}/doses/new",
                {"drug": "aspirin", "planned_mg": "100", "given_mg": "100", "reason": "r"},
            ),
            api=(
                "POST",
                "/api/doses",
                {"cycle_id": ids["gz_cycle"], "drug": "aspirin"}
                | {"planned_mg": 100, "given_mg": 100},
            ),
            rows={
                "cycle_doses": [
                    {"id": 900_001, "cycle_id": ids["gz_cycle"], "drug": "aspirin"}
                    | {"planned_mg": 100, "given_mg": 100}
                ]
            },
        ),
    }


PROBES = [
    "cross-site lesion reparenting",
    "cross-site dose reparenting",
    "another site's patient",
    "a monitor writes",
    "lab dated 2035",
    "lab dated 1900",
    "identical duplicate lab",
    "adverse event resolved before onset",
    "adverse event grade 6",
    "cycle for a screen failure",
    "cycle after death",
    "alive after death",
    "second death",
    "cycle 99",
    "cycle 2 before cycle 1",
    "a dose of 10^9 mg",
    "a dose line for aspirin",
]


def _audit_head(url: str) -> int:
    from hcctrial.store import models as m
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    with open_session(engine) as s:
        head = s.get(m.AuditChainHead, 1)
        seq = 0 if head is None else int(head.last_seq)
    engine.dispose()
    return seq


def _write_files(directory: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    directory.mkdir()
    for table, records in rows.items():
        with (directory / f"{table}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)


@pytest.mark.parametrize("name", PROBES)
def test_every_door_refuses_with_the_same_rule_and_writes_nothing(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    tmp_path: Path,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hcctrial.services.rules import rule

    probe = _probes(_setup(web_db))[name]
    status = STATUS[rule(probe.rule).kind.value]
    client = login(probe.user)
    head = _audit_head(web_db)
    answers = []
    if probe.form is not None:
        url, fields = probe.form
        r = client.post(url, data={**fields, "csrf_token": client.csrf}, follow_redirects=False)
        answers.append(("form", r.status_code, f"[{probe.rule}]" in r.text))
    if probe.api is not None:
        method, url, body = probe.api
        r = client.request(method, url, json=body, headers={"X-CSRF-Token": client.csrf})
        answers.append(("api", r.status_code, r.json().get("rule") == probe.rule))
    _write_files(tmp_path / "files", probe.rows)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))  # --user's password
    out = cli("import", tmp_path / "files", "--database", web_db, "--user", probe.user)
    answers.append(("import", {2: status}.get(out.exit_code), f"[{probe.rule}]" in out.stderr))
    assert answers == [(door, status, True) for door, *_ in answers], out.stderr
    assert _audit_head(web_db) == head  # nothing written by any door


def test_the_form_has_no_door_to_move_a_record(
    app: Any, login: Callable[[str], Any], web_db: str
) -> None:
    """The edit form changes a record's own fields only: a parent sent with it is ignored, and
    the record stays where it was (the API and the import refuse the move: AUTH-SITE above)."""
    ids = _setup(web_db)
    c = login("inv_sh")
    url = f"/records/lesions/{ids['sh_lesion']}/edit"
    form = {
        "lesion_id": "T1",
        "kind": "target",
        "organ": "liver",
        "diameter_mm": "51",
        "status": "",
        "typical_pattern": "",
        "imaging_id": str(ids["gz_scan"]),
        "version": "1",
        "reason": "remeasured",
    }
    r = c.post(url, data={**form, "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    lesion = c.get(f"/api/lesions/{ids['sh_lesion']}").json()
    assert (lesion["imaging_id"], lesion["diameter_mm"]) == (ids["sh_scan"], 51.0)


def test_the_same_records_are_accepted_through_every_door(
    app: Any,
    login: Callable[[str], Any],
    web_db: str,
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control case: a valid lab through the form, the API and the import is stored the same
    way (same canonical value), three rows."""
    ids = _setup(web_db)
    gz = ids["gz"]
    c = login("inv_gz")
    form = LAB | {"value_entered": "141"}
    r = c.post(f"/patients/{gz}/labs/new", data={**form, "csrf_token": c.csrf})
    assert r.status_code == 200  # followed the redirect to the patient page
    r = c.post(
        f"/api/patients/{gz}/labs",
        json=_api(LAB) | {"value_entered": 142},
        headers={"X-CSRF-Token": c.csrf},
    )
    assert r.status_code == 201, r.text
    _write_files(tmp_path / "ok", {"lab_results": [{"id": 900_001, "patient_id": gz} | LAB]})
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))  # --user's password
    out = cli("import", tmp_path / "ok", "--database", web_db, "--user", "inv_gz")
    assert out.exit_code == 0, out.stderr
    labs = [
        x for x in c.get(f"/api/patients/{gz}").json()["labs"] if x["sample_date"] == "2026-01-20"
    ]
    # platelets x10^9/L is the canonical unit: the canonical value is the value entered
    assert sorted((x["value_entered"], x["canonical_value"]) for x in labs) == [
        (140.0, 140.0),
        (141.0, 141.0),
        (142.0, 142.0),
    ]
