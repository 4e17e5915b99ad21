"""Bad command-line values — impossible numbers, NaN and infinity, wrong units, unknown choices,
missing or contradictory options, dates out of range — are refused by every command group naming
the option (exit 2, no traceback)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.robustness.conftest import EXAMPLES, assert_refused
from tests.support import TESTS_REFERENCE

LUNG = str(TESTS_REFERENCE / "survival" / "data" / "lung.csv")
RECORD = str(EXAMPLES / "records" / "first_cycle.json")
MRECIST = str(EXAMPLES / "mrecist" / "issue_example.json")
CHILD_PUGH = "score child-pugh --ascites none --encephalopathy none"
ALBI = "score albi"
BCLC = "score bclc --no-vascular-invasion --no-extrahepatic-spread"
ANC = 'grade lab --term "Neutrophil count decreased" --unit 10^9/L'
ALT = 'grade lab --term "Alanine aminotransferase increased" --unit U/L'
KM = f"survival km {LUNG} --time time --event status --event-value 2"

#: (command line, names the message must hold)
OPTION_CASES: list[tuple[str, list[str]]] = [
    # bsa / dose
    ("bsa --height-cm -170 --weight-kg 70", ["height_cm"]),
    ("bsa --height-cm 0 --weight-kg 70", ["height_cm"]),
    ("bsa --height-cm nan --weight-kg 70", ["height_cm", "nan"]),
    ("bsa --height-cm inf --weight-kg 70", ["height_cm", "inf"]),
    ("bsa --height-cm 1e308 --weight-kg 1e308", ["height_cm"]),
    ("bsa --height-cm 1700 --weight-kg 70", ["height_cm", "1700"]),
    ("bsa --height-cm 170 --weight-kg 999999999999999999999999", ["weight_kg"]),
    ("bsa --height-cm 170 --weight-kg 70 --formula bogus", ["formula", "bogus"]),
    ("bsa --height-cm abc --weight-kg 70", ["--height-cm"]),
    ("bsa --weight-kg 70", ["--height-cm"]),
    ("dose --bsa-m2 0 --child-pugh A", ["bsa_m2"]),
    ("dose --bsa-m2 nan --child-pugh A", ["bsa_m2"]),
    ("dose --bsa-m2 -1 --child-pugh A", ["bsa_m2"]),
    ("dose --bsa-m2 1e308 --child-pugh A", ["bsa_m2"]),
    ("dose --bsa-m2 1.8 --child-pugh C", ["child_pugh", "C"]),
    ("dose --bsa-m2 1.8 --child-pugh A --level 5", ["level", "5"]),
    ("dose --bsa-m2 1.8 --child-pugh A --level -9", ["level", "-9"]),
    ("dose --bsa-m2 1.8 --child-pugh A --sorafenib-level x", ["sorafenib-level"]),
    ("dose --bsa-m2 1.8 --child-pugh A --start garbage", ["start", "garbage"]),
    ("dose --bsa-m2 1.8 --child-pugh A --start 2026-02-30T08:00", ["start"]),
    ("dose --bsa-m2 1.8 --child-pugh A --start 9999-12-31T23:00", ["start", "2199-12-31"]),
    ("dose --bsa-m2 1.8 --child-pugh A --start 0001-01-01T00:00", ["start", "1900-01-01"]),
    ("dose --child-pugh A", ["height-cm"]),
    ("dose --height-cm 170 --child-pugh A", ["weight-kg"]),
    ("dose --bsa-m2 1.8 --height-cm 170 --weight-kg 70 --child-pugh A", ["bsa-m2"]),
    ("dose --bsa-m2 1.8 --child-pugh A --regimen nosuch", ["regimen", "nosuch"]),
    ("dose --bsa-m2 1.8 --child-pugh A --formula bogus", ["formula"]),
    ("regimen show nosuch", ["regimen", "nosuch"]),
    ("regimen validate /nonexistent/regimen.toml", ["/nonexistent/regimen.toml"]),
    # score
    (f'{CHILD_PUGH} --bilirubin "99 furlongs" --albumin "3.5 g/dL" --inr 1.1', ["bilirubin"]),
    (f'{CHILD_PUGH} --bilirubin "-1 mg/dL" --albumin "3.5 g/dL" --inr 1.1', ["bilirubin"]),
    (f'{CHILD_PUGH} --bilirubin "1 mg/dL" --albumin "35 g/dL" --inr 1.1', ["albumin"]),
    (f'{CHILD_PUGH} --bilirubin "1 mg/dL" --albumin "3.5 g/dL" --inr nan', ["inr"]),
    (f'{CHILD_PUGH} --bilirubin "nan mg/dL" --albumin "3.5 g/dL" --inr 1.1', ["bilirubin"]),
    (f'{CHILD_PUGH} --bilirubin "1e999 mg/dL" --albumin "3.5 g/dL" --inr 1.1', ["bilirubin"]),
    (f'{CHILD_PUGH} --bilirubin "" --albumin "3.5 g/dL" --inr 1.1', ["bilirubin"]),
    (
        'score child-pugh --ascites lots --encephalopathy none --bilirubin "1 mg/dL" '
        '--albumin "3.5 g/dL" --inr 1.1',
        ["ascites", "lots"],
    ),
    (f'{ALBI} --bilirubin "1 mg/dL" --albumin "0 g/L"', ["albumin"]),
    (f'{ALBI} --bilirubin "0 umol/L" --albumin "35 g/L"', ["bilirubin"]),
    (f'{ALBI} --bilirubin "1 kg" --albumin "35 g/L"', ["bilirubin", "kg"]),
    (f'{ALBI} --bilirubin "1 mg/dL" --albumin "abc"', ["albumin", "abc"]),
    (f"{BCLC} --ecog 7 --child-pugh A --nodules 3 --largest-cm 6", ["ecog", "7"]),
    (f"{BCLC} --ecog 0 --child-pugh Z --nodules 3 --largest-cm 6", ["child_pugh", "Z"]),
    (f"{BCLC} --ecog 0 --child-pugh A --nodules -3 --largest-cm 6", ["n_nodules"]),
    (f"{BCLC} --ecog 0 --child-pugh A --nodules 3 --largest-cm -6", ["largest_cm"]),
    (f"{BCLC} --ecog 0 --child-pugh A --nodules 3 --largest-cm nan", ["largest_cm"]),
    # grade
    (f"{ANC} --value nan --lln 1.8", ["value", "nan"]),
    (f"{ANC} --value -1 --lln 1.8", ["value"]),
    (f"{ANC} --value 1 --lln -1", ["lln"]),
    (f"{ALT} --value 100 --uln 0", ["uln"]),
    (f"{ALT} --value 100 --uln nan", ["uln"]),
    (f"{ALT} --value 100 --uln inf", ["uln"]),
    (f"{ALT} --value 100", ["--uln"]),
    (f"{ALT} --value 100 --uln 40 --ctcae 6.0", ["6.0"]),
    ('grade lab --term anc --value 1 --unit "10^9/L"', ["term", "anc"]),
    ('grade ae "Headache pain"', ["term", "Headache pain"]),
    ('grade ae ""', ["term"]),
    ("grade ae Nausea --grade 9", ["--grade", "9"]),
    ("grade ae Nausea --grade -1", ["--grade"]),
    # design
    ("design single-arm --p0 1.5 --p1 0.5", ["--p0", "1.5"]),
    ("design single-arm --p0 0.3 --p1 0.3", ["--p1"]),
    ("design single-arm --p0 0.3 --p1 0.5 --alpha 0", ["--alpha"]),
    ("design single-arm --p0 0.3 --p1 0.5 --alpha nan", ["--alpha"]),
    ("design single-arm --p0 0.3 --p1 0.5 --power 1", ["--power"]),
    ("design single-arm --p0 0.3 --p1 0.5 --dropout 1", ["--dropout"]),
    ("design single-arm --p0 0.3 --p1 0.5 --dropout -0.1", ["--dropout"]),
    ("design exact --p0 0.3 --p1 0.2", ["--p1"]),
    ("design exact --p0 0.3 --p1 0.5 --alpha 0.9", ["--alpha"]),
    ("design simon --p0 0.3 --p1 0.5 --nmax 100000", ["--nmax"]),
    ("design simon --p0 0.3 --p1 0.5 --nmax 0", ["--nmax"]),
    ("design simon --p0 nan --p1 0.5", ["--p0"]),
    ("design events --hr 1", ["--hr"]),
    ("design events --hr 0", ["--hr"]),
    ("design events --hr -2", ["--hr"]),
    ("design events --hr nan", ["--hr"]),
    (
        "design two-arm --median-control 0 --median-experimental 12 --accrual 24 --follow-up 12",
        ["--median-control"],
    ),
    (
        "design two-arm --median-control 6 --median-experimental 12 --accrual -24 --follow-up 12",
        ["--accrual"],
    ),
    (
        "design two-arm --median-control 6 --median-experimental 12 --accrual 24 --follow-up inf",
        ["--follow-up"],
    ),
    (
        "design two-arm --median-control 6 --median-experimental 6 --accrual 24 --follow-up 12",
        ["--median-experimental"],
    ),
    (
        "design two-arm --median-control 6 --median-experimental 12 --accrual 24 --follow-up 12 "
        "--sides 3",
        ["--sides"],
    ),
    ("design one-sample-logrank --median0 6 --hr 0.57 --accrual 0 --follow-up 12", ["--accrual"]),
    ("design one-sample-logrank --median0 6 --hr 1 --accrual 24 --follow-up 12", ["--hr"]),
    ("design one-sample-logrank --median0 -6 --hr 0.57 --accrual 24 --follow-up 12", ["--median0"]),
    ("design landmark --p0 1.3 --p1 0.5 --t0 12 --accrual 24 --follow-up 12", ["--p0"]),
    ("design landmark --p0 0.3 --p1 0.5 --t0 -12 --accrual 24 --follow-up 12", ["--t0"]),
    (
        "design landmark --p0 0.3 --p1 0.5 --t0 12 --accrual 24 --follow-up 12 --power 0.2",
        ["--power"],
    ),
    ("design simulate --n 0", ["--n"]),
    ("design simulate --n 99999999999 --trials 1", ["--n"]),
    ("design simulate --n 60 --trials 0", ["--trials"]),
    ("design simulate --n 60 --trials -5", ["--trials"]),
    ("design simulate --n 60 --trials 100000000000", ["--trials"]),
    ("design simulate --n 60 --seed -1", ["--seed"]),
    ("design simulate --n 61 --trials 1 --design two-arm-logrank", ["--n", "61"]),
    ("design simulate --n 60 --trials 1 --design bogus", ["--design", "bogus"]),
    ("design simulate --n 60 --trials 1 --dropout-hazard -1", ["--dropout-hazard"]),
    ("design simulate --n 60 --trials 1 --alpha 2", ["--alpha"]),
    ("design simulate --n 60 --trials 1 --distribution weibull --shape 0", ["--shape"]),
    (
        "design simulate --n 60 --trials 1 --distribution piecewise --breaks 6 --hazards 1,2,3",
        ["--hazards"],
    ),
    # next / assess
    (f"next {RECORD} --today 2026-13-01", ["--today", "2026-13-01"]),
    (f"next {RECORD} --today 9999-12-31", ["--today", "2199-12-31"]),
    (f"next {RECORD} --today 0001-01-01", ["--today", "1900-01-01"]),
    (f"next {RECORD} --today 2026-01-01", ["treatment_start"]),
    (f"next {RECORD} --today yesterday", ["--today"]),
    (f"next {RECORD} --regimen nosuch", ["regimen", "nosuch"]),
    (f"assess mrecist {MRECIST} --min-sd-days -1", ["--min-sd-days"]),
    (f"assess mrecist {MRECIST} --min-sd-days 99999999999", ["--min-sd-days"]),
    (f"assess mrecist {MRECIST} --new-nodule-mm nan", ["--new-nodule-mm"]),
    (f"assess mrecist {MRECIST} --new-nodule-mm inf", ["--new-nodule-mm"]),
    (f"assess mrecist {MRECIST} --new-nodule-mm 1e308", ["--new-nodule-mm"]),
    # survival
    (f"{KM} --at -5", ["--at", "-5"]),
    (f"{KM} --at abc", ["--at", "abc"]),
    (f"{KM} --conf-type bogus", ["--conf-type"]),
    (f"{KM} --median-ci bogus", ["--median-ci"]),
    (
        f"survival logrank {LUNG} --time time --event status --event-value 2 --group sex --rho nan",
        ["rho"],
    ),
    (
        f"survival logrank {LUNG} --time time --event status --event-value 2 --group sex --rho -1",
        ["rho"],
    ),
    (f"survival cox {LUNG} --time time --event status --covariates age --ties bogus", ["--ties"]),
    (f'survival cox {LUNG} --time time --event status --covariates ""', ["--covariates"]),
    (f"survival cox {LUNG} --time time --event status --covariates age", ["'status'", "line 2"]),
    # report / user / unknown commands
    ("report --format rtf", ["--format", "rtf"]),  # pdf is a format since issue 17
    ("report --figure-width triple", ["--figure-width", "triple"]),
    ('report --format ""', ["--format"]),
    ("user add --username x --role god", ["role", "god"]),
    ("user add --username x --role investigator", ["site"]),
    ("no-such-command", ["no-such-command"]),
    ("score no-such-score", ["no-such-score"]),
    ("bsa --height-cm 170 --weight-kg 70 --colour red", ["--colour"]),
]


@pytest.mark.parametrize(("line", "names"), OPTION_CASES, ids=[c[0] for c in OPTION_CASES])
def test_a_bad_option_value_is_refused_naming_it(
    cli: Callable[..., CliResult], line: str, names: list[str]
) -> None:
    assert_refused(cli(*shlex.split(line)), *names)


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "{file}", "--database", "{db}"],
        ["report", "--out", "{file}", "--database", "{db}"],
        ["demo", "--out", "{file}", "--no-report"],
        ["export", "{file}/sub", "--database", "{db}"],
    ],
    ids=["export-into-a-file", "report-into-a-file", "demo-into-a-file", "export-below-a-file"],
)
def test_an_output_path_that_cannot_be_a_directory_is_named(
    cli: Callable[..., CliResult], tmp_path: Path, demo_database_copy: Path, argv: list[str]
) -> None:
    blocker = tmp_path / "results.txt"
    blocker.write_text("keep me", encoding="utf-8")
    args = [a.format(file=blocker, db=demo_database_copy) for a in argv]
    assert_refused(cli(*args), "cannot use", str(blocker))
    assert blocker.read_text(encoding="utf-8") == "keep me"


def test_serve_on_a_port_in_use_or_a_host_that_does_not_resolve_is_named(
    cli: Callable[..., CliResult], demo_database_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.setenv("HCCTRIAL_SECRET_KEY", "a session key of at least 32 bytes, for tests")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        db = str(demo_database_copy)
        res = cli("serve", "--database", db, "--host", "127.0.0.1", "--port", str(port))
        assert_refused(res, "--host/--port", f"127.0.0.1:{port}")
    res = cli("serve", "--database", db, "--host", "no-such-host.invalid", "--port", "8000")
    assert_refused(res, "--host", "no-such-host.invalid")
