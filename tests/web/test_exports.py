"""Exports from the web (issue 19): each form as CSV with the columns of `hcctrial export`, a zip
of all of them, the analysis formats for users who span sites -- restricted to the user's sites."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from tests.web.flows import add_baseline, enrol


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_forms_as_csv_restricted_to_the_users_site(app: Any, login: Any) -> None:
    gz, sh = login("inv_gz"), login("inv_sh")
    add_baseline(gz, enrol(gz, "GZ-701"))
    enrol(sh, "SH-701")
    mine = _csv(gz.get("/exports/patients.csv").text)
    assert [r["study_id"] for r in mine] == ["GZ-701"]
    assert [r["study_id"] for r in _csv(login("admin").get("/exports/patients.csv").text)] == [
        "GZ-701",
        "SH-701",
    ]
    # the children of another site's patient are not exported: SH's 9 screening labs
    assert _csv(sh.get("/exports/baselines.csv").text) == []
    labs = _csv(sh.get("/exports/lab_results.csv").text)
    sh_id = _csv(sh.get("/exports/patients.csv").text)[0]["id"]
    assert len(labs) == 9 and {r["patient_id"] for r in labs} == {sh_id}
    criteria = _csv(gz.get("/exports/screening_criteria.csv").text)
    screenings = {r["id"] for r in _csv(gz.get("/exports/screenings.csv").text)}
    assert criteria and {r["screening_id"] for r in criteria} == screenings
    # the columns are those of `hcctrial export` (store.csv_io), the same header
    from hcctrial.store import models as m
    from hcctrial.store.values import column_specs

    header = gz.get("/exports/baselines.csv").text.splitlines()[0]
    assert header == ",".join(column_specs(m.Baseline))
    assert gz.get("/exports/users.csv").status_code == 404  # accounts are not exported
    assert login("coord_gz").get("/exports/patients.csv").status_code == 403  # no review role


def test_the_zip_and_the_analysis_formats(app: Any, login: Any) -> None:
    gz = login("inv_gz")
    enrol(gz, "GZ-702")
    z = zipfile.ZipFile(io.BytesIO(gz.get("/exports/trial.zip?format=csv").content))
    assert "patients.csv" in z.namelist() and "audit_log.csv" not in z.namelist()
    assert gz.get("/exports/trial.zip?format=odm").status_code == 403  # trial-wide
    r = login("admin").get("/exports/trial.zip?format=odm")
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert names == ["clinical_data.xml"]
    assert login("admin").get("/exports/trial.zip?format=pdf").status_code == 400
