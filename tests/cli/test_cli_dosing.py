"""CLI contracts of ``hcctrial bsa``, ``hcctrial dose`` and ``hcctrial regimen``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.protocol.helpers import edited_regimen

Cli = Callable[..., CliResult]


# ------------------------------------------------------------------------------------------------
# bsa
# ------------------------------------------------------------------------------------------------


def test_bsa_fixed_contract(cli: Cli) -> None:
    # Mosteller sqrt(180 x 80 / 3600) = sqrt(4) = 2.0
    r = cli("bsa", "--height-cm", "180", "--weight-kg", "80", "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["bsa_m2"] == 2.0 and out["formula"] == "mosteller"


@pytest.mark.parametrize(
    ("formula", "expected"),
    # shared reference score-062 / STANDARDS.md §4 table: 80 kg / 180 cm
    [("mosteller", 2.0), ("dubois", 2.0), ("haycock", 2.01)],
)
def test_bsa_formulas(cli: Cli, formula: str, expected: float) -> None:
    # DuBois 1.9964 -> 2.00, Haycock 2.0066 -> 2.01 (2 decimals)
    r = cli("bsa", "--height-cm", "180", "--weight-kg", "80", "--formula", formula, "--json")
    assert r.json()["bsa_m2"] == expected
    assert r.json()["formula"] == formula


def test_bsa_text_output(cli: Cli) -> None:
    r = cli("bsa", "--height-cm", "170", "--weight-kg", "70")
    # Mosteller sqrt(170 x 70 / 3600) = 1.8181 -> 1.82
    assert r.exit_code == 0 and "1.82 m²" in r.stdout


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--height-cm", "180", "--weight-kg", "80", "--formula", "boyd"], "formula"),
        (["--height-cm", "18", "--weight-kg", "80"], "height_cm"),
        (["--height-cm", "180", "--weight-kg", "-5"], "weight_kg"),
    ],
)
def test_bsa_bad_input(cli: Cli, args: list[str], field: str) -> None:
    r = cli("bsa", *args, "--json")
    assert r.exit_code == 2
    assert field in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------------------------------------
# dose
# ------------------------------------------------------------------------------------------------


def test_dose_fixed_contract(cli: Cli) -> None:
    r = cli("dose", "--bsa-m2", "1.8", "--child-pugh", "A", "--start", "2026-03-02T08:00", "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["bsa_m2"] == 1.8
    drugs = {d["name"]: d for d in out["drugs"]}
    assert set(drugs) == {"epirubicin", "oxaliplatin", "leucovorin", "fluorouracil", "sorafenib"}
    for d in out["drugs"]:
        assert {"name", "dose_mg", "route", "duration_h", "start", "end"} <= set(d)
    # 1.8 x 75 = 135 mg IA 6 h 10:00-16:00 after the 2 h TACE slot from 08:00
    assert drugs["oxaliplatin"]["dose_mg"] == 135
    assert drugs["oxaliplatin"]["route"] == "intra-arterial"
    assert drugs["oxaliplatin"]["duration_h"] == 6
    assert (drugs["oxaliplatin"]["start"], drugs["oxaliplatin"]["end"]) == (
        "2026-03-02T10:00",
        "2026-03-02T16:00",
    )
    # 1.8 x 1.5 g = 2700 mg over 18 h, 16:00 -> 10:00 next day
    assert drugs["fluorouracil"]["dose_mg"] == 2700
    assert drugs["fluorouracil"]["end"] == "2026-03-03T10:00"
    # 1.8 x 200 = 360 mg IV over 2 h at the start of 5-FU
    assert drugs["leucovorin"]["dose_mg"] == 360
    assert drugs["leucovorin"]["route"] == "intravenous"
    assert drugs["leucovorin"]["start"] == drugs["fluorouracil"]["start"]
    assert drugs["epirubicin"]["dose_mg"] == 40
    assert drugs["sorafenib"]["dose_mg"] == 400  # start: 200 mg twice daily


def test_dose_from_height_and_weight(cli: Cli) -> None:
    # Mosteller sqrt(170 x 65 / 3600) = 1.7519 -> 1.75 m²; B: 1.75 x 60 = 105, 1.75 x 1000 = 1750
    r = cli("dose", "--height-cm", "170", "--weight-kg", "65", "--child-pugh", "B", "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["bsa_m2"] == 1.75
    drugs = {d["name"]: d["dose_mg"] for d in out["drugs"]}
    assert (drugs["oxaliplatin"], drugs["fluorouracil"], drugs["leucovorin"]) == (105, 1750, 350)
    assert out["bsa_formula"] == "mosteller"


def test_dose_level_and_sorafenib_level(cli: Cli) -> None:
    # level -1 (80 %): 1.8 x 75 x 0.8 = 108 mg; sorafenib level -1 = 600 mg/day
    r = cli(
        "dose",
        "--bsa-m2",
        "1.8",
        "--child-pugh",
        "A",
        "--level",
        "-1",
        "--sorafenib-level",
        "-1",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    drugs = {d["name"]: d["dose_mg"] for d in r.json()["drugs"]}
    assert drugs["oxaliplatin"] == 108 and drugs["sorafenib"] == 600


def test_dose_other_regimen_file(cli: Cli, tmp_path: Path) -> None:
    path = edited_regimen(tmp_path, [("A = 75.0", "A = 85.0")])
    r = cli("dose", "--bsa-m2", "1.8", "--child-pugh", "A", "--regimen", str(path), "--json")
    # 1.8 x 85 = 153 mg
    assert {d["name"]: d["dose_mg"] for d in r.json()["drugs"]}["oxaliplatin"] == 153


def test_dose_sister_regimen_by_name(cli: Cli) -> None:
    r = cli(
        "dose", "--bsa-m2", "1.8", "--child-pugh", "A", "--regimen", "tace_haic_folfox", "--json"
    )
    assert r.exit_code == 0
    assert "sorafenib" not in {d["name"] for d in r.json()["drugs"]}


def test_dose_text_output(cli: Cli) -> None:
    r = cli("dose", "--bsa-m2", "1.8", "--child-pugh", "A")
    assert r.exit_code == 0
    assert "oxaliplatin" in r.stdout and "135 mg" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bsa-m2", "1.8", "--child-pugh", "C"], "Child-Pugh C is not eligible"),
        (["--bsa-m2", "1.8", "--child-pugh", "X"], "child_pugh"),
        (["--bsa-m2", "1.8", "--child-pugh", "A", "--level", "-5"], "level"),
        (["--bsa-m2", "1.8", "--child-pugh", "A", "--start", "tomorrow"], "start"),
        (["--bsa-m2", "1.8", "--child-pugh", "A", "--sorafenib-level", "max"], "sorafenib-level"),
        (
            ["--bsa-m2", "1.8", "--height-cm", "170", "--weight-kg", "65", "--child-pugh", "A"],
            "bsa-m2",
        ),
        (["--height-cm", "170", "--child-pugh", "A"], "weight-kg"),
        (["--child-pugh", "A"], "height-cm"),
        (["--bsa-m2", "12", "--child-pugh", "A"], "bsa_m2"),
        (["--bsa-m2", "1.8", "--child-pugh", "A", "--regimen", "nope"], "regimen"),
    ],
)
def test_dose_bad_input(cli: Cli, args: list[str], message: str) -> None:
    r = cli("dose", *args, "--json")
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


# ------------------------------------------------------------------------------------------------
# regimen
# ------------------------------------------------------------------------------------------------


def test_regimen_list(cli: Cli) -> None:
    r = cli("regimen", "list", "--json")
    assert [x["id"] for x in r.json()] == ["sorafenib_tace_haic_folfox", "tace_haic_folfox"]


def test_regimen_show(cli: Cli) -> None:
    r = cli("regimen", "show", "--json")
    assert r.exit_code == 0
    assert r.json()["cycle"]["max_haic_cycles"] == 8
    # the text lists sorafenib's levels (mg/day) for the seed regimen only
    assert "mg/day" in cli("regimen", "show").stdout
    assert "mg/day" not in cli("regimen", "show", "tace_haic_folfox").stdout


def test_regimen_validate_ok(cli: Cli, tmp_path: Path) -> None:
    path = edited_regimen(tmp_path, [])
    r = cli("regimen", "validate", str(path), "--json")
    assert r.exit_code == 0 and r.json()["valid"] is True


def test_regimen_validate_names_the_key(cli: Cli, tmp_path: Path) -> None:
    path = edited_regimen(tmp_path, [("A = 1.5\nB = 1.0", 'A = 1.5\nB = "one"')])
    r = cli("regimen", "validate", str(path))
    assert r.exit_code == 2
    assert "drugs[2].dose_per_m2.B" in r.stderr
    assert "Traceback" not in r.stderr
