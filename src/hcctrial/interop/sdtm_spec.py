"""The SDTM (SDTMIG 3.4) and ADaM (ADaMIG 1.3) variables hcctrial writes, with their metadata.

One table per dataset: variable name, label (<= 40 characters), type (``C`` character, ``N``
numeric), core (``Req`` required: present and never empty; ``Exp`` expected: present, may be
empty; ``Perm`` permissible), and the controlled-terminology codelist (short name in
:mod:`hcctrial.interop.controlled_terms`) or ``ISO8601`` for ``--DTC`` dates. The builders
(:mod:`hcctrial.interop.sdtm_domains`, :mod:`hcctrial.interop.adam`) fill exactly these variables
in this order; define.xml and ``hcctrial cdisc check`` read the same tables, so the metadata has one
keeper.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DATASETS", "DatasetSpec", "VariableSpec", "dataset_spec"]


@dataclass(frozen=True)
class VariableSpec:
    """One variable of a CDISC dataset."""

    name: str
    label: str
    type: str
    core: str
    codelist: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """One CDISC dataset: name, label, class, standard, key variables, variables in order."""

    name: str
    label: str
    cls: str
    standard: str
    keys: tuple[str, ...]
    variables: tuple[VariableSpec, ...]
    structure: str


def _vars(text: str) -> tuple[VariableSpec, ...]:
    out = []
    for line in text.strip().splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        name, label, typ, core = parts[:4]
        cl = parts[4] if len(parts) > 4 and parts[4] else None
        out.append(VariableSpec(name, label, typ, core, cl))
    return tuple(out)


_ID = """
STUDYID|Study Identifier|C|Req
DOMAIN|Domain Abbreviation|C|Req
USUBJID|Unique Subject Identifier|C|Req
"""

_SPECS: list[DatasetSpec] = [
    DatasetSpec("DM", "Demographics", "SPECIAL PURPOSE", "SDTM", ("STUDYID", "USUBJID"), _vars(_ID + """
SUBJID|Subject Identifier for the Study|C|Req
RFSTDTC|Subject Reference Start Date/Time|C|Exp|ISO8601
RFENDTC|Subject Reference End Date/Time|C|Exp|ISO8601
RFXSTDTC|Date/Time of First Study Treatment|C|Exp|ISO8601
RFXENDTC|Date/Time of Last Study Treatment|C|Exp|ISO8601
RFICDTC|Date/Time of Informed Consent|C|Exp|ISO8601
RFPENDTC|Date/Time of End of Participation|C|Exp|ISO8601
DTHDTC|Date/Time of Death|C|Exp|ISO8601
DTHFL|Subject Death Flag|C|Exp|NY
SITEID|Study Site Identifier|C|Req
AGE|Age|N|Exp
AGEU|Age Units|C|Exp|AGEU
SEX|Sex|C|Req|SEX
RACE|Race|C|Exp|RACE
ARMCD|Planned Arm Code|C|Exp
ARM|Description of Planned Arm|C|Exp
ACTARMCD|Actual Arm Code|C|Exp
ACTARM|Description of Actual Arm|C|Exp
ARMNRS|Reason Arm and/or Actual Arm is Null|C|Exp
COUNTRY|Country|C|Req
"""), "One record per subject"),
    DatasetSpec("DS", "Disposition", "EVENTS", "SDTM", ("STUDYID", "USUBJID", "DSSEQ"), _vars(_ID + """
DSSEQ|Sequence Number|N|Req
DSTERM|Reported Term for the Disposition Event|C|Req
DSDECOD|Standardized Disposition Term|C|Req
DSCAT|Category for Disposition Event|C|Exp
EPOCH|Epoch|C|Perm|EPOCH
DSSTDTC|Start Date/Time of Disposition Event|C|Exp|ISO8601
DSSTDY|Study Day of Start of Disposition Event|N|Perm
"""), "One record per disposition status or protocol milestone per subject"),
    DatasetSpec("EX", "Exposure", "INTERVENTIONS", "SDTM", ("STUDYID", "USUBJID", "EXTRT", "EXSTDTC"), _vars(_ID + """
EXSEQ|Sequence Number|N|Req
EXTRT|Name of Treatment|C|Req
EXDOSE|Dose|N|Exp
EXDOSU|Dose Units|C|Exp|UNIT
EXDOSFRQ|Dosing Frequency per Interval|C|Perm|FREQ
EXROUTE|Route of Administration|C|Perm|ROUTE
EXADJ|Reason for Dose Adjustment|C|Perm
VISITNUM|Visit Number|N|Perm
VISIT|Visit Name|C|Perm
EPOCH|Epoch|C|Perm|EPOCH
EXSTDTC|Start Date/Time of Treatment|C|Exp|ISO8601
EXENDTC|End Date/Time of Treatment|C|Exp|ISO8601
EXSTDY|Study Day of Start of Treatment|N|Perm
"""), "One record per constant-dosing interval per subject"),
    DatasetSpec("AE", "Adverse Events", "EVENTS", "SDTM", ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"), _vars(_ID + """
AESEQ|Sequence Number|N|Req
AETERM|Reported Term for the Adverse Event|C|Req
AEDECOD|Dictionary-Derived Term|C|Req
AEBODSYS|Body System or Organ Class|C|Exp
AESER|Serious Event|C|Exp|NY
AEREL|Causality|C|Exp
AEOUT|Outcome of Adverse Event|C|Perm|OUT
AETOXGR|Standard Toxicity Grade|C|Exp
EPOCH|Epoch|C|Perm|EPOCH
AESTDTC|Start Date/Time of Adverse Event|C|Exp|ISO8601
AEENDTC|End Date/Time of Adverse Event|C|Exp|ISO8601
AESTDY|Study Day of Start of Adverse Event|N|Perm
"""), "One record per adverse event per subject"),
    DatasetSpec("LB", "Laboratory Test Results", "FINDINGS", "SDTM", ("STUDYID", "USUBJID", "LBTESTCD", "LBDTC"), _vars(_ID + """
LBSEQ|Sequence Number|N|Req
LBTESTCD|Lab Test or Examination Short Name|C|Req|LBTESTCD
LBTEST|Lab Test or Examination Name|C|Req
LBCAT|Category for Lab Test|C|Exp
LBORRES|Result or Finding in Original Units|C|Exp
LBORRESU|Original Units|C|Exp
LBORNRLO|Reference Range Lower Limit in Orig Unit|C|Exp
LBORNRHI|Reference Range Upper Limit in Orig Unit|C|Exp
LBSTRESC|Character Result/Finding in Std Format|C|Exp
LBSTRESN|Numeric Result/Finding in Standard Units|N|Exp
LBSTRESU|Standard Units|C|Exp|UNIT
LBSTNRLO|Reference Range Lower Limit-Std Units|N|Exp
LBSTNRHI|Reference Range Upper Limit-Std Units|N|Exp
LBNRIND|Reference Range Indicator|C|Exp|NRIND
LBTOX|Toxicity|C|Perm
LBTOXGR|Standard Toxicity Grade|C|Perm
LBLOBXFL|Last Observation Before Exposure Flag|C|Exp|NY
VISITNUM|Visit Number|N|Exp
VISIT|Visit Name|C|Perm
EPOCH|Epoch|C|Perm|EPOCH
LBDTC|Date/Time of Specimen Collection|C|Exp|ISO8601
LBDY|Study Day of Specimen Collection|N|Perm
"""), "One record per lab test per time point per subject"),
    DatasetSpec("VS", "Vital Signs", "FINDINGS", "SDTM", ("STUDYID", "USUBJID", "VSTESTCD", "VSDTC"), _vars(_ID + """
VSSEQ|Sequence Number|N|Req
VSTESTCD|Vital Signs Test Short Name|C|Req|VSTESTCD
VSTEST|Vital Signs Test Name|C|Req
VSORRES|Result or Finding in Original Units|C|Exp
VSORRESU|Original Units|C|Exp|VSRESU
VSSTRESC|Character Result/Finding in Std Format|C|Exp
VSSTRESN|Numeric Result/Finding in Standard Units|N|Exp
VSSTRESU|Standard Units|C|Exp|VSRESU
VSLOBXFL|Last Observation Before Exposure Flag|C|Exp|NY
VISITNUM|Visit Number|N|Exp
VISIT|Visit Name|C|Perm
VSDTC|Date/Time of Measurements|C|Exp|ISO8601
"""), "One record per vital sign measurement per time point per subject"),
    DatasetSpec("TU", "Tumor/Lesion Identification", "FINDINGS", "SDTM", ("STUDYID", "USUBJID", "TULNKID"), _vars(_ID + """
TUSEQ|Sequence Number|N|Req
TULNKID|Link ID|C|Exp
TUTESTCD|Tumor/Lesion ID Short Name|C|Req|TUTESTCD
TUTEST|Tumor/Lesion ID Test Name|C|Req
TUORRES|Tumor/Lesion ID Result|C|Exp
TUSTRESC|Tumor/Lesion ID Result Std. Format|C|Exp
TULOC|Location of the Tumor/Lesion|C|Exp|LOC
TUMETHOD|Method of Identification|C|Exp|METHOD
TUEVAL|Evaluator|C|Perm|MEDEVAL
VISITNUM|Visit Number|N|Exp
VISIT|Visit Name|C|Perm
TUDTC|Date/Time of Tumor/Lesion Identification|C|Exp|ISO8601
"""), "One record per identified tumor per subject per assessor"),
    DatasetSpec("TR", "Tumor/Lesion Results", "FINDINGS", "SDTM", ("STUDYID", "USUBJID", "TRLNKID", "TRTESTCD", "TRDTC"), _vars(_ID + """
TRSEQ|Sequence Number|N|Req
TRLNKID|Link ID|C|Exp
TRTESTCD|Tumor/Lesion Assessment Short Name|C|Req|TRTESTCD
TRTEST|Tumor/Lesion Assessment Test Name|C|Req
TRORRES|Result or Finding in Original Units|C|Exp
TRORRESU|Original Units|C|Exp|UNIT
TRSTRESC|Character Result/Finding in Std Format|C|Exp
TRSTRESN|Numeric Result/Finding in Standard Units|N|Exp
TRSTRESU|Standard Units|C|Exp|UNIT
TRSTAT|Completion Status|C|Perm|ND
TRMETHOD|Method Used to Identify the Tumor/Lesion|C|Exp|METHOD
TREVAL|Evaluator|C|Perm|MEDEVAL
VISITNUM|Visit Number|N|Exp
VISIT|Visit Name|C|Perm
TRDTC|Date/Time of Tumor/Lesion Measurement|C|Exp|ISO8601
"""), "One record per tumor measurement/assessment per visit per subject"),
    DatasetSpec("RS", "Disease Response and Clin Classification", "FINDINGS", "SDTM", ("STUDYID", "USUBJID", "RSTESTCD", "RSDTC"), _vars(_ID + """
RSSEQ|Sequence Number|N|Req
RSTESTCD|Assessment Short Name|C|Req|ONCRTSCD
RSTEST|Assessment Name|C|Req
RSCAT|Category for Assessment|C|Exp|ONCRSCAT
RSORRES|Result or Finding in Original Units|C|Exp
RSSTRESC|Character Result/Finding in Std Format|C|Exp|ONCRSR
RSEVAL|Evaluator|C|Exp|MEDEVAL
VISITNUM|Visit Number|N|Exp
VISIT|Visit Name|C|Perm
RSDTC|Date/Time of Assessment|C|Exp|ISO8601
RSDY|Study Day of Assessment|N|Perm
"""), "One record per response assessment per time point per subject"),
    DatasetSpec("SV", "Subject Visits", "SPECIAL PURPOSE", "SDTM", ("STUDYID", "USUBJID", "VISITNUM", "SVSTDTC"), _vars(_ID + """
VISITNUM|Visit Number|N|Req
VISIT|Visit Name|C|Exp
EPOCH|Epoch|C|Perm|EPOCH
SVSTDTC|Start Date/Time of Observation|C|Exp|ISO8601
SVENDTC|End Date/Time of Observation|C|Exp|ISO8601
"""), "One record per actual visit per subject"),
    DatasetSpec("TE", "Trial Elements", "TRIAL DESIGN", "SDTM", ("STUDYID", "ETCD"), _vars("""
STUDYID|Study Identifier|C|Req
DOMAIN|Domain Abbreviation|C|Req
ETCD|Element Code|C|Req
ELEMENT|Description of Element|C|Req
TESTRL|Rule for Start of Element|C|Req
TEENRL|Rule for End of Element|C|Perm
TEDUR|Planned Duration of Element|C|Perm
"""), "One record per planned element"),
    DatasetSpec("TA", "Trial Arms", "TRIAL DESIGN", "SDTM", ("STUDYID", "ARMCD", "TAETORD"), _vars("""
STUDYID|Study Identifier|C|Req
DOMAIN|Domain Abbreviation|C|Req
ARMCD|Planned Arm Code|C|Req
ARM|Description of Planned Arm|C|Req
TAETORD|Planned Order of Element within Arm|N|Req
ETCD|Element Code|C|Req
ELEMENT|Description of Element|C|Perm
TABRANCH|Branch|C|Exp
TATRANS|Transition Rule|C|Exp
EPOCH|Epoch|C|Req|EPOCH
"""), "One record per planned element per arm"),
    DatasetSpec("TV", "Trial Visits", "TRIAL DESIGN", "SDTM", ("STUDYID", "VISITNUM"), _vars("""
STUDYID|Study Identifier|C|Req
DOMAIN|Domain Abbreviation|C|Req
VISITNUM|Visit Number|N|Req
VISIT|Visit Name|C|Perm
ARMCD|Planned Arm Code|C|Exp
TVSTRL|Visit Start Rule|C|Req
"""), "One record per planned visit per arm"),
    DatasetSpec("TI", "Trial Inclusion/Exclusion Criteria", "TRIAL DESIGN", "SDTM", ("STUDYID", "IETESTCD"), _vars("""
STUDYID|Study Identifier|C|Req
DOMAIN|Domain Abbreviation|C|Req
IETESTCD|Incl/Excl Criterion Short Name|C|Req
IETEST|Inclusion/Exclusion Criterion|C|Req
IECAT|Inclusion/Exclusion Category|C|Req
TIVERS|Protocol Criteria Versions|C|Perm
"""), "One record per I/E criterion"),
    DatasetSpec("TS", "Trial Summary", "TRIAL DESIGN", "SDTM", ("STUDYID", "TSPARMCD", "TSSEQ"), _vars("""
STUDYID|Study Identifier|C|Req
DOMAIN|Domain Abbreviation|C|Req
TSSEQ|Sequence Number|N|Req
TSPARMCD|Trial Summary Parameter Short Name|C|Req|TSPARMCD
TSPARM|Trial Summary Parameter|C|Req
TSVAL|Parameter Value|C|Exp
TSVALNF|Parameter Null Flavor|C|Perm
TSVALCD|Parameter Value Code|C|Exp
TSVCDREF|Name of the Reference Terminology|C|Exp
TSVCDVER|Version of the Reference Terminology|C|Exp
"""), "One record per trial summary parameter value"),
]

_ADID = """
STUDYID|Study Identifier|C|Req
USUBJID|Unique Subject Identifier|C|Req
"""
_TRACE = """
SRCDOM|Source Data|C|Perm
SRCVAR|Source Variable|C|Perm
SRCSEQ|Source Sequence Number|N|Perm
"""

_SPECS += [
    DatasetSpec("ADSL", "Subject-Level Analysis Dataset", "SUBJECT LEVEL ANALYSIS DATASET", "ADaM", ("STUDYID", "USUBJID"), _vars(_ADID + """
SUBJID|Subject Identifier for the Study|C|Req
SITEID|Study Site Identifier|C|Req
AGE|Age|N|Req
AGEU|Age Units|C|Req|AGEU
SEX|Sex|C|Req|SEX
RACE|Race|C|Req|RACE
ARM|Description of Planned Arm|C|Req
ARMCD|Planned Arm Code|C|Perm
ACTARM|Description of Actual Arm|C|Req
ACTARMCD|Actual Arm Code|C|Perm
TRT01P|Planned Treatment for Period 01|C|Req
TRT01A|Actual Treatment for Period 01|C|Cond
TRTSDT|Date of First Exposure to Treatment|N|Cond
TRTEDT|Date of Last Exposure to Treatment|N|Cond
ITTFL|Intent-To-Treat Population Flag|C|Cond|NY
SAFFL|Safety Population Flag|C|Cond|NY
PPROTFL|Per-Protocol Population Flag|C|Cond|NY
DTHFL|Subject Death Flag|C|Perm|NY
DTHDT|Date of Death|N|Perm
LSTALVDT|Date Last Known Alive|N|Perm
ECOGBL|Baseline ECOG Performance Status|N|Perm
CPCLASBL|Baseline Child-Pugh Class|C|Perm
CPSCORBL|Baseline Child-Pugh Score|N|Perm
ALBIGRBL|Baseline ALBI Grade|N|Perm
BCLCBL|Baseline BCLC Stage|C|Perm
PVIFL|Portal Vein Invasion Flag|C|Perm|NY
IMGMOD|Baseline Imaging Modality|C|Perm
AFPBL|Baseline AFP (ng/mL)|N|Perm
NCYCLES|Number of TACE-HAIC Cycles|N|Perm
"""), "One record per subject"),
    DatasetSpec("ADTTE", "Time-to-Event Analysis Dataset", "BASIC DATA STRUCTURE", "ADaM", ("STUDYID", "USUBJID", "PARAMCD"), _vars(_ADID + """
PARAMCD|Parameter Code|C|Req
PARAM|Parameter|C|Req
AVAL|Analysis Value|N|Cond
AVALU|Analysis Value Unit|C|Perm
CNSR|Censor|N|Cond
STARTDT|Time-to-Event Origin Date for Subject|N|Cond
ADT|Analysis Date|N|Cond
EVNTDESC|Event or Censoring Description|C|Perm
CNSDTDSC|Censor Date Description|C|Perm
ITTFL|Intent-To-Treat Population Flag|C|Cond|NY
TRTP|Planned Treatment|C|Cond
TRTA|Actual Treatment|C|Cond
""" + _TRACE), "One record per subject per parameter"),
    DatasetSpec("ADRS", "Response Analysis Dataset", "BASIC DATA STRUCTURE", "ADaM", ("STUDYID", "USUBJID", "PARAMCD", "ADT"), _vars(_ADID + """
PARAMCD|Parameter Code|C|Req
PARAM|Parameter|C|Req
AVALC|Analysis Value (C)|C|Cond
AVAL|Analysis Value|N|Cond
ADT|Analysis Date|N|Cond
ADY|Analysis Relative Day|N|Perm
AVISIT|Analysis Visit|C|Cond
AVISITN|Analysis Visit (N)|N|Perm
ITTFL|Intent-To-Treat Population Flag|C|Cond|NY
TRTP|Planned Treatment|C|Cond
TRTA|Actual Treatment|C|Cond
""" + _TRACE), "One record per subject per parameter per analysis visit"),
    DatasetSpec("ADAE", "Adverse Events Analysis Dataset", "OCCURRENCE DATA STRUCTURE", "ADaM", ("STUDYID", "USUBJID", "AESEQ"), _vars(_ADID + """
AESEQ|Sequence Number|N|Req
AETERM|Reported Term for the Adverse Event|C|Req
AEDECOD|Dictionary-Derived Term|C|Req
AEBODSYS|Body System or Organ Class|C|Req
AESER|Serious Event|C|Perm|NY
AEREL|Causality|C|Perm
ASTDT|Analysis Start Date|N|Cond
AENDT|Analysis End Date|N|Cond
ASTDY|Analysis Start Relative Day|N|Perm
ATOXGR|Analysis Toxicity Grade|C|Perm
ATOXGRN|Analysis Toxicity Grade (N)|N|Perm
TRTEMFL|Treatment Emergent Analysis Flag|C|Cond|NY
AETBLROW|Adverse-Event Table Row (Analysis Plan)|C|Perm
AETBLCAT|Adverse-Event Table Category (Plan)|C|Perm
SAFFL|Safety Population Flag|C|Cond|NY
TRTA|Actual Treatment|C|Req
"""), "One record per subject per adverse event"),
    DatasetSpec("ADLB", "Laboratory Analysis Dataset", "BASIC DATA STRUCTURE", "ADaM", ("STUDYID", "USUBJID", "PARAMCD", "ADT", "SRCSEQ"), _vars(_ADID + """
PARAMCD|Parameter Code|C|Req
PARAM|Parameter|C|Req
PARCAT1|Parameter Category 1|C|Perm
AVAL|Analysis Value|N|Cond
ADT|Analysis Date|N|Cond
ADY|Analysis Relative Day|N|Perm
ABLFL|Baseline Record Flag|C|Cond|NY
BASE|Baseline Value|N|Cond
CHG|Change from Baseline|N|Cond
ANRLO|Analysis Normal Range Lower Limit|N|Perm
ANRHI|Analysis Normal Range Upper Limit|N|Perm
ANRIND|Analysis Reference Range Indicator|C|Perm|NRIND
ATOXGR|Analysis Toxicity Grade|C|Perm
ATOXGRN|Analysis Toxicity Grade (N)|N|Perm
ONTRTFL|On Treatment Record Flag|C|Perm|NY
TRTA|Actual Treatment|C|Cond
""" + _TRACE), "One record per subject per parameter per analysis date"),
]

DATASETS: dict[str, DatasetSpec] = {s.name: s for s in _SPECS}


def dataset_spec(name: str) -> DatasetSpec:
    """Return the specification of dataset ``name`` (``DM``, ``ADSL``...)."""
    return DATASETS[name]
