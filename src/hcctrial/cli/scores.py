"""``hcctrial score ...``: Child-Pugh, ALBI and BCLC from the command line.

Lab values are one argument each, value and unit together ("1.8 mg/dL", "30 umol/L", "35 g/L"),
converted by ``hcctrial.clinical.units.canonical_value`` (pint). Bad input raises an
:class:`hcctrial.errors.HcctrialError` naming the field; ``hcctrial.cli.main`` turns it into exit
code 2 with the message on stderr. pint-using modules are imported inside the commands so that
``hcctrial --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)

_JSON = typer.Option("--json", help="Print the result as one JSON object.")


def _emit(result: dict[str, Any], as_json: bool, text: str) -> None:
    from hcctrial.cli.main import emit

    emit(result, as_json, text)


@app.command("child-pugh")
def child_pugh_command(
    bilirubin: Annotated[
        str, typer.Option(help='Total bilirubin with unit: "1.8 mg/dL" or "30 umol/L".')
    ],
    albumin: Annotated[str, typer.Option(help='Serum albumin with unit: "3.2 g/dL" or "32 g/L".')],
    ascites: Annotated[str, typer.Option(help="none | slight | moderate (moderate-severe).")],
    encephalopathy: Annotated[str, typer.Option(help="none | grade-1-2 | grade-3-4.")],
    inr: Annotated[
        str | None, typer.Option(help="INR, a ratio (e.g. 1.3). Give this or --pt-prolongation.")
    ] = None,
    pt_prolongation: Annotated[
        str | None,
        typer.Option(help='Prothrombin time above control, with unit: "5 s". Instead of --inr.'),
    ] = None,
    cholestatic: Annotated[
        bool,
        typer.Option(
            "--cholestatic",
            help="Cholestatic disease (PBC/PSC): bilirubin bands < 4 / 4-10 / > 10 mg/dL.",
        ),
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Child-Pugh points, total and class (A 5-6, B 7-9, C 10-15).

    Cut-offs (the 2-point band is closed at both ends): bilirubin <2 / 2-3 / >3 mg/dL
    (34.2 / 51.3 umol/L); albumin >3.5 / 2.8-3.5 / <2.8 g/dL; INR <1.7 / 1.7-2.3 / >2.3;
    PT prolongation <4 / 4-6 / >6 s.
    """
    from hcctrial.clinical.scores import child_pugh
    from hcctrial.clinical.units import canonical_value

    bili = canonical_value("bilirubin", bilirubin)
    alb = canonical_value("albumin", albumin)
    inr_value = None if inr is None else canonical_value("inr", inr)
    pt_value = (
        None if pt_prolongation is None else canonical_value("pt_prolongation", pt_prolongation)
    )
    r = child_pugh(
        bili,
        alb,
        ascites,
        encephalopathy,
        inr=inr_value,
        pt_prolongation_s=pt_value,
        cholestatic=cholestatic,
    )
    inputs: dict[str, Any] = {"bilirubin_mg_dl": bili, "albumin_g_dl": alb}
    if inr_value is not None:
        inputs["inr"] = inr_value
    else:
        inputs["pt_prolongation_s"] = pt_value
    result = {
        "points": r.points,
        "total": r.total,
        "class": r.child_class.value,
        "label": r.label,
        "inputs": inputs,
        "bilirubin_bands_mg_dl": [4.0, 10.0] if cholestatic else [2.0, 3.0],
    }
    parts = ", ".join(f"{k} {v}" for k, v in r.points.items())
    _emit(result, as_json, f"Child-Pugh {r.label} (class {r.child_class.value}, {parts})")


@app.command("albi")
def albi_command(
    bilirubin: Annotated[
        str, typer.Option(help='Total bilirubin with unit: "10 umol/L" or "0.6 mg/dL".')
    ],
    albumin: Annotated[str, typer.Option(help='Serum albumin with unit: "35 g/L" or "3.5 g/dL".')],
    albumin_coefficient: Annotated[
        float,
        typer.Option(help="Albumin coefficient: -0.0852 (default) or the rounded -0.085."),
    ] = -0.0852,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """ALBI score and grade (Johnson 2015) and modified ALBI grade 1/2a/2b/3 (Hiraoka 2017).

    ALBI = 0.66 x log10(bilirubin umol/L) - 0.0852 x albumin g/L; grade 1 <= -2.60 < grade 2
    <= -1.39 < grade 3; mALBI splits grade 2 at -2.270. The score is printed to 3 decimals.
    """
    from hcctrial.clinical.scores import albi
    from hcctrial.clinical.units import canonical_value, convert

    # Checked in the canonical units (mg/dL, g/dL), then expressed in ALBI's umol/L and g/L;
    # rounded to 10 significant digits so that "10 umol/L" comes back as 10.0, not 9.99999999999.
    bili = canonical_value("bilirubin", bilirubin)
    alb = canonical_value("albumin", albumin)
    bili_umol_l = float(f"{convert(bili, 'mg/dL', 'umol/L', analyte='bilirubin'):.10g}")
    alb_g_l = float(f"{convert(alb, 'g/dL', 'g/L', analyte='albumin'):.10g}")
    r = albi(bili_umol_l, alb_g_l, albumin_coefficient=albumin_coefficient)
    result = {
        "score": round(r.score, 3),
        "grade": r.grade,
        "modified_grade": r.modified_grade,
        "coefficients": r.coefficients,
        "inputs": {"bilirubin_umol_l": r.bilirubin_umol_l, "albumin_g_l": r.albumin_g_l},
    }
    _emit(
        result,
        as_json,
        f"ALBI {r.score:.3f}: grade {r.grade} (mALBI {r.modified_grade})\n{r.coefficients}",
    )


@app.command("bclc")
def bclc_command(
    nodules: Annotated[int, typer.Option(help="Number of HCC nodules (>= 1).")],
    largest_cm: Annotated[float, typer.Option(help="Diameter of the largest nodule, cm.")],
    ecog: Annotated[str, typer.Option(help="ECOG performance status 0-4.")],
    child_pugh: Annotated[str, typer.Option(help="Child-Pugh class A | B | C (or a label: B7).")],
    vascular_invasion: Annotated[
        bool,
        typer.Option(
            "--vascular-invasion/--no-vascular-invasion",
            help="Macrovascular (portal) invasion present / absent. Required.",
        ),
    ],
    extrahepatic_spread: Annotated[
        bool,
        typer.Option(
            "--extrahepatic-spread/--no-extrahepatic-spread",
            help="Extrahepatic spread (N1/M1) present / absent. Required.",
        ),
    ],
    ps_not_cancer_related: Annotated[
        bool,
        typer.Option(
            "--ps-not-cancer-related",
            help="ECOG PS 1-2 is due to cirrhosis or another illness: it does not upstage to C. "
            "Needs --ps-attributed-by.",
        ),
    ] = False,
    ps_attributed_by: Annotated[
        str | None, typer.Option(help="Who attributed the PS to another cause (recorded).")
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """BCLC stage 0/A/B/C/D (Reig et al., J Hepatol 2022), with the rule that decided it.

    Order: ECOG 3-4 or Child-Pugh C -> D; macrovascular invasion, extrahepatic spread or a
    cancer-related ECOG 1-2 -> C; single nodule <= 2 cm -> 0; single nodule, or 2-3 nodules each
    <= 3 cm -> A; otherwise -> B. Child-Pugh B alone does not restage (a note says so).

    Example: hcctrial score bclc --nodules 4 --largest-cm 5 --ecog 0 --child-pugh A
    --no-vascular-invasion --no-extrahepatic-spread --json  ->  {"stage": "B", ...}
    """
    from hcctrial.clinical.scores import bclc_stage, ecog_status

    ps = ecog_status(ecog)
    r = bclc_stage(
        nodules,
        largest_cm,
        ps,
        child_pugh,
        vascular_invasion,
        extrahepatic_spread,
        ps_cancer_related=not ps_not_cancer_related,
        ps_attributed_by=ps_attributed_by,
    )
    result = {
        "stage": r.stage.value,
        "reason": r.reason,
        "notes": list(r.notes),
        "interpretation": r.interpretation,
        "alternative": r.alternative,
        "inputs": {
            "nodules": nodules,
            "largest_cm": largest_cm,
            "ecog": ps,
            "child_pugh": child_pugh,
            "vascular_invasion": vascular_invasion,
            "extrahepatic_spread": extrahepatic_spread,
            "ps_cancer_related": not ps_not_cancer_related,
            "ps_attributed_by": ps_attributed_by,
        },
    }
    text = f"BCLC {r.stage.value}: {r.reason}" + "".join(f"\nnote: {n}" for n in r.notes)
    _emit(result, as_json, text)
