"""CDISC ODM 1.3.2 export of the clinical data (``clinical_data.xml``), as OpenClinica and
REDCap exchange it.

The metadata is the eCRF of :mod:`hcctrial.interop.redcap_dictionary` (one source for both):
study events = the three REDCap events, forms = instruments, one item group per form (repeating
for the repeating instruments), items = fields (the baseline checkbox as five boolean items
``BL_FINDINGS___1`` ..), code lists for the choices. The clinical data are the rows of the REDCap
records export (:func:`hcctrial.interop.redcap_records.records_rows`): per subject
(``SubjectKey`` = study id) and event, ``FormData``/``ItemGroupData`` (``ItemGroupRepeatKey`` =
the instance) with one ``ItemData`` per filled value. Written with ``xml.etree.ElementTree``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from hcctrial.interop.redcap_dictionary import EVENTS, FORMS, RedcapField, fields
from hcctrial.interop.snapshot import TrialSnapshot

__all__ = ["ODM_FILE", "ODM_NS", "write_odm"]

ODM_FILE = "clinical_data.xml"
ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
ET.register_namespace("", ODM_NS)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _q(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _items(f: RedcapField) -> list[tuple[str, str, str]]:
    """(item OID, data type, label) of a field (a checkbox gives one boolean item per choice)."""
    if f.field_type == "checkbox":
        return [(f"IT.{f.name.upper()}___{c}", "boolean", lab) for c, lab in f.choices]
    if f.field_type == "yesno":
        return [(f"IT.{f.name.upper()}", "boolean", f.label)]
    kind = {"integer": "integer", "number": "float", "date_ymd": "date"}.get(f.validation, "text")
    return [(f"IT.{f.name.upper()}", kind, f.label)]


def _metadata(study: ET.Element) -> dict[str, list[tuple[str, str]]]:
    """Add MetaDataVersion; return form -> [(item OID, REDCap column)]."""
    mdv = ET.SubElement(study, _q("MetaDataVersion"), {"OID": "MDV.1",
                                                       "Name": "hcctrial eCRF"})
    protocol = ET.SubElement(mdv, _q("Protocol"))
    for k, event in enumerate(EVENTS.values(), start=1):
        ET.SubElement(protocol, _q("StudyEventRef"), {"StudyEventOID": f"SE.{event.upper()}",
                                                     "OrderNumber": str(k), "Mandatory": "No"})
    for event_key, event in EVENTS.items():
        se = ET.SubElement(mdv, _q("StudyEventDef"), {"OID": f"SE.{event.upper()}",
                                                     "Name": event, "Repeating": "No",
                                                     "Type": "Scheduled"})
        for form, _, _, _, events in FORMS:
            if event_key in events:
                ET.SubElement(se, _q("FormRef"), {"FormOID": f"F.{form.upper()}",
                                                 "Mandatory": "No"})
    by_form: dict[str, list[RedcapField]] = defaultdict(list)
    for f in fields():
        if f.name != "record_id":
            by_form[f.form].append(f)
    for form, _, _, repeating, _ in FORMS:
        fd = ET.SubElement(mdv, _q("FormDef"), {"OID": f"F.{form.upper()}", "Name": form,
                                               "Repeating": "Yes" if repeating else "No"})
        ET.SubElement(fd, _q("ItemGroupRef"), {"ItemGroupOID": f"IG.{form.upper()}",
                                              "Mandatory": "Yes"})
    columns: dict[str, list[tuple[str, str]]] = {}
    item_defs: list[ET.Element] = []
    code_lists: list[ET.Element] = []
    for form, _, _, repeating, _ in FORMS:
        ig = ET.SubElement(mdv, _q("ItemGroupDef"), {"OID": f"IG.{form.upper()}", "Name": form,
                                                    "Repeating": "Yes" if repeating else "No"})
        columns[form] = []
        for f in by_form[form]:
            for k, (oid, kind, label) in enumerate(_items(f)):
                ET.SubElement(ig, _q("ItemRef"), {"ItemOID": oid,
                                                 "Mandatory": "Yes" if f.required else "No"})
                item = ET.Element(_q("ItemDef"), {"OID": oid, "Name": oid[3:], "DataType": kind})
                question = ET.SubElement(item, _q("Question"))
                ET.SubElement(question, _q("TranslatedText"),
                              {XML_LANG: "en"}).text = label
                if f.field_type in ("radio", "dropdown"):
                    ET.SubElement(item, _q("CodeListRef"), {"CodeListOID": f"CL.{f.name.upper()}"})
                    cl = ET.Element(_q("CodeList"), {"OID": f"CL.{f.name.upper()}",
                                                    "Name": f.name, "DataType": "text"})
                    for code, lab in f.choices:
                        ci = ET.SubElement(cl, _q("CodeListItem"), {"CodedValue": code})
                        decode = ET.SubElement(ci, _q("Decode"))
                        ET.SubElement(decode, _q("TranslatedText"),
                                      {XML_LANG: "en"}).text = lab
                    code_lists.append(cl)
                item_defs.append(item)
                column = (f"{f.name}___{f.choices[k][0]}" if f.field_type == "checkbox"
                          else f.name)
                columns[form].append((oid, column))
    mdv.extend(item_defs)
    mdv.extend(code_lists)
    return columns


def _odm_value(oid_kind: str, text: str) -> str:
    if oid_kind == "boolean":
        return "true" if text == "1" else "false"
    return text


def write_odm(snap: TrialSnapshot, directory: Path) -> dict[str, int]:
    """Write ``clinical_data.xml`` (ODM 1.3.2, metadata + clinical data); return counts."""
    from hcctrial.interop.redcap_records import records_rows

    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    root = ET.Element(_q("ODM"), {"FileType": "Snapshot", "FileOID": f"ODM.{snap.study_id}",
                                  "CreationDateTime": now, "ODMVersion": "1.3.2",
                                  "Originator": "hcctrial"})
    study = ET.SubElement(root, _q("Study"), {"OID": f"STUDY.{snap.study_id}"})
    gv = ET.SubElement(study, _q("GlobalVariables"))
    for tag in ("StudyName", "StudyDescription", "ProtocolName"):
        ET.SubElement(gv, _q(tag)).text = snap.study_id
    columns = _metadata(study)
    kinds = {oid: kind for f in fields() for oid, kind, _ in _items(f)}
    clinical = ET.SubElement(root, _q("ClinicalData"), {"StudyOID": f"STUDY.{snap.study_id}",
                                                        "MetaDataVersionOID": "MDV.1"})
    _, rows = records_rows(snap)
    subjects: dict[str, ET.Element] = {}
    events: dict[tuple[str, str], ET.Element] = {}
    n_items = 0
    for row in rows:
        sid, event = row["record_id"], row["redcap_event_name"]
        if sid not in subjects:
            subjects[sid] = ET.SubElement(clinical, _q("SubjectData"), {"SubjectKey": sid})
        if (sid, event) not in events:
            events[(sid, event)] = ET.SubElement(subjects[sid], _q("StudyEventData"),
                                                 {"StudyEventOID": f"SE.{event.upper()}"})
        instrument = row.get("redcap_repeat_instrument", "")
        forms = [instrument] if instrument else [f for f, _, _, rep, _ in FORMS if not rep]
        for form in forms:
            values = [(oid, row.get(col, "")) for oid, col in columns[form]]
            if not any(v for _, v in values):
                continue
            fd = ET.SubElement(events[(sid, event)], _q("FormData"),
                               {"FormOID": f"F.{form.upper()}"})
            attrs = {"ItemGroupOID": f"IG.{form.upper()}"}
            if instrument:
                attrs["ItemGroupRepeatKey"] = row["redcap_repeat_instance"]
            ig = ET.SubElement(fd, _q("ItemGroupData"), attrs)
            for oid, value in values:
                if value != "":
                    ET.SubElement(ig, _q("ItemData"), {"ItemOID": oid,
                                                      "Value": _odm_value(kinds[oid], value)})
                    n_items += 1
    directory.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(directory / ODM_FILE, encoding="UTF-8", xml_declaration=True)
    return {ODM_FILE: len(subjects), "items": n_items}
