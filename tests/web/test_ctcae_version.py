"""The trial's CTCAE version comes from its regimen file, at every door: a sister trial whose
regimen says ``ctcae_version = "5.0"`` is graded and named by CTCAE v5.0 at entry, with no code
changed (``hcctrial.protocol.regimen.trial_ctcae_version``).

Differences used (NCI CTCAE v4.03, 2010, and v5.0, 2017; the bundled criteria files):

- "Budd-Chiari syndrome" is a CTCAE v5.0 term (Hepatobiliary disorders) and not a v4.03 one;
- "Acute kidney injury" has grades 1-5 in v4.03 but only 3-5 in v5.0 (v5.0: grade 3
  "Hospitalization indicated", 4, 5), so grade 1 is refused by v5.0 only;
- "INR increased" is graded against the ULN in v4.03 (grade 1 ">1 - 1.5 x ULN", grade 2
  ">1.5 - 2.5 x ULN") and on the INR itself in v5.0 (grade 2 ">1.5 - 2.5"): INR 1.6 with a ULN of
  1.2 is 1.6 / 1.2 = 1.33 x ULN, grade 1 by v4.03, and above 1.5, grade 2 by v5.0.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest

from tests.web.conftest import TODAY
from tests.web.test_every_door import AE, _setup


def _sister() -> Any:
    """The default regimen with CTCAE v5.0 (validated as a regimen file would be)."""
    from hcctrial.protocol.regimen import default_regimen
    from hcctrial.protocol.schema import Regimen

    data = default_regimen().model_dump()
    data["assessment"]["ctcae_version"] = "5.0"
    return Regimen.model_validate(data)


def test_the_keeper_reads_the_regimen() -> None:
    from hcctrial.protocol.regimen import default_regimen, trial_ctcae_version

    assert trial_ctcae_version() == "4.03" == trial_ctcae_version(default_regimen())
    assert trial_ctcae_version(_sister()) == "5.0"


BUDD = AE | {"term": "Budd-Chiari syndrome", "grade": "3"}
AKI_1 = AE | {"term": "Acute kidney injury", "grade": "1"}


def _record(url: str, regimen: Any, values: dict[str, str]) -> Any:
    """Record an adverse event of GZ-1 through the service; the refusal or None."""
    from hcctrial.errors import RuleRefusal
    from hcctrial.services.adverse_events import record_adverse_event
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store.models import Patient
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    try:
        with open_session(engine) as s:
            gz = s.query(Patient).filter_by(study_id="GZ-1").one().id
            uow = UnitOfWork(s, Actor.system("test"), today=TODAY, regimen=regimen)
            record_adverse_event(uow, gz, {k: v for k, v in values.items() if v}, reason="t")
    except RuleRefusal as exc:
        return exc
    finally:
        engine.dispose()
    return None


def test_the_services_check_the_trials_version(web_db: str) -> None:
    from hcctrial.protocol.regimen import default_regimen

    _setup(web_db)
    v5, v4 = _sister(), default_regimen()
    term = _record(web_db, v4, BUDD)
    assert term.rule == "AE-CTCAE-TERM" and "CTCAE v4.03" in str(term)
    grade = _record(web_db, v5, AKI_1)
    assert grade.rule == "AE-CTCAE-GRADE"
    assert "CTCAE v5.0 grades of 'Acute kidney injury' are 3, 4, 5" in str(grade)
    assert _record(web_db, v5, BUDD) is None
    assert _record(web_db, v4, AKI_1 | {"onset_date": "2026-01-21"}) is None


@pytest.mark.parametrize("version", ["4.03", "5.0"])
def test_the_form_api_and_preview_follow_the_regimen(
    app: Any, login: Callable[[str], Any], web_db: str, version: str
) -> None:
    if version == "5.0":
        app.state.web.regimen = _sister()
    gz = _setup(web_db)["gz"]
    c = login("inv_gz")
    accepted, refused, rule = (
        (BUDD, AKI_1, "AE-CTCAE-GRADE") if version == "5.0" else (AKI_1, BUDD, "AE-CTCAE-TERM")
    )
    url = f"/patients/{gz}/adverse_events"
    r = c.post(f"{url}/new", data={**refused, "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 422 and f"[{rule}]" in r.text and f"CTCAE v{version}" in r.text
    api = {k: v for k, v in refused.items() if v}
    r = c.post(f"/api{url}", json=api, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 422 and r.json()["rule"] == rule
    r = c.post(f"{url}/new", data={**accepted, "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    # the live preview: the heading and the check name the trial's version
    preview = html.unescape(c.post(f"{url}/preview", data={**refused, "csrf_token": c.csrf}).text)
    assert f"<h2>CTCAE v{version}</h2>" in preview
    problem = {
        "5.0": "CTCAE v5.0 has no grade 1 for Acute kidney injury (grades 3, 4, 5).",
        "4.03": "a term of the bundled CTCAE v4.03 list (790 terms)",
    }[version]
    assert problem in preview
    # the form's term list is the version's
    page = c.get(f"{url}/new").text
    assert ('value="Budd-Chiari syndrome"' in page) is (version == "5.0")


def test_an_amended_term_is_checked_by_the_trials_version(
    app: Any, login: Callable[[str], Any], web_db: str
) -> None:
    """An amendment (the unit of work's change path and the store's update) uses the same
    version: Budd-Chiari syndrome is accepted as a correction under v5.0."""
    app.state.web.regimen = _sister()
    gz = _setup(web_db)["gz"]
    c = login("inv_gz")
    h = {"X-CSRF-Token": c.csrf}
    body = {k: v for k, v in AE.items() if v}
    ae = c.post(f"/api/patients/{gz}/adverse_events", json=body, headers=h).json()
    r = c.put(
        f"/api/adverse_events/{ae['id']}",
        json={"version": 1, "reason": "diagnosis", "changes": {"term": "Budd-Chiari syndrome"}},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["term"] == "Budd-Chiari syndrome", r.text


@pytest.mark.parametrize(("version", "grade"), [("4.03", 1), ("5.0", 2)])
def test_the_patient_page_grades_a_lab_by_the_trials_version(
    app: Any, login: Callable[[str], Any], web_db: str, version: str, grade: int
) -> None:
    if version == "5.0":
        app.state.web.regimen = _sister()
    gz = _setup(web_db)["gz"]
    c = login("inv_gz")
    lab = {"sample_date": "2026-02-20", "analyte": "inr", "value_entered": 1.6}
    lab |= {"unit_entered": "1", "uln": 1.2}
    r = c.post(f"/api/patients/{gz}/labs", json=lab, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201, r.text
    page = html.unescape(c.get(f"/patients/{gz}").text)
    assert f"INR increased: grade {grade}" in page
    # the JSON grade preview answers by the same version
    body = {"analyte": "inr", "value": 1.6, "unit": "1", "uln": 1.2}
    r = c.post("/api/preview/lab-grade", json=body, headers={"X-CSRF-Token": c.csrf})
    assert [(g["grade"], g["version"]) for g in r.json()] == [(grade, version)]
