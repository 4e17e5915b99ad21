"""``hcctrial score child-pugh | albi | bclc``: the fixed contracts of issue 2 and bad input.

Expected values are the issue's own contract examples and hand calculations written out below.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult

Cli = Callable[..., CliResult]

CHILD_PUGH_CONTRACT = [
    "score", "child-pugh", "--bilirubin", "1.8 mg/dL", "--albumin", "3.2 g/dL", "--inr", "1.3",
    "--ascites", "none", "--encephalopathy", "none",
]  # fmt: skip


def test_child_pugh_fixed_contract(cli: Cli) -> None:
    r = cli(*CHILD_PUGH_CONTRACT, "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    # issue 2: 1.8 mg/dL -> 1, 3.2 g/dL -> 2, INR 1.3 -> 1, none -> 1, none -> 1; total 6 -> A
    assert out["points"] == {
        "bilirubin": 1,
        "albumin": 2,
        "inr": 1,
        "ascites": 1,
        "encephalopathy": 1,
    }
    assert out["total"] == 6
    assert out["class"] == "A"
    assert out["label"] == "A6"


def test_child_pugh_text_summary(cli: Cli) -> None:
    r = cli(*CHILD_PUGH_CONTRACT)
    assert r.exit_code == 0
    assert "Child-Pugh A6" in r.stdout


def test_child_pugh_with_pt_prolongation_and_umol_per_l(cli: Cli) -> None:
    r = cli(
        "score", "child-pugh", "--bilirubin", "34.2 umol/L", "--albumin", "28 g/L",
        "--pt-prolongation", "6.5 s", "--ascites", "slight", "--encephalopathy", "grade-1-2",
        "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    out = r.json()
    # 34.2 umol/L = 2.0 mg/dL -> 2; 28 g/L = 2.8 g/dL -> 2; PT 6.5 s > 6 -> 3; slight 2; 1-2 -> 2
    # total 2 + 2 + 3 + 2 + 2 = 11 -> C
    assert out["points"] == {
        "bilirubin": 2,
        "albumin": 2,
        "pt_prolongation": 3,
        "ascites": 2,
        "encephalopathy": 2,
    }
    assert (out["total"], out["class"]) == (11, "C")
    assert out["inputs"]["bilirubin_mg_dl"] == 2.0


def test_albi_fixed_contract(cli: Cli) -> None:
    r = cli("score", "albi", "--bilirubin", "10 umol/L", "--albumin", "35 g/L", "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    # 0.66 * log10(10) - 0.0852 * 35 = 0.66 - 2.982 = -2.322: grade 2 (-2.60 < s <= -1.39),
    # mALBI 2a (s <= -2.270)
    assert out["score"] == -2.322
    assert out["grade"] == 2
    assert out["modified_grade"] == "2a"
    assert "0.0852" in out["coefficients"]


def test_albi_other_coefficient_and_conventional_units(cli: Cli) -> None:
    r = cli(
        "score", "albi", "--bilirubin", "0.6 mg/dL", "--albumin", "3.5 g/dL",
        "--albumin-coefficient", "-0.085", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    out = r.json()
    # 0.6 mg/dL x 17.1 = 10.26 umol/L; 3.5 g/dL = 35 g/L
    # 0.66 * log10(10.26) - 0.085 * 35 = 0.66 * 1.011147 - 2.975 = 0.667357 - 2.975 = -2.307643 -> -2.308
    assert out["inputs"] == {"bilirubin_umol_l": 10.26, "albumin_g_l": 35.0}
    assert out["score"] == -2.308
    assert out["grade"] == 2
    assert "0.085 x albumin" in out["coefficients"]


def test_albi_text_summary(cli: Cli) -> None:
    r = cli("score", "albi", "--bilirubin", "10 umol/L", "--albumin", "35 g/L")
    assert r.exit_code == 0
    assert "ALBI -2.322: grade 2 (mALBI 2a)" in r.stdout


BCLC_BASE = ["score", "bclc", "--no-vascular-invasion", "--no-extrahepatic-spread"]


@pytest.mark.parametrize(
    ("args", "stage"),
    [
        # 4 nodules, ECOG 0, Child-Pugh A, no invasion/spread: multinodular -> B
        (["--nodules", "4", "--largest-cm", "5", "--ecog", "0", "--child-pugh", "A"], "B"),
        # single 1.8 cm nodule, ECOG 0 -> 0
        (["--nodules", "1", "--largest-cm", "1.8", "--ecog", "0", "--child-pugh", "A"], "0"),
        # ECOG 1 (cancer-related) -> C
        (["--nodules", "1", "--largest-cm", "1.8", "--ecog", "1", "--child-pugh", "A"], "C"),
        # ECOG 1 attributed to cirrhosis, named: no upstaging -> 0
        (
            ["--nodules", "1", "--largest-cm", "1.8", "--ecog", "1", "--child-pugh", "A",
             "--ps-not-cancer-related", "--ps-attributed-by", "Dr Li"],
            "0",
        ),
        # Child-Pugh C -> D
        (["--nodules", "2", "--largest-cm", "2", "--ecog", "0", "--child-pugh", "C"], "D"),
    ],
)  # fmt: skip
def test_bclc_stages(cli: Cli, args: list[str], stage: str) -> None:
    r = cli(*BCLC_BASE, *args, "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["stage"] == stage
    assert out["reason"].endswith(f"-> {stage}")


def test_bclc_vascular_invasion_and_text(cli: Cli) -> None:
    r = cli(
        "score", "bclc", "--nodules", "2", "--largest-cm", "2", "--ecog", "0", "--child-pugh",
        "B7", "--vascular-invasion", "--no-extrahepatic-spread",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("BCLC C: macrovascular invasion -> C")
    assert "note: Child-Pugh B" in r.stdout


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["child-pugh", "--bilirubin", "1.8 furlongs", "--albumin", "3.2 g/dL", "--inr", "1.3",
          "--ascites", "none", "--encephalopathy", "none"], "bilirubin"),
        (["child-pugh", "--bilirubin", "1.8 blargh", "--albumin", "3.2 g/dL", "--inr", "1.3",
          "--ascites", "none", "--encephalopathy", "none"], "bilirubin"),
        (["child-pugh", "--bilirubin", "1.8 mg/dL", "--albumin", "35 g/dL", "--inr", "1.3",
          "--ascites", "none", "--encephalopathy", "none"], "albumin"),
        (["child-pugh", "--bilirubin", "1.8 mg/dL", "--albumin", "3.2 g/dL", "--inr", "1.3",
          "--ascites", "lots", "--encephalopathy", "none"], "ascites"),
        (["child-pugh", "--bilirubin", "1.8 mg/dL", "--albumin", "3.2 g/dL", "--inr", "1.3",
          "--ascites", "none", "--encephalopathy", "grade 5"], "encephalopathy"),
        (["child-pugh", "--bilirubin", "1.8 mg/dL", "--albumin", "3.2 g/dL",
          "--ascites", "none", "--encephalopathy", "none"], "inr"),
        (["child-pugh", "--bilirubin", "1.8 mg/dL", "--albumin", "3.2 g/dL", "--inr", "1.3",
          "--pt-prolongation", "5 s", "--ascites", "none", "--encephalopathy", "none"], "inr"),
        (["child-pugh", "--bilirubin", "1.8 mg/dL", "--albumin", "3.2 g/dL", "--inr", "abc",
          "--ascites", "none", "--encephalopathy", "none"], "inr"),
        (["child-pugh", "--bilirubin", "1.8 mg/dL", "--albumin", "3.2 g/dL", "--inr", "1.3",
          "--encephalopathy", "none"], "ascites"),
        (["albi", "--bilirubin", "10 umol/L", "--albumin", "35 g/dL"], "albumin"),
        (["albi", "--bilirubin", "0 umol/L", "--albumin", "35 g/L"], "bilirubin"),
        (["albi", "--bilirubin", "10 parsec", "--albumin", "35 g/L"], "bilirubin"),
        (["bclc", "--nodules", "1", "--largest-cm", "2", "--ecog", "7", "--child-pugh", "A",
          "--no-vascular-invasion", "--no-extrahepatic-spread"], "ecog"),
        (["bclc", "--nodules", "1", "--largest-cm", "2", "--ecog", "0", "--child-pugh", "D",
          "--no-vascular-invasion", "--no-extrahepatic-spread"], "child_pugh"),
        (["bclc", "--nodules", "0", "--largest-cm", "2", "--ecog", "0", "--child-pugh", "A",
          "--no-vascular-invasion", "--no-extrahepatic-spread"], "n_nodules"),
        (["bclc", "--nodules", "1", "--largest-cm", "2", "--ecog", "0", "--child-pugh", "A",
          "--no-extrahepatic-spread"], "vascular-invasion"),
        (["bclc", "--nodules", "1", "--largest-cm", "2", "--ecog", "1", "--child-pugh", "A",
          "--no-vascular-invasion", "--no-extrahepatic-spread", "--ps-not-cancer-related"],
         "ps_attributed_by"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_field(cli: Cli, args: list[str], field: str) -> None:
    r = cli("score", *args, "--json")
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert field in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""


def test_score_help_lists_the_commands(cli: Cli) -> None:
    r = cli("score", "--help")
    assert r.exit_code == 0
    for command in ("child-pugh", "albi", "bclc"):
        assert command in r.stdout
