"""``hcctrial cdisc check DIR``: the structural rules of an SDTM or ADaM package that matter.

Reads the ``.xpt`` files (pyreadstat) and ``define.xml`` (ElementTree) of a directory — or of its
``sdtm/`` and ``adam/`` sub-directories — and lists every violation by rule:

==========  =========================================================================
rule        what it checks
==========  =========================================================================
DEFINE      define.xml exists, parses, and lists exactly the .xpt files present
NAMES       dataset and variable names upper-case, <= 8 characters; labels <= 40
REQUIRED    every Req variable of the standard is present and never empty
EXPECTED    every Exp (SDTM) / Cond (ADaM) variable is present
TYPE        character/numeric as the standard says; text at most 200 bytes
ISO8601     every --DTC value is an ISO 8601 date or date-time
CT          values of variables bound to CDISC controlled terminology are terms of the
            codelist, or (extensible codelists) sponsor values declared in define.xml
KEYS        the dataset's natural key is unique; --SEQ unique per subject
SUBJECTS    every USUBJID is in DM (SDTM) or ADSL (ADaM); STUDYID one value; DOMAIN
            equals the dataset name
DEFINEVARS  define.xml's variables, order, types and lengths agree with each file
TRACE       ADaM SRCDOM/SRCSEQ point to an existing record of the SDTM package beside
==========  =========================================================================

This is not Pinnacle 21: it applies hcctrial's own specification
(:mod:`hcctrial.interop.sdtm_spec`) and the codelists it uses; docs/interop.md says what is out of
scope.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hcctrial.interop.controlled_terms import CODELISTS
from hcctrial.interop.define_xml import DEFINE_FILE, NS
from hcctrial.interop.sdtm_spec import DATASETS

__all__ = ["RULES", "CheckReport", "Violation", "check_directory"]

RULES = ("DEFINE", "NAMES", "REQUIRED", "EXPECTED", "TYPE", "ISO8601", "CT", "KEYS", "SUBJECTS",
         "DEFINEVARS", "TRACE")
_ISO = re.compile(
    r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")


@dataclass(frozen=True)
class Violation:
    """One broken rule: rule id, dataset, variable ('' for the dataset), message."""

    rule: str
    dataset: str
    variable: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "dataset": self.dataset, "variable": self.variable,
                "message": self.message}


@dataclass
class CheckReport:
    """The result of checking one or more packages."""

    directory: str
    packages: list[dict[str, Any]]
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations

    def by_rule(self) -> dict[str, int]:
        """Return rule -> number of violations (rules in :data:`RULES` order, zeros kept)."""
        return {r: sum(1 for v in self.violations if v.rule == r) for r in RULES}

    def as_dict(self) -> dict[str, Any]:
        return {"directory": self.directory, "ok": self.ok, "packages": self.packages,
                "by_rule": self.by_rule(),
                "violations": [v.as_dict() for v in self.violations]}


def check_directory(directory: Path) -> CheckReport:
    """Check the package in ``directory`` (or in its ``sdtm``/``adam`` sub-directories)."""
    from hcctrial.errors import DataValidationError

    directory = Path(directory)
    if not directory.is_dir():
        raise DataValidationError(
            f"cdisc check: got {str(directory)!r}; expected a directory of .xpt files and "
            "define.xml", field="directory")
    roots = [directory] if (directory / DEFINE_FILE).exists() or list(directory.glob("*.xpt")) \
        else [d for d in (directory / "sdtm", directory / "adam") if d.is_dir()]
    if not roots:
        raise DataValidationError(
            f"cdisc check: {str(directory)!r} holds no .xpt files, no define.xml and no sdtm/ or "
            "adam/ sub-directory; expected an exported SDTM or ADaM package", field="directory")
    report = CheckReport(str(directory), [], [])
    for root in roots:
        _check_package(root, report)
    return report


def _read_xpt(path: Path) -> tuple[Any, Any]:
    import pyreadstat

    return pyreadstat.read_xport(str(path))


def _check_package(root: Path, report: CheckReport) -> None:
    out = report.violations
    files = {p.stem.upper(): p for p in sorted(root.glob("*.xpt"))}
    define = _read_define(root, out)
    standard = define.get("standard") or ("ADaM" if "ADSL" in files else "SDTM")
    report.packages.append({"directory": str(root), "standard": standard,
                            "datasets": sorted(files)})
    data: dict[str, Any] = {}
    for name, path in files.items():
        try:
            frame, meta = _read_xpt(path)
        except Exception as exc:  # a damaged file is a finding, not a crash
            out.append(Violation("TYPE", name, "", f"{path.name}: cannot be read as SAS "
                                 f"transport ({exc})"))
            continue
        data[name] = frame
        _check_dataset(name, frame, meta, define, out)
    if define.get("groups") is not None:
        listed = set(define["groups"])
        for name in sorted(set(files) - listed):
            out.append(Violation("DEFINE", name, "", f"{name.lower()}.xpt is not described in "
                                 "define.xml"))
        for name in sorted(listed - set(files)):
            out.append(Violation("DEFINE", name, "", f"define.xml describes {name} but "
                                 f"{name.lower()}.xpt is missing"))
    _check_subjects(standard, data, out)
    if standard == "ADaM":
        _check_trace(root, data, out)


def _read_define(root: Path, out: list[Violation]) -> dict[str, Any]:
    path = root / DEFINE_FILE
    if not path.exists():
        out.append(Violation("DEFINE", "", "", f"{DEFINE_FILE} is missing in {root}"))
        return {}
    try:
        tree = ET.parse(path)
    except ET.ParseError as exc:
        out.append(Violation("DEFINE", "", "", f"{DEFINE_FILE} is not well-formed XML ({exc})"))
        return {}
    odm, dfn = f"{{{NS['odm']}}}", f"{{{NS['def']}}}"
    mdv = tree.getroot().find(f"{odm}Study/{odm}MetaDataVersion")
    if mdv is None:
        out.append(Violation("DEFINE", "", "", f"{DEFINE_FILE} has no Study/MetaDataVersion"))
        return {}
    items = {i.get("OID"): i for i in mdv.findall(f"{odm}ItemDef")}
    groups: dict[str, list[dict[str, str]]] = {}
    for g in mdv.findall(f"{odm}ItemGroupDef"):
        refs = []
        for ref in g.findall(f"{odm}ItemRef"):
            item = items.get(ref.get("ItemOID"))
            if item is None:
                out.append(Violation("DEFINE", g.get("Name", ""), "", f"ItemRef "
                                     f"{ref.get('ItemOID')} has no ItemDef"))
                continue
            refs.append({"name": item.get("Name", ""), "type": item.get("DataType", ""),
                         "length": item.get("Length", "")})
        groups[g.get("Name", "")] = refs
    extended: dict[str, set[str]] = {}
    declared: dict[str, set[str]] = {}
    for cl in mdv.findall(f"{odm}CodeList"):
        short = (cl.get("OID") or "").removeprefix("CL.")
        for e in cl.findall(f"{odm}EnumeratedItem"):
            declared.setdefault(short, set()).add(e.get("CodedValue", ""))
            if e.get(f"{dfn}ExtendedValue") == "Yes":
                extended.setdefault(short, set()).add(e.get("CodedValue", ""))
    name = mdv.get(f"{dfn}StandardName") or ""
    return {"standard": "ADaM" if name.startswith("ADaM") else "SDTM" if name else "",
            "groups": groups, "extended": extended, "declared": declared}


def _values(frame: Any, col: str) -> list[Any]:
    return list(frame[col].tolist())


def _check_dataset(name: str, frame: Any, meta: Any, define: dict[str, Any],
                   out: list[Violation]) -> None:
    cols = list(frame.columns)
    if not _NAME.match(name):
        out.append(Violation("NAMES", name, "", f"dataset name {name!r} is not 1-8 upper-case "
                             "letters/digits"))
    for col, label in zip(cols, meta.column_labels, strict=True):
        if not _NAME.match(col):
            out.append(Violation("NAMES", name, col, f"variable name {col!r} is not 1-8 "
                                 "upper-case letters/digits"))
        if label and len(label) > 40:
            out.append(Violation("NAMES", name, col, f"label of {len(label)} characters; "
                                 "expected at most 40"))
    spec = DATASETS.get(name)
    if spec is None:
        out.append(Violation("NAMES", name, "", f"{name} is not a dataset of the hcctrial "
                             "SDTM/ADaM specification"))
        return
    types = meta.readstat_variable_types
    for v in spec.variables:
        present = v.name in cols
        if v.core == "Req":
            if not present:
                out.append(Violation("REQUIRED", name, v.name, "required variable missing"))
                continue
            empty = sum(1 for x in _values(frame, v.name) if _is_empty(x))
            if empty:
                out.append(Violation("REQUIRED", name, v.name, f"required variable empty in "
                                     f"{empty} record(s)"))
        elif v.core in ("Exp", "Cond") and not present:
            out.append(Violation("EXPECTED", name, v.name, "expected variable missing"))
        if not present:
            continue
        is_char = types.get(v.name) == "string"
        if is_char != (v.type == "C"):
            out.append(Violation("TYPE", name, v.name, f"stored as "
                                 f"{'character' if is_char else 'numeric'}; expected "
                                 f"{'character' if v.type == 'C' else 'numeric'}"))
        if is_char:
            long = [x for x in _values(frame, v.name) if isinstance(x, str)
                    and len(x.encode("utf-8")) > 200]
            if long:
                out.append(Violation("TYPE", name, v.name, f"{len(long)} value(s) longer than "
                                     "200 bytes"))
        if v.codelist == "ISO8601" or v.name.endswith("DTC"):
            bad = [x for x in _values(frame, v.name) if isinstance(x, str) and x
                   and not _ISO.match(x)]
            if bad:
                out.append(Violation("ISO8601", name, v.name, f"{len(bad)} value(s) not ISO "
                                     f"8601, e.g. {bad[0]!r}"))
        elif v.codelist in CODELISTS:
            _check_terms(name, v.name, v.codelist, frame, define, out)
    _check_keys(name, frame, spec.keys, out)
    _check_define_vars(name, frame, meta, define, out)


def _is_empty(x: Any) -> bool:
    return x is None or (isinstance(x, str) and not x.strip()) or (isinstance(x, float)
                                                                  and x != x)


def _check_terms(ds: str, var: str, short: str, frame: Any, define: dict[str, Any],
                 out: list[Violation]) -> None:
    cl = CODELISTS[short]
    extended = define.get("extended", {}).get(short, set())
    values = {str(x) for x in _values(frame, var) if not _is_empty(x)}
    for value in sorted(values):
        if value in cl.terms:
            continue
        if not cl.extensible:
            out.append(Violation("CT", ds, var, f"{value!r} is not a term of the "
                                 f"non-extensible codelist {cl.short} ({cl.code})"))
        elif value not in extended:
            out.append(Violation("CT", ds, var, f"{value!r} is not a term of codelist "
                                 f"{cl.short} ({cl.code}) nor declared as an extended value in "
                                 "define.xml"))


def _check_keys(name: str, frame: Any, keys: tuple[str, ...], out: list[Violation]) -> None:
    cols = list(frame.columns)
    seq = f"{name}SEQ"
    if seq in cols and "USUBJID" in cols:
        pairs = list(zip(frame["USUBJID"].tolist(), frame[seq].tolist(), strict=True))
        if len(set(pairs)) != len(pairs):
            out.append(Violation("KEYS", name, seq, f"{len(pairs) - len(set(pairs))} duplicate "
                                 f"(USUBJID, {seq}) pair(s)"))
    elif keys and all(k in cols for k in keys):
        rows = list(zip(*(frame[k].tolist() for k in keys), strict=True))
        if len(set(rows)) != len(rows):
            out.append(Violation("KEYS", name, ",".join(keys), f"{len(rows) - len(set(rows))} "
                                 f"duplicate key(s) ({', '.join(keys)})"))


def _check_define_vars(name: str, frame: Any, meta: Any, define: dict[str, Any],
                       out: list[Violation]) -> None:
    groups = define.get("groups")
    if groups is None or name not in groups:
        return
    refs = groups[name]
    names = [r["name"] for r in refs]
    if names != list(frame.columns):
        out.append(Violation("DEFINEVARS", name, "", f"define.xml lists {names} but the file has "
                             f"{list(frame.columns)}"))
        return
    types = meta.readstat_variable_types
    for r in refs:
        is_char = types.get(r["name"]) == "string"
        if is_char != (r["type"] == "text"):
            out.append(Violation("DEFINEVARS", name, r["name"], f"define.xml DataType "
                                 f"{r['type']!r} but the file stores it as "
                                 f"{'character' if is_char else 'numeric'}"))
        if is_char and r["length"]:
            longest = max([0, *(len(str(x).encode("utf-8")) for x in _values(frame, r["name"])
                                if isinstance(x, str))])
            if longest > int(r["length"]):
                out.append(Violation("DEFINEVARS", name, r["name"], f"define.xml Length "
                                     f"{r['length']} but a value has {longest} bytes"))


def _check_subjects(standard: str, data: dict[str, Any], out: list[Violation]) -> None:
    anchor = "DM" if standard == "SDTM" else "ADSL"
    subjects = set(data[anchor]["USUBJID"].tolist()) if anchor in data else None
    if subjects is None:
        out.append(Violation("SUBJECTS", anchor, "", f"{anchor.lower()}.xpt is missing"))
    studies: set[str] = set()
    for name, frame in data.items():
        cols = list(frame.columns)
        if "STUDYID" in cols:
            studies.update(frame["STUDYID"].tolist())
        if standard == "SDTM" and "DOMAIN" in cols:
            wrong = {d for d in frame["DOMAIN"].tolist() if d != name}
            if wrong:
                out.append(Violation("SUBJECTS", name, "DOMAIN", f"DOMAIN values {sorted(wrong)} "
                                     f"differ from the dataset name {name}"))
        if subjects is not None and name != anchor and "USUBJID" in cols:
            missing = sorted(set(frame["USUBJID"].tolist()) - subjects)
            if missing:
                out.append(Violation("SUBJECTS", name, "USUBJID", f"{len(missing)} subject(s) "
                                     f"not in {anchor}, e.g. {missing[0]!r}"))
    if len(studies) > 1:
        out.append(Violation("SUBJECTS", "", "STUDYID", f"more than one STUDYID: "
                             f"{sorted(studies)}"))


def _check_trace(root: Path, data: dict[str, Any], out: list[Violation]) -> None:
    sdtm_dir = next((d for d in (root.parent / "sdtm", root) if (d / "dm.xpt").exists()), None)
    if sdtm_dir is None:
        return
    cache: dict[str, set[tuple[str, int]]] = {}
    for name, frame in data.items():
        cols = list(frame.columns)
        if not {"SRCDOM", "SRCSEQ", "USUBJID"} <= set(cols):
            continue
        bad = 0
        example = ""
        for u, dom, seq in zip(frame["USUBJID"].tolist(), frame["SRCDOM"].tolist(),
                               frame["SRCSEQ"].tolist(), strict=True):
            if _is_empty(seq) or not isinstance(dom, str) or not dom:
                continue
            if dom not in cache:
                path = sdtm_dir / f"{dom.lower()}.xpt"
                if not path.exists():
                    cache[dom] = set()
                else:
                    f, _ = _read_xpt(path)
                    cache[dom] = set(zip(f["USUBJID"].tolist(),
                                         (int(x) for x in f[f"{dom}SEQ"].tolist()), strict=True))
            if (u, int(seq)) not in cache[dom]:
                bad += 1
                example = example or f"{u} {dom}SEQ={int(seq)}"
        if bad:
            out.append(Violation("TRACE", name, "SRCSEQ", f"{bad} record(s) point to no SDTM "
                                 f"record, e.g. {example}"))
