"""The CDISC controlled terminology (CT) the SDTM and ADaM exports use: codelists and terms with
their NCI Thesaurus codes.

Source: CDISC SDTM Controlled Terminology, release 2025-03-25 (NCI EVS, as packaged in the R
data package ``sdtm.terminology`` 2025-3-25); each codelist below carries its NCI code, its
submission short name and whether it is extensible. Only the terms this trial uses are listed
(the full lists have hundreds). A value of a variable bound to a *non-extensible* codelist must be
one of its terms; for an *extensible* codelist a sponsor term is allowed and marked in define.xml
(``def:ExtendedValue="Yes"``) — :data:`SPONSOR_TERMS` lists ours with why.

Where CDISC has no codelist (AEREL, DSCAT values other than its own, TRTEST "Tumor Status"
results) the values are ours and ``docs/interop.md`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CODELISTS", "CT_VERSION", "SPONSOR_TERMS", "Codelist", "codelist"]

CT_VERSION = "SDTM CT 2025-03-25"


@dataclass(frozen=True)
class Codelist:
    """One CDISC codelist: NCI code, short name, name, extensible, terms (value -> NCI code)."""

    code: str
    short: str
    name: str
    extensible: bool
    terms: dict[str, str]

    def allows(self, value: str) -> bool:
        """Whether ``value`` is a term of the list (or the list is extensible)."""
        return value in self.terms or self.extensible


def _cl(code: str, short: str, name: str, ext: bool, terms: str) -> Codelist:
    pairs = [t.split("=") for t in terms.split(";")]
    return Codelist(code, short, name, ext, {v.strip(): c.strip() for c, v in pairs})


CODELISTS: dict[str, Codelist] = {
    c.short: c
    for c in (
        _cl("C66731", "SEX", "Sex", False, "C16576=F;C20197=M;C17998=U;C45908=INTERSEX"),
        _cl("C66742", "NY", "No Yes Response", False, "C49487=N;C49488=Y;C17998=U;C48660=NA"),
        _cl(
            "C74457",
            "RACE",
            "Race",
            False,
            "C41259=AMERICAN INDIAN OR ALASKA NATIVE;C41260=ASIAN;C16352=BLACK OR AFRICAN "
            "AMERICAN;C41219=NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER;C43234=NOT REPORTED;"
            "C17649=OTHER;C17998=UNKNOWN;C41261=WHITE",
        ),
        _cl("C66781", "AGEU", "Age Unit", False, "C29848=YEARS"),
        _cl(
            "C66768",
            "OUT",
            "Outcome of Event",
            False,
            "C48275=FATAL;C49494=NOT RECOVERED/NOT RESOLVED;C49498=RECOVERED/RESOLVED;"
            "C49495=RECOVERED/RESOLVED WITH SEQUELAE;C49496=RECOVERING/RESOLVING;C17998=UNKNOWN",
        ),
        _cl(
            "C66729",
            "ROUTE",
            "Route of Administration Response",
            True,
            "C38222=INTRA-ARTERIAL;C38276=INTRAVENOUS;C38288=ORAL",
        ),
        _cl(
            "C66727",
            "NCOMPLT",
            "Completion/Reason for Non-Completion",
            True,
            "C41331=ADVERSE EVENT;C25250=COMPLETED;C28554=DEATH;C48227=LOST TO FOLLOW-UP;"
            "C48250=PHYSICIAN DECISION;C35571=PROGRESSIVE DISEASE;C50996=PROTOCOL DEVIATION;"
            "C142185=PROTOCOL VIOLATION;C49628=SCREEN FAILURE;C49634=WITHDRAWAL BY SUBJECT",
        ),
        _cl(
            "C114118",
            "PROTMLST",
            "Protocol Milestone",
            True,
            "C132447=ELIGIBILITY CRITERIA MET;C164344=ELIGIBILITY CRITERIA NOT MET;"
            "C161417=ENTERED INTO TRIAL",
        ),
        _cl(
            "C99079",
            "EPOCH",
            "Epoch",
            True,
            "C202487=SCREENING;C101526=TREATMENT;C202578=FOLLOW-UP",
        ),
        _cl("C66789", "ND", "Not Done", False, "C49484=NOT DONE"),
        _cl(
            "C78736",
            "NRIND",
            "Reference Range Indicator",
            True,
            "C78801=LOW;C78800=HIGH;C78727=NORMAL;C78802=ABNORMAL",
        ),
        _cl(
            "C65047",
            "LBTESTCD",
            "Laboratory Test Code",
            True,
            "C74732=AFP;C64431=ALB;C64432=ALP;C64433=ALT;C64467=AST;C38037=BILI;C64547=CREAT;"
            "C64847=GGT;C64848=HGB;C64805=INR;C64853=K;C51949=LYM;C63321=NEUT;C51951=PLAT;"
            "C64809=SODIUM;C51948=WBC",
        ),
        _cl("C66741", "VSTESTCD", "Vital Signs Test Code", True, "C25347=HEIGHT;C25208=WEIGHT"),
        _cl("C66770", "VSRESU", "Units for Vital Signs Results", True, "C49668=cm;C28252=kg"),
        _cl("C85492", "METHOD", "Method", True, "C17204=CT SCAN;C16809=MRI"),
        _cl(
            "C74456",
            "LOC",
            "Anatomical Location",
            True,
            "C12666=ADRENAL GLAND;C12366=BONE;C12392=LIVER;C12468=LUNG;C12745=LYMPH NODE;"
            "C12770=PERITONEUM;C33343=PORTAL VEIN",
        ),
        _cl(
            "C96782",
            "ONCRTSCD",
            "Oncology Response Assessment Test Code",
            True,
            "C96613=OVRLRESP;C94536=BESTRESP;C94534=TRGRESP;C94535=NTRGRESP;C142362=NEWLIND",
        ),
        _cl(
            "C96785",
            "ONCRSR",
            "Oncology Response Assessment Result",
            True,
            "C4870=CR;C18058=PR;C18213=SD;C35571=PD;C62222=NE;C96700=NON-CR/NON-PD",
        ),
        _cl(
            "C124298",
            "ONCRSCAT",
            "Category of Oncology Response Assessment",
            True,
            "C126032=MRECIST LENCIONI LIVER CANCER 2010",
        ),
        _cl("C96784", "TUTESTCD", "Tumor or Lesion Identification Test Code", True,
            "C94523=TUMIDENT"),
        _cl(
            "C96779",
            "TRTESTCD",
            "Tumor or Lesion Properties Test Code",
            True,
            "C96684=LDIAM;C96643=TUMSTATE;C96631=SUMDIAM",
        ),
        _cl("C96777", "MEDEVAL", "Medical Evaluator Identifier", True, "C25936=INVESTIGATOR"),
        _cl("C71113", "FREQ", "Frequency", True, "C25473=QD;C64496=BID;C64576=ONCE"),
        _cl(
            "C71620",
            "UNIT",
            "Unit",
            True,
            "C25613=%;C67255=10^9/L;C49668=cm;C25301=DAYS;C64783=g/dL;C42576=g/L;C67376=IU/L;"
            "C67377=IU/mL;C28252=kg;C67474=mEq/L;C28253=mg;C67015=mg/dL;C28251=mm;"
            "C64387=mmol/L;C29846=MONTHS;C42535=s;C67456=U/L;C67397=ukat/L;C48508=umol/L;"
            "C67306=ug/L;C29848=YEARS",
        ),
        _cl(
            "C66738",
            "TSPARMCD",
            "Trial Summary Parameter Test Code",
            True,
            "C98703=ACTSUB;C49703=ADDON;C49694=AGEMAX;C49693=AGEMIN;C25488=DOSE;"
            "C89081=DOSFRQ;C73558=DOSU;C112038=INDIC;C98746=INTMODEL;C98747=INTTYPE;"
            "C98771=NARMS;C85826=OBJPRIM;C85827=OBJSEC;C98772=OUTMSPRI;C98781=OUTMSSEC;"
            "C49692=PLANSUB;C25196=RANDOM;C38114=ROUTE;C156604=SDTIGVER;C156605=SDTMVER;"
            "C49696=SEXPOP;C69208=SSTDTC;C90462=SENDTC;C142175=STYPE;C49698=STOPRULE;"
            "C49658=TBLIND;C49647=TCNTRL;C49652=TINDTP;C49802=TITLE;C48281=TPHASE;C41161=TRT;"
            "C49660=TTYPE",
        ),
        _cl("C66737", "TPHASE", "Trial Phase Response", True, "C15601=PHASE II TRIAL"),
        _cl("C66739", "TTYPE", "Trial Type Response", True, "C49666=EFFICACY;C49667=SAFETY"),
        _cl("C66735", "TBLIND", "Trial Blinding Schema Response", True, "C49659=OPEN LABEL"),
        _cl("C66785", "TCNTRL", "Control Type Response", True, "C41132=NONE"),
        _cl("C66732", "SEXPOP", "Sex of Participants Response", False,
            "C49636=BOTH;C16576=F;C20197=M"),
        _cl("C66736", "TINDTP", "Trial Intent Type Response", True, "C49656=TREATMENT"),
        _cl("C99076", "INTMODEL", "Intervention Model Response", True, "C82640=SINGLE GROUP"),
        _cl("C99077", "STYPE", "Study Type Response", True, "C98388=INTERVENTIONAL"),
        _cl("C99078", "INTTYPE", "Intervention Type Response", True, "C1909=DRUG"),
    )
}

#: Sponsor-defined values in extensible codelists: (codelist, value) -> why.
SPONSOR_TERMS: dict[tuple[str, str], str] = {
    ("NCOMPLT", "OTHER"): "withdrawal of kind 'other' (CT has no catch-all term)",
    ("LBTESTCD", "PTPROL"): "prothrombin time above control (s), as Child-Pugh uses it; CT's PT "
    "is the time itself",
    ("LBTESTCD", "LVEF"): "left-ventricular ejection fraction (an eligibility criterion); "
    "belongs in CV, kept in LB with a sponsor code (CV is out of scope)",
}


def codelist(short: str) -> Codelist:
    """Return the codelist with submission short name ``short`` (``SEX``, ``NY``...)."""
    return CODELISTS[short]
