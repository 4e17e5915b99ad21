"""Every door, same automatic query (issue 19): a lab value far outside its normal range is saved
and raises the same EDIT-LAB-RANGE query on the same field of the record each door wrote -- the web
form, the JSON API, ``hcctrial import DIR`` (CSV), ``hcctrial import --format redcap`` and the
services' import that the demo's generated trial goes through (``services.imports.import_rows``).

The value: ALT 450 U/L with an upper limit of normal of 40 U/L; 450 > 10 x 40 = 400, so the range
check (more than :data:`~hcctrial.services.edit_checks.RANGE_FACTOR` = 10 times the ULN) asks.
ALT is not among the screening labs of the set-up patient (``tests/web/test_every_door._setup``:
WBC, ANC, platelets, creatinine, albumin, bilirubin, INR), so the first ALT of a patient has no
previous value to jump from, and each later one follows an ALT of 450 (ratio 1): no EDIT-LAB-JUMP
at any door -- exactly one query per door. The queries are read back through the JSON API.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.web.conftest import TODAY
from tests.web.test_every_door import _api, _audit_head, _setup
from tests.web.test_every_door_issue13 import _import_csv, _import_redcap, _rc1, _redcap

#: The lab each door saves (the date varies per door: the same lab twice is LAB-DUPLICATE).
ALT = {"analyte": "alt", "value_entered": "450", "unit_entered": "U/L", "uln": "40"}
#: The question every door's query asks, written out by hand from the rule's message
#: (docs/rules.md, EDIT-LAB-RANGE).
QUESTION = (
    "alt 450 U/L is more than 10 times the upper limit of normal (40): please check it "
    "against the source."
)
DAYS = {
    "form": "2026-02-10",
    "api": "2026-02-11",
    "csv": "2026-02-12",
    "services": "2026-02-13",
    "redcap": "2026-02-14",
}


def _alt_ids(client: Any, pid: int) -> dict[str, int]:
    """sample date -> id of the patient's ALT results."""
    labs = client.get(f"/api/patients/{pid}").json()["labs"]
    return {x["sample_date"]: x["id"] for x in labs if x["analyte"] == "alt"}


def _queries(client: Any, pid: int) -> set[tuple[Any, ...]]:
    """(rule, form, record id, field, question, status, raised by) of the patient's queries."""
    r = client.get(f"/api/patients/{pid}/queries")
    assert r.status_code == 200, r.text
    keys = ("rule_id", "form", "record_id", "field", "text", "status", "raised_by")
    return {tuple(q[k] for k in keys) for q in r.json()}


def _services_import(url: str, pid: int) -> None:
    """The demo's door: ``import_rows`` through a unit of work, as ``hcctrial demo`` calls it."""
    from hcctrial.services.imports import import_rows
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store.session import make_engine, open_session

    engine = make_engine(url)
    with open_session(engine) as s:
        uow = UnitOfWork(s, Actor.system("demo"), today=TODAY)
        row = {"id": 900_002, "patient_id": pid, "sample_date": DAYS["services"]} | ALT
        assert import_rows(uow, {"lab_results": [row]}, reason="demo") == {"lab_results": 1}
    engine.dispose()


def test_every_door_raises_the_same_automatic_query(
    app: Any, login: Callable[[str], Any], web_db: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    gz = _setup(web_db)["gz"]
    site, monitor = login("inv_gz"), login("monitor")
    assert _queries(monitor, gz) == set()  # the control: the set-up raised nothing
    r = site.post(
        f"/patients/{gz}/labs/new",
        data={**ALT, "sample_date": DAYS["form"], "csrf_token": site.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:1500]
    r = site.post(
        f"/api/patients/{gz}/labs",
        json=_api(ALT) | {"sample_date": DAYS["api"]},
        headers={"X-CSRF-Token": site.csrf},
    )
    assert r.status_code == 201, r.text
    row = {"id": 900_001, "patient_id": gz, "sample_date": DAYS["csv"]} | ALT
    out = _import_csv(cli, web_db, tmp_path / "files", {"lab_results": [row]})
    assert out.exit_code == 0, out.stderr
    _services_import(web_db, gz)
    lab = _api(ALT) | {"sample_date": DAYS["redcap"]}
    records, dictionary = _redcap(tmp_path, cli, "lab_result", "lab", lab)
    red = _import_redcap(cli, web_db, records, dictionary)
    assert red.exit_code == 0, red.stderr
    rc1 = _rc1(site)
    ids = _alt_ids(site, gz) | _alt_ids(site, rc1)
    assert sorted(ids) == sorted(DAYS.values())  # five labs saved: the query does not refuse
    found = {door: (rc1 if door == "redcap" else gz, ids[day]) for door, day in DAYS.items()}
    expected = {
        ("EDIT-LAB-RANGE", "lab_results", ids[day], "value_entered", QUESTION, "open", "edit check")
        for day in DAYS.values()
    }
    assert _queries(monitor, gz) | _queries(monitor, rc1) == expected, found
    # the site sees them too, and only the one of the REDCap patient on that patient
    assert {q[2] for q in _queries(site, rc1)} == {ids[DAYS["redcap"]]}


def test_an_import_refused_raises_no_query(
    app: Any, login: Callable[[str], Any], web_db: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    """All or nothing: a file with the ALT of 450 U/L and a lab dated 2035 (DATE-FUTURE) is
    refused whole -- no lab, no query, not one audit entry."""
    gz = _setup(web_db)["gz"]
    monitor = login("monitor")
    head = _audit_head(web_db)
    rows = [
        {"id": 900_001, "patient_id": gz, "sample_date": DAYS["csv"]} | ALT,
        {"id": 900_002, "patient_id": gz, "sample_date": "2035-01-01"} | ALT,
    ]
    out = _import_csv(cli, web_db, tmp_path / "files", {"lab_results": rows})
    assert out.exit_code == 2 and "[DATE-FUTURE]" in out.stderr, out.stderr
    assert _queries(monitor, gz) == set()
    assert _audit_head(web_db) == head


def test_a_second_import_does_not_raise_the_same_query_again(
    app: Any, login: Callable[[str], Any], web_db: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    """Once per record, field and rule: a later import of another patient's records checks the
    patient again (its ALT of 450 is still 10 x ULN) but raises nothing new; a closed query stays
    closed."""
    gz = _setup(web_db)["gz"]
    monitor = login("monitor")
    row = {"id": 900_001, "patient_id": gz, "sample_date": DAYS["csv"]} | ALT
    assert _import_csv(cli, web_db, tmp_path / "a", {"lab_results": [row]}).exit_code == 0
    (query,) = monitor.get(f"/api/patients/{gz}/queries").json()
    r = monitor.post(f"/api/queries/{query['id']}/close", headers={"X-CSRF-Token": monitor.csrf})
    assert r.status_code == 200, r.text
    # an albumin of 36 g/L (within its range; 36 / 38 at screening: no jump) for the same patient
    again = {"id": 900_002, "patient_id": gz, "sample_date": "2026-02-20"}
    again |= {"analyte": "albumin", "value_entered": "36", "unit_entered": "g/L", "uln": "50"}
    out = _import_csv(cli, web_db, tmp_path / "b", {"lab_results": [again]})
    assert out.exit_code == 0, out.stderr
    (after,) = monitor.get(f"/api/patients/{gz}/queries").json()
    assert (after["id"], after["status"]) == (query["id"], "closed")
