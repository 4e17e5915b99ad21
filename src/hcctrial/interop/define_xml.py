"""define.xml 2.0 (CDISC Define-XML v2.0.0 on ODM 1.3.2) describing the SDTM or ADaM XPT files.

Written with the standard library's ``xml.etree.ElementTree`` (a document of a few hundred
elements; no schema validation is done here — ``hcctrial cdisc check`` checks that the document
agrees with the files). Per dataset an ``ItemGroupDef`` (name, label, class, structure, key
sequence, ``def:leaf`` to the ``.xpt``); per variable an ``ItemDef`` (data type, length = the
longest value in the file for text, label, origin, codelist); per codelist a ``CodeList`` with the
values the data use, each with its NCI code (``Alias Context="nci:ExtCodeID"``) or
``def:ExtendedValue="Yes"`` for a sponsor value of an extensible list.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from hcctrial.interop.controlled_terms import CODELISTS
from hcctrial.interop.dataset import Dataset
from hcctrial.interop.sdtm_spec import dataset_spec

__all__ = ["DEFINE_FILE", "NS", "char_length", "data_type", "write_define"]

DEFINE_FILE = "define.xml"
NS = {
    "odm": "http://www.cdisc.org/ns/odm/v1.3",
    "def": "http://www.cdisc.org/ns/def/v2.0",
    "xlink": "http://www.w3.org/1999/xlink",
}
for _prefix, _uri in NS.items():
    ET.register_namespace("" if _prefix == "odm" else _prefix, _uri)


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def char_length(values: list[object]) -> int:
    """Return the XPT length of a text column: its longest value in bytes, at least 1."""
    texts = [v if type(v) is str else str(v) for v in values if v is not None]
    if "".join(texts).isascii():  # one byte per character: len() at C speed
        return max(1, max(map(len, texts), default=1))
    return max(1, max((len(t.encode("utf-8")) for t in texts), default=1))


def data_type(ds: Dataset, name: str) -> str:
    """Return the define.xml DataType of a variable: text, integer, float or date."""
    v = ds.variable(name)
    if v.kind == "str":
        return "text"
    if v.kind == "date":
        return "integer"  # SAS date: days since 1960-01-01, shown with DATE9.
    values = [x for x in ds.columns[name] if x is not None]
    return "integer" if all(float(x).is_integer() for x in values) else "float"


def _text(parent: ET.Element, tag: str, text: str) -> None:
    d = ET.SubElement(parent, _q("odm", tag))
    t = ET.SubElement(d, _q("odm", "TranslatedText"))
    t.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    t.text = text


def _origin(name: str, standard: str) -> str:
    if standard == "ADaM":
        return "Derived" if name not in {"STUDYID", "USUBJID", "SUBJID", "SITEID"} else "Predecessor"
    if name in {"STUDYID", "DOMAIN", "USUBJID"} or name.endswith("SEQ"):
        return "Assigned"
    return "Derived"


def write_define(datasets: list[Dataset], directory: Path, standard: str, study_id: str) -> Path:
    """Write ``define.xml`` for ``datasets`` (files ``<name>.xpt`` in ``directory``)."""
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    root = ET.Element(_q("odm", "ODM"), {
        "ODMVersion": "1.3.2", "FileType": "Snapshot", "FileOID": f"DEFINE.{study_id}.{standard}",
        "CreationDateTime": now, "Originator": "hcctrial",
    })
    study = ET.SubElement(root, _q("odm", "Study"), {"OID": f"STUDY.{study_id}"})
    gv = ET.SubElement(study, _q("odm", "GlobalVariables"))
    for tag in ("StudyName", "StudyDescription", "ProtocolName"):
        ET.SubElement(gv, _q("odm", tag)).text = study_id
    ig_name, version = ("SDTM-IG", "3.4") if standard == "SDTM" else ("ADaM-IG", "1.3")
    mdv = ET.SubElement(study, _q("odm", "MetaDataVersion"), {
        "OID": f"MDV.{study_id}.{standard}", "Name": f"{study_id} {standard}",
        _q("def", "DefineVersion"): "2.0.0", _q("def", "StandardName"): ig_name,
        _q("def", "StandardVersion"): version,
    })
    items: list[ET.Element] = []
    used: dict[str, set[str]] = {}
    for ds in datasets:
        spec = dataset_spec(ds.name)
        group = ET.SubElement(mdv, _q("odm", "ItemGroupDef"), {
            "OID": f"IG.{ds.name}", "Name": ds.name, "Repeating": "No" if ds.name in {
                "DM", "ADSL"} else "Yes",
            "IsReferenceData": "Yes" if spec.cls == "TRIAL DESIGN" else "No",
            "SASDatasetName": ds.name, "Purpose": "Tabulation" if standard == "SDTM" else
            "Analysis", _q("def", "Structure"): spec.structure, _q("def", "Class"): spec.cls,
            _q("def", "ArchiveLocationID"): f"LF.{ds.name}",
            **({"Domain": ds.name} if standard == "SDTM" else {}),
        })
        _text(group, "Description", spec.label)
        for k, v in enumerate(spec.variables, start=1):
            ref = {"ItemOID": f"IT.{ds.name}.{v.name}", "OrderNumber": str(k),
                   "Mandatory": "Yes" if v.core == "Req" else "No"}
            if v.name in spec.keys:
                ref["KeySequence"] = str(spec.keys.index(v.name) + 1)
            ET.SubElement(group, _q("odm", "ItemRef"), ref)
            item = ET.Element(_q("odm", "ItemDef"), {
                "OID": f"IT.{ds.name}.{v.name}", "Name": v.name, "SASFieldName": v.name,
                "DataType": data_type(ds, v.name),
                "Length": str(char_length(ds.columns[v.name]) if v.type == "C" else 8),
            })
            if ds.variable(v.name).kind == "date":
                item.set(_q("def", "DisplayFormat"), "DATE9")
            _text(item, "Description", v.label)
            if v.codelist and v.codelist in CODELISTS:
                ET.SubElement(item, _q("odm", "CodeListRef"), {"CodeListOID": f"CL.{v.codelist}"})
                used.setdefault(v.codelist, set()).update(
                    str(x) for x in ds.columns[v.name] if x not in (None, ""))
            ET.SubElement(item, _q("def", "Origin"), {"Type": _origin(v.name, standard)})
            items.append(item)
        leaf = ET.SubElement(group, _q("def", "leaf"), {
            "ID": f"LF.{ds.name}", _q("xlink", "href"): f"{ds.name.lower()}.xpt"})
        ET.SubElement(leaf, _q("def", "title")).text = f"{ds.name.lower()}.xpt"
    mdv.extend(items)
    for short in sorted(used):
        cl = CODELISTS[short]
        el = ET.SubElement(mdv, _q("odm", "CodeList"), {
            "OID": f"CL.{short}", "Name": cl.name, "DataType": "text"})
        for value in sorted(used[short]):
            attrs = {"CodedValue": value}
            if value not in cl.terms:
                attrs[_q("def", "ExtendedValue")] = "Yes"
            term = ET.SubElement(el, _q("odm", "EnumeratedItem"), attrs)
            if value in cl.terms:
                ET.SubElement(term, _q("odm", "Alias"), {
                    "Name": cl.terms[value], "Context": "nci:ExtCodeID"})
        ET.SubElement(el, _q("odm", "Alias"), {"Name": cl.code, "Context": "nci:ExtCodeID"})
    path = directory / DEFINE_FILE
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path
