"""Liver-function scores and HCC staging: Child-Pugh, ALBI (and modified ALBI), BCLC 2022, ECOG.

Pure functions on numbers in fixed units (no pint here: the CLI and the importers convert with
``hcctrial.clinical.units.canonical_value`` first). Every result is a frozen dataclass; bad input
raises :class:`hcctrial.errors.DataValidationError` naming the field, the value and what was
expected.

Why not a library: no well-kept Python package of these scores was found on PyPI, and the
open-source implementations reviewed in ``shared/reference/clinical/STANDARDS.md`` carry known
errors (a bilirubin molar mass of 548.66 instead of 584.66, an mALBI cut-off of -2.09, "Child-Pugh
B -> BCLC B"). The scores are a few table look-ups, written here against the published tables and
checked against the peer vectors in ``shared/reference/clinical/scores_cases.jsonl``.

Sources and the choices made:

- **Child-Pugh** (Pugh 1973, INR form). Points 1 / 2 / 3: bilirubin < 2 / 2-3 / > 3 mg/dL;
  albumin > 3.5 / 2.8-3.5 / < 2.8 g/dL; INR < 1.7 / 1.7-2.3 / > 2.3 or prothrombin-time
  prolongation < 4 / 4-6 / > 6 s; ascites none / slight / moderate(-severe); encephalopathy none /
  grade 1-2 / grade 3-4. The 2-point interval is closed at both ends (bilirubin 2.0 and 3.0,
  albumin 3.5 and 2.8, INR 1.7 and 2.3 give 2 points), as the reference vectors expect. Class
  A = 5-6, B = 7-9, C = 10-15.
- **ALBI** (Johnson PJ et al., J Clin Oncol 2015;33:550-558): ``0.66 * log10(bilirubin umol/L)
  - 0.0852 * albumin g/L``; grade 1 <= -2.60 < grade 2 <= -1.39 < grade 3. The albumin
  coefficient is quoted as -0.0852 (hartwigmedical/actin, many citing papers, and the fixed CLI
  contract of issue 2: bilirubin 10 umol/L, albumin 35 g/L -> -2.322) and as the rounded -0.085
  (MDCalc-style calculators; -2.315 for the same patient). hcctrial uses -0.0852 everywhere by
  default; ``albumin_coefficient=-0.085`` gives the other form. The coefficients used are always
  stated in the result, since they can flip a grade near -2.60 (bilirubin 10 umol/L, albumin
  38.35 g/L is grade 1 with -0.0852, grade 2 with -0.085). **Modified ALBI** (Hiraoka A et al.,
  Liver Cancer 2017;6:325-336) splits grade 2 at -2.270: 2a if <= -2.270, else 2b.
- **BCLC** (Reig M et al., J Hepatol 2022;76:681-693), evaluated in this order: ECOG PS 3-4 or
  end-stage liver function (Child-Pugh C) -> D; macrovascular (portal) invasion, extrahepatic
  spread, or a cancer-related ECOG PS 1-2 -> C; a single nodule <= 2 cm -> 0; a single nodule of
  any size, or 2-3 nodules each <= 3 cm -> A; otherwise (multinodular) -> B. Child-Pugh B alone
  does not move a patient to B or D (the 2022 update speaks of "preserved liver function" and
  refines it with ALBI/MELD); the result then carries a note. A PS of 1-2 that the clinician
  attributes to cirrhosis or another illness does not upstage, and the attribution must be named.
- **ECOG PS** (Oken MM et al., Am J Clin Oncol 1982;5:649-655): integers 0-5.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from hcctrial.clinical.units import ANALYTES
from hcctrial.errors import DataValidationError, field_error

__all__ = [
    "ALBI_ALBUMIN_COEFFICIENT",
    "ALBI_BILIRUBIN_COEFFICIENT",
    "CHOLESTATIC_BILIRUBIN_BANDS_MG_DL",
    "AlbiResult",
    "Ascites",
    "BclcResult",
    "BclcStage",
    "ChildPughClass",
    "ChildPughResult",
    "Encephalopathy",
    "albi",
    "albumin_points",
    "ascites_points",
    "bclc_stage",
    "bilirubin_points",
    "child_pugh",
    "child_pugh_class",
    "ecog_status",
    "encephalopathy_points",
    "inr_points",
    "parse_child_pugh_label",
    "pt_prolongation_points",
]


# ---------------------------------------------------------------------------------------------
# Child-Pugh
# ---------------------------------------------------------------------------------------------


class Ascites(StrEnum):
    """Ascites as graded for Child-Pugh: none (1 point), slight (2), moderate-severe (3)."""

    NONE = "none"
    SLIGHT = "slight"
    MODERATE = "moderate"


class Encephalopathy(StrEnum):
    """Hepatic encephalopathy for Child-Pugh: none (1 point), grade 1-2 (2), grade 3-4 (3)."""

    NONE = "none"
    GRADE_1_2 = "grade-1-2"
    GRADE_3_4 = "grade-3-4"


class ChildPughClass(StrEnum):
    """Child-Pugh class: A (5-6 points), B (7-9), C (10-15)."""

    A = "A"
    B = "B"
    C = "C"


# Other spellings accepted (lower-case, "_" and " " read as "-"): clinical synonyms of the grades.
_ASCITES_SYNONYMS: Final[dict[str, Ascites]] = {
    "absent": Ascites.NONE,
    "no": Ascites.NONE,
    "mild": Ascites.SLIGHT,
    "moderate-severe": Ascites.MODERATE,
    "severe": Ascites.MODERATE,
}
_ENCEPHALOPATHY_SYNONYMS: Final[dict[str, Encephalopathy]] = {
    "absent": Encephalopathy.NONE,
    "no": Encephalopathy.NONE,
    "grade-1": Encephalopathy.GRADE_1_2,
    "grade-2": Encephalopathy.GRADE_1_2,
    "1-2": Encephalopathy.GRADE_1_2,
    "grade-3": Encephalopathy.GRADE_3_4,
    "grade-4": Encephalopathy.GRADE_3_4,
    "3-4": Encephalopathy.GRADE_3_4,
}


@dataclass(frozen=True)
class ChildPughResult:
    """Child-Pugh points per component, their total (5-15) and the class.

    ``points`` has the keys ``bilirubin``, ``albumin``, ``inr`` (or ``pt_prolongation`` when the
    prothrombin-time prolongation was used instead of the INR), ``ascites``, ``encephalopathy``.
    """

    points: dict[str, int]
    total: int
    child_class: ChildPughClass

    @property
    def label(self) -> str:
        """Class and total together, as the protocol writes them: ``"A5"``, ``"B7"``."""
        return f"{self.child_class.value}{self.total}"


def _finite_number(name: str, value: object, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise field_error(name, value, expected)
    return float(value)


def _in_range(analyte: str, value: object, unit: str, scale: float = 1.0) -> float:
    """Return ``value`` checked against the physiological range of ``analyte`` (in ``unit``)."""
    a = ANALYTES[analyte]
    low, high = a.low * scale, a.high * scale
    expected = f"a number of {a.description or analyte} between {low:g} and {high:g} {unit}"
    x = _finite_number(analyte, value, expected)
    if not low <= x <= high:
        raise field_error(analyte, value, expected + " (check the unit)")
    return x


def _three_bands(x: float, low: float, high: float, *, higher_is_worse: bool) -> int:
    """Return 1/2/3 points: the middle band [low, high] is closed at both ends."""
    if x < low:
        return 1 if higher_is_worse else 3
    if x > high:
        return 3 if higher_is_worse else 1
    return 2


#: Bilirubin bands of the cholestatic variant (primary biliary cholangitis / primary sclerosing
#: cholangitis), mg/dL: < 4 -> 1 point, 4-10 -> 2, > 10 -> 3 (the modification used for PBC/PSC in
#: Child-Pugh tables; STANDARDS.md §3). Not the trial's default: HCC patients are scored with the
#: standard bands 2 and 3 mg/dL.
CHOLESTATIC_BILIRUBIN_BANDS_MG_DL: Final = (4.0, 10.0)


def bilirubin_points(bilirubin_mg_dl: float, *, cholestatic: bool = False) -> int:
    """Return the Child-Pugh bilirubin points: < 2 mg/dL -> 1, 2-3 -> 2, > 3 -> 3; with
    ``cholestatic`` (PBC/PSC) the bands are < 4 / 4-10 / > 10 mg/dL."""
    x = _in_range("bilirubin", bilirubin_mg_dl, "mg/dL")
    low, high = CHOLESTATIC_BILIRUBIN_BANDS_MG_DL if cholestatic else (2.0, 3.0)
    return _three_bands(x, low, high, higher_is_worse=True)


def albumin_points(albumin_g_dl: float) -> int:
    """Return the Child-Pugh albumin points: > 3.5 g/dL -> 1, 2.8-3.5 -> 2, < 2.8 -> 3."""
    x = _in_range("albumin", albumin_g_dl, "g/dL")
    return _three_bands(x, 2.8, 3.5, higher_is_worse=False)


def inr_points(inr: float) -> int:
    """Return the Child-Pugh INR points: < 1.7 -> 1, 1.7-2.3 -> 2, > 2.3 -> 3."""
    x = _in_range("inr", inr, "(ratio)")
    return _three_bands(x, 1.7, 2.3, higher_is_worse=True)


def pt_prolongation_points(pt_prolongation_s: float) -> int:
    """Return the Child-Pugh points of the prothrombin time above control: < 4 s -> 1, 4-6 -> 2,
    > 6 -> 3."""
    x = _in_range("pt_prolongation", pt_prolongation_s, "s")
    return _three_bands(x, 4.0, 6.0, higher_is_worse=True)


def _grade_key(value: str) -> str:
    return value.strip().lower().replace("_", "-").replace(" ", "-")


def _ascites(value: Ascites | str) -> Ascites:
    if isinstance(value, Ascites):
        return value
    if isinstance(value, str):
        key = _grade_key(value)
        if key in Ascites._value2member_map_:
            return Ascites(key)
        if key in _ASCITES_SYNONYMS:
            return _ASCITES_SYNONYMS[key]
    raise field_error("ascites", value, "one of none, slight, moderate")


def _encephalopathy(value: Encephalopathy | str) -> Encephalopathy:
    if isinstance(value, Encephalopathy):
        return value
    if isinstance(value, str):
        key = _grade_key(value)
        if key in Encephalopathy._value2member_map_:
            return Encephalopathy(key)
        if key in _ENCEPHALOPATHY_SYNONYMS:
            return _ENCEPHALOPATHY_SYNONYMS[key]
    raise field_error("encephalopathy", value, "one of none, grade-1-2, grade-3-4")


def ascites_points(ascites: Ascites | str) -> int:
    """Return the Child-Pugh ascites points: none -> 1, slight -> 2, moderate(-severe) -> 3."""
    return {Ascites.NONE: 1, Ascites.SLIGHT: 2, Ascites.MODERATE: 3}[_ascites(ascites)]


def encephalopathy_points(encephalopathy: Encephalopathy | str) -> int:
    """Return the Child-Pugh encephalopathy points: none -> 1, grade 1-2 -> 2, grade 3-4 -> 3."""
    e = _encephalopathy(encephalopathy)
    return {Encephalopathy.NONE: 1, Encephalopathy.GRADE_1_2: 2, Encephalopathy.GRADE_3_4: 3}[e]


def child_pugh_class(total_points: int) -> ChildPughClass:
    """Return the Child-Pugh class of a total: 5-6 -> A, 7-9 -> B, 10-15 -> C."""
    if isinstance(total_points, bool) or not isinstance(total_points, int):
        raise field_error("total_points", total_points, "an integer between 5 and 15")
    if not 5 <= total_points <= 15:
        raise field_error("total_points", total_points, "an integer between 5 and 15")
    if total_points <= 6:
        return ChildPughClass.A
    if total_points <= 9:
        return ChildPughClass.B
    return ChildPughClass.C


def child_pugh(
    bilirubin_mg_dl: float,
    albumin_g_dl: float,
    ascites: Ascites | str,
    encephalopathy: Encephalopathy | str,
    inr: float | None = None,
    pt_prolongation_s: float | None = None,
    *,
    cholestatic: bool = False,
) -> ChildPughResult:
    """Return the Child-Pugh points, total and class.

    Give exactly one of ``inr`` and ``pt_prolongation_s`` (seconds above control). Bilirubin in
    mg/dL, albumin in g/dL: convert first with ``canonical_value`` (an albumin of 35 passed as
    g/dL is refused as impossible, not scored). ``cholestatic`` scores bilirubin with the PBC/PSC
    bands (< 4 / 4-10 / > 10 mg/dL) instead of < 2 / 2-3 / > 3.

    >>> child_pugh(1.8, 3.2, "none", "none", inr=1.3).label
    'A6'
    """
    if (inr is None) == (pt_prolongation_s is None):
        given = "both" if inr is not None else "neither"
        raise DataValidationError(
            f"inr/pt_prolongation: got {given}; expected exactly one of the INR or the "
            "prothrombin-time prolongation (s)",
            field="inr",
        )
    points = {
        "bilirubin": bilirubin_points(bilirubin_mg_dl, cholestatic=cholestatic),
        "albumin": albumin_points(albumin_g_dl),
    }
    if inr is not None:
        points["inr"] = inr_points(inr)
    else:
        assert pt_prolongation_s is not None
        points["pt_prolongation"] = pt_prolongation_points(pt_prolongation_s)
    points["ascites"] = ascites_points(ascites)
    points["encephalopathy"] = encephalopathy_points(encephalopathy)
    total = sum(points.values())
    return ChildPughResult(points=points, total=total, child_class=child_pugh_class(total))


# ---------------------------------------------------------------------------------------------
# ALBI
# ---------------------------------------------------------------------------------------------

#: Johnson et al. 2015: ALBI = 0.66 * log10(bilirubin umol/L) + (-0.0852) * albumin g/L
#: (-0.085 in its rounded form; see the module docstring).
ALBI_BILIRUBIN_COEFFICIENT: Final = 0.66
ALBI_ALBUMIN_COEFFICIENT: Final = -0.0852
_ALBI_GRADE_1_MAX: Final = -2.60
_ALBI_GRADE_2_MAX: Final = -1.39
_MALBI_2A_MAX: Final = -2.270


@dataclass(frozen=True)
class AlbiResult:
    """ALBI score (full precision, no unit), ALBI grade 1-3 and modified grade "1"/"2a"/"2b"/"3"."""

    score: float
    grade: int
    modified_grade: str
    coefficients: str
    bilirubin_umol_l: float
    albumin_g_l: float


def albi(
    bilirubin_umol_l: float,
    albumin_g_l: float,
    *,
    albumin_coefficient: float = ALBI_ALBUMIN_COEFFICIENT,
) -> AlbiResult:
    """Return the ALBI score and grade (Johnson 2015) and the modified ALBI grade (Hiraoka 2017).

    Bilirubin in umol/L (> 0: it enters as a logarithm), albumin in g/L. ``albumin_coefficient``
    defaults to -0.0852; pass -0.085 for the rounded form of Johnson's coefficient.

    >>> r = albi(10.0, 35.0)
    >>> round(r.score, 3), r.grade, r.modified_grade
    (-2.322, 2, '2a')
    """
    bili_high = ANALYTES["bilirubin"].high * 17.1
    b_expected = f"a bilirubin above 0 and at most {bili_high:g} umol/L"
    b = _finite_number("bilirubin", bilirubin_umol_l, b_expected)
    if not 0 < b <= bili_high:
        raise field_error("bilirubin", bilirubin_umol_l, b_expected + " (check the unit)")
    a = _in_range("albumin", albumin_g_l, "g/L", scale=10.0)
    c = _finite_number("albumin_coefficient", albumin_coefficient, "a finite number, e.g. -0.085")
    # Round away binary noise (12 significant digits) so that a score on a cut-off stays on it.
    score = float(f"{ALBI_BILIRUBIN_COEFFICIENT * math.log10(b) + c * a:.12g}")
    if score <= _ALBI_GRADE_1_MAX:
        grade, modified = 1, "1"
    elif score <= _ALBI_GRADE_2_MAX:
        grade, modified = 2, ("2a" if score <= _MALBI_2A_MAX else "2b")
    else:
        grade, modified = 3, "3"
    coefficients = (
        f"ALBI = {ALBI_BILIRUBIN_COEFFICIENT:g} x log10(bilirubin umol/L) {'-' if c < 0 else '+'} "
        f"{abs(c):g} x albumin g/L (Johnson et al., J Clin Oncol 2015); grade 1 <= -2.60 < "
        "grade 2 <= -1.39 < grade 3; mALBI 2a <= -2.270 < 2b (Hiraoka et al., Liver Cancer 2017)"
    )
    return AlbiResult(score, grade, modified, coefficients, b, a)


# ---------------------------------------------------------------------------------------------
# ECOG and BCLC
# ---------------------------------------------------------------------------------------------


def ecog_status(value: object) -> int:
    """Return the ECOG performance status as an int 0-5, from an int or its text ("1").

    Refuses fractions, booleans and values outside 0-5 (Oken 1982: 0 fully active ... 5 dead).
    """
    expected = "an ECOG performance status, an integer from 0 to 5"
    if isinstance(value, bool):
        raise field_error("ecog", value, expected)
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise field_error("ecog", value, expected)
        status = int(text)
    elif isinstance(value, int):
        status = value
    elif isinstance(value, float) and value.is_integer():
        status = int(value)
    else:
        raise field_error("ecog", value, expected)
    if not 0 <= status <= 5:
        raise field_error("ecog", value, expected)
    return status


class BclcStage(StrEnum):
    """BCLC stage (2022 update): 0 very early, A early, B intermediate, C advanced, D terminal."""

    VERY_EARLY = "0"
    EARLY = "A"
    INTERMEDIATE = "B"
    ADVANCED = "C"
    TERMINAL = "D"


@dataclass(frozen=True)
class BclcResult:
    """BCLC stage, the rule that decided it (``reason``), and caveats (``notes``)."""

    stage: BclcStage
    reason: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: True when stage C rests only on an ECOG PS 1-2 that nobody attributed to the cancer (the
    #: default reading); ``alternative`` names the stage if the PS is due to cirrhosis or another
    #: illness
    interpretation: bool = False
    alternative: str | None = None


_CHILD_PUGH_LABEL: Final = re.compile(r"^([ABC])(\d{1,2})?$")


def parse_child_pugh_label(
    value: object, *, field: str = "child_pugh_class"
) -> tuple[ChildPughClass, int | None]:
    """Return (class, total points or None) of a Child-Pugh class or label: ``"B"``, ``"B7"``.

    A label whose letter contradicts its points is refused ("B10": 10 points is class C; "A9":
    9 points is class B), as is a total outside 5-15. This is the one check every door that takes
    a Child-Pugh class (dosing, BCLC staging, the services) goes through.
    """
    if isinstance(value, ChildPughClass):
        return value, None
    raw = getattr(value, "value", value)
    expected = "one of A, B, C, or a label such as B7 (class A = 5-6 points, B = 7-9, C = 10-15)"
    m = _CHILD_PUGH_LABEL.match(raw.strip().upper()) if isinstance(raw, str) else None
    if m is None:
        raise field_error(field, value, expected)
    cls = ChildPughClass(m.group(1))
    if m.group(2) is None:
        return cls, None
    total = int(m.group(2))
    if not 5 <= total <= 15:
        raise field_error(field, value, expected + "; a Child-Pugh total is 5-15 points")
    if child_pugh_class(total) is not cls:
        raise DataValidationError(
            f"{field}: got {raw!r}; {total} points is Child-Pugh class "
            f"{child_pugh_class(total).value}, not {cls.value}: the letter contradicts the points "
            f"(class A = 5-6 points, B = 7-9, C = 10-15)",
            field=field,
        )
    return cls, total


def _child_pugh_class_of(value: ChildPughClass | str) -> ChildPughClass:
    return parse_child_pugh_label(value)[0]


def bclc_stage(
    n_nodules: int,
    largest_cm: float,
    ecog: int,
    child_pugh_class: ChildPughClass | str,
    vascular_invasion: bool,
    extrahepatic_spread: bool,
    *,
    ps_cancer_related: bool = True,
    ps_attributed_by: str | None = None,
) -> BclcResult:
    """Return the BCLC 2022 stage (Reig et al., J Hepatol 2022) with the deciding rule.

    ``n_nodules`` is the number of HCC nodules (>= 1), ``largest_cm`` the diameter of the largest
    (cm), ``ecog`` the ECOG PS (0-4: 5 cannot be staged), ``vascular_invasion`` macrovascular
    (portal) invasion, ``extrahepatic_spread`` nodal or distant spread (N1/M1). When an ECOG PS of
    1-2 is due to cirrhosis or another illness rather than the cancer, pass
    ``ps_cancer_related=False`` and name who attributed it in ``ps_attributed_by``: the PS then
    does not upstage to C.

    >>> bclc_stage(2, 2.5, 0, "A", False, False).stage.value
    'A'
    """
    if isinstance(n_nodules, bool) or not isinstance(n_nodules, int) or n_nodules < 1:
        raise field_error("n_nodules", n_nodules, "an integer number of nodules >= 1")
    size = _finite_number("largest_cm", largest_cm, "a diameter in cm above 0 and at most 40")
    if not 0 < size <= 40:
        raise field_error("largest_cm", largest_cm, "a diameter in cm above 0 and at most 40")
    ps = ecog_status(ecog)
    if ps == 5:
        raise field_error("ecog", ecog, "an ECOG PS of 0-4 (5 = dead cannot be staged)")
    cp = _child_pugh_class_of(child_pugh_class)
    for name, flag in (
        ("vascular_invasion", vascular_invasion),
        ("extrahepatic_spread", extrahepatic_spread),
        ("ps_cancer_related", ps_cancer_related),
    ):
        if not isinstance(flag, bool):
            raise field_error(name, flag, "true or false")
    if not ps_cancer_related and not (ps_attributed_by and ps_attributed_by.strip()):
        raise field_error(
            "ps_attributed_by",
            ps_attributed_by,
            "the name of who attributed the ECOG PS to a cause other than the cancer",
        )

    notes: list[str] = []
    if cp is ChildPughClass.B:
        notes.append(
            "Child-Pugh B: liver function not fully preserved; BCLC 2022 does not restage on "
            "Child-Pugh B alone (refine with ALBI/MELD and expert judgement)"
        )
    if ps >= 3:
        return BclcResult(BclcStage.TERMINAL, f"ECOG PS {ps} (3-4) -> D", tuple(notes))
    if cp is ChildPughClass.C:
        return BclcResult(
            BclcStage.TERMINAL, "Child-Pugh C: end-stage liver function -> D", tuple(notes)
        )
    advanced = []
    if vascular_invasion:
        advanced.append("macrovascular invasion")
    if extrahepatic_spread:
        advanced.append("extrahepatic spread")
    if ps in (1, 2):
        if ps_cancer_related:
            advanced.append(f"cancer-related ECOG PS {ps}")
        else:
            notes.append(
                f"ECOG PS {ps} attributed to a cause other than the cancer by "
                f"{ps_attributed_by}: does not upstage"
            )
    if advanced:
        only_ps = advanced == [f"cancer-related ECOG PS {ps}"] and not ps_attributed_by
        if not only_ps:
            return BclcResult(BclcStage.ADVANCED, " and ".join(advanced) + " -> C", tuple(notes))
        other = bclc_stage(
            n_nodules,
            size,
            ps,
            cp,
            vascular_invasion,
            extrahepatic_spread,
            ps_cancer_related=False,
            ps_attributed_by="the alternative reading",
        )
        notes.append(
            f"stage C rests only on ECOG PS {ps}, taken as cancer-related though nobody attributed "
            f"it (BCLC 2022: a PS due to cirrhosis or another illness does not upstage; then "
            f"{other.stage.value})"
        )
        return BclcResult(
            BclcStage.ADVANCED,
            f"cancer-related ECOG PS {ps} (assumed: not attributed) -> C",
            tuple(notes),
            interpretation=True,
            alternative=f"BCLC {other.stage.value} if the PS is due to cirrhosis or another "
            f"illness ({other.reason})",
        )
    if n_nodules == 1 and size <= 2.0:
        return BclcResult(
            BclcStage.VERY_EARLY, f"single nodule {size:g} cm <= 2 cm -> 0", tuple(notes)
        )
    if n_nodules == 1:
        return BclcResult(BclcStage.EARLY, f"single nodule ({size:g} cm) -> A", tuple(notes))
    if n_nodules <= 3 and size <= 3.0:
        return BclcResult(
            BclcStage.EARLY,
            f"{n_nodules} nodules, each <= 3 cm (largest {size:g}) -> A",
            tuple(notes),
        )
    burden = f"{n_nodules} nodules" + ("" if n_nodules > 3 else f", largest {size:g} cm > 3 cm")
    return BclcResult(
        BclcStage.INTERMEDIATE,
        f"multinodular beyond A ({burden}), no vascular invasion or extrahepatic spread -> B",
        tuple(notes),
    )
