"""The exports follow the statistical analysis plan (``--sap``; default the seed plan): TS's
objectives, outcome measures and planned subjects, the subject dataset's adverse-event rows,
ADTTE's parameters, ADSL's population flags and ADAE's table rows come from the plan file, and a
sister plan changes them without new code."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult


def _read(path: Path) -> Any:
    import pyreadstat

    frame, _ = pyreadstat.read_xport(str(path))
    return frame


def _ts(directory: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for _, r in _read(directory / "ts.xpt").sort_values(["TSPARMCD", "TSSEQ"]).iterrows():
        out[r["TSPARMCD"]].append(r["TSVAL"])
    return out


def test_ts_parameters_of_the_seed_plan(exported: dict[str, Path]) -> None:
    """Written from the seed plan's [primary], [design], [endpoints], [response] and
    [adverse_events] by hand: S(12) of PFS as the paper defined it against 30 %, one-sided at
    0.05; 66 patients to enrol; six other endpoints, ORR and DCR, the AE table's 10 rows."""
    ts = _ts(exported["sdtm"])
    assert ts["OBJPRIM"] == [
        "12-month PFS (as defined in the paper): the 12-month rate above 30% (one-sided, alpha 0.05)"
    ]
    assert ts["OUTMSPRI"] == [
        "Kaplan-Meier PFS rate at 12 months: time to progression as defined in the paper (death "
        "without progression censored at the last adequate assessment)"
    ]
    assert ts["PLANSUB"] == ["66"]
    assert ts["OBJSEC"] == [
        "PFS (standard: progression or death)",
        "Overall survival",
        "Time to progression",
        "Duration of response",
        "Time to treatment failure",
        "Cumulative incidence of progression (death as a competing event)",
        "Objective response rate (CR + PR) (mRECIST)",
        "Disease control rate (CR + PR + SD) (mRECIST)",
        "Safety: adverse events by worst CTCAE v4.03 grade",
    ]
    assert ts["OUTMSSEC"][1] == "Overall survival (death from any cause; censored at last contact)"
    assert ts["OUTMSSEC"][-2:] == [
        "Best overall response (mRECIST)",
        "Worst CTCAE v4.03 grade per patient in each of the 10 rows of the adverse-event table "
        "(Hematological, Non-hematological)",
    ]


def test_adsl_flags_are_the_plan_populations(exported: dict[str, Path],
                                             demo_analysis: Any) -> None:
    """ITTFL / SAFFL / PPROTFL = the analysis's own populations itt / safety / per_protocol."""
    adsl = _read(exported["adam"] / "adsl.xpt")
    pops = demo_analysis.result.populations
    for flag, key in (("ITTFL", "itt"), ("SAFFL", "safety"), ("PPROTFL", "per_protocol")):
        flagged = set(adsl.loc[adsl[flag] == "Y", "SUBJID"])
        assert flagged == set(pops[key].study_ids), flag
        assert set(adsl[flag]) <= {"Y", "N"}
    assert (adsl["ITTFL"] == "Y").sum() == 66
    assert 0 < (adsl["PPROTFL"] == "Y").sum() < 66


def test_adae_rows_give_the_worst_grades_of_the_subject_dataset(
    exported: dict[str, Path], demo_analysis: Any
) -> None:
    """The worst ATOXGRN per patient and AETBLROW of ADAE (from SDTM AE) equals the subject
    dataset's worst grade of each clinical row of the plan's table (from the raw records)."""
    adae = _read(exported["adam"] / "adae.xpt")
    plan = demo_analysis.result.plan
    clinical = [t for t in plan.adverse_events.terms if t.clinical_terms and not t.lab_terms]
    assert set(adae["AETBLROW"]) - {""} <= {t.label for t in clinical}
    nausea = adae[adae["AEDECOD"].isin(["Nausea", "Vomiting"])]
    assert len(nausea) > 0 and set(nausea["AETBLROW"]) == {"Nausea and vomiting"}
    assert set(nausea["AETBLCAT"]) == {"Non-hematological"}
    worst: dict[tuple[str, str], int] = {}
    for _, r in adae[adae["AETBLROW"] != ""].iterrows():
        key = (r["USUBJID"].removeprefix("HCCTRIAL-"), r["AETBLROW"])
        worst[key] = max(worst.get(key, 0), int(r["ATOXGRN"]))
    for s in demo_analysis.subjects:
        for t in clinical:
            assert worst.get((s.study_id, t.label), 0) == s.worst_grades[t.key], (s.study_id, t)


def test_subject_dataset_rows_are_the_plan_table(exported: dict[str, Path],
                                                 demo_analysis: Any) -> None:
    import csv

    with (exported["sav"] / "variables.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["dataset"] == "subjects"
                and r["variable"].startswith("worst_")]
    terms = demo_analysis.result.plan.adverse_events.terms
    assert [r["variable"] for r in rows] == [f"worst_{t.key}" for t in terms]
    labels = {r["variable"]: r["label"] for r in rows}
    assert labels["worst_nausea_vomiting"] == "Worst CTCAE v4.03 grade: Nausea and vomiting"


def test_paramcd_by_hand() -> None:
    from hcctrial.interop.adam import paramcd

    assert [paramcd(k) for k in ("pfs_paper", "pfs", "os", "ttp", "dor", "ttf")] == [
        "PFSPAPER", "PFS", "OS", "TTP", "DOR", "TTF"]
    # too long: vowels dropped (CF_PRGRSSN), then '_', then cut at 8
    assert paramcd("cif_progression") == "CFPRGRSS"


def test_a_sister_plan_changes_the_exports(cli: Callable[..., CliResult], demo_db: Path,
                                           tmp_path: Path) -> None:
    """ttp_one_sample_logrank.toml: TTP against a historical median of 7 months, 58 to enrol,
    three endpoints (ttp, pfs, os), three AE-table rows; ADTTE agrees with ``analyze --sap``."""
    import pyreadstat

    out = tmp_path / "export"
    r = cli("export", str(out), "--database", str(demo_db), "--format", "sav,sdtm,adam",
            "--sap", "ttp_one_sample_logrank", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["plan"]["id"] == "ttp_one_sample_logrank"
    ts = _ts(out / "sdtm")
    assert ts["PLANSUB"] == ["58"]
    assert ts["OBJPRIM"] == [
        "Time to progression against the historical curve: TTP longer than a historical curve "
        "with a median of 7 months (one-sample log-rank test, one-sided, alpha 0.05)"
    ]
    assert ts["OBJSEC"][:2] == ["PFS (progression or death)", "Overall survival"]
    adtte = _read(out / "adam" / "adtte.xpt")
    assert set(adtte["PARAMCD"]) == {"TTP", "PFS", "OS"}
    analysis = cli("analyze", "--database", str(demo_db), "--sap", "ttp_one_sample_logrank",
                   "--json").json()["analysis"]
    ttp = adtte[adtte["PARAMCD"] == "TTP"]
    km = analysis["endpoints"]["ttp"]
    assert (len(ttp), int((ttp["CNSR"] == 0).sum())) == (km["n"], km["events"])
    _, meta = pyreadstat.read_sav(str(out / "sav" / "subjects.sav"), metadataonly=True)
    assert [c for c in meta.column_names if c.startswith("worst_")] == [
        "worst_platelet_count_decreased", "worst_transaminase_increased",
        "worst_hand_foot_skin_reaction"]
    adae = _read(out / "adam" / "adae.xpt")
    assert set(adae["AETBLROW"]) - {""} <= {"Hand-foot skin reaction"}
    check = cli("cdisc", "check", str(out), "--json")
    assert check.exit_code == 0, check.json()["violations"][:5]


@pytest.mark.parametrize("fmt", ["adam", "csv"])
def test_a_bad_plan_is_refused_before_anything_is_written(
    cli: Callable[..., CliResult], demo_db: Path, tmp_path: Path, fmt: str
) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text('id = "x"\n', encoding="utf-8")
    r = cli("export", str(tmp_path / "out"), "--database", str(demo_db), "--format", fmt,
            "--sap", str(bad))
    assert r.exit_code == 2
    assert "plan" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()
    r = cli("export", str(tmp_path / "out"), "--database", str(demo_db), "--format", fmt,
            "--sap", "no_such_plan")
    assert r.exit_code == 2 and "--sap: got 'no_such_plan'" in r.stderr


def test_forked_derivation_follows_the_plan(demo_db: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A large trial is derived by two forked workers (from PARALLEL_FROM patients): they derive
    with the plan given, as the serial path does (here forced on the 66-patient demo)."""
    from hcctrial.analysis import load_plan
    from hcctrial.interop import snapshot
    from hcctrial.store.session import make_engine, open_session

    plan = load_plan("ttp_one_sample_logrank")
    engine = make_engine(str(demo_db))
    try:
        with open_session(engine) as session:
            serial = snapshot.load_snapshot(session, plan=plan)
            monkeypatch.setattr(snapshot, "PARALLEL_FROM", 2)
            forked = snapshot.load_snapshot(session, plan=plan)
    finally:
        engine.dispose()
    assert {e.endpoint for e in forked.endpoints} == {"ttp", "pfs", "os"}
    assert forked.endpoints == serial.endpoints
    assert forked.subjects == serial.subjects
    assert set(next(iter(forked.subjects.values())).worst_grades) == {
        "platelet_count_decreased", "transaminase_increased", "hand_foot_skin_reaction"}
