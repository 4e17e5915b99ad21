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
from xml.sax.saxutils import quoteattr

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
    _, rows = records_rows(snap)
    # the clinical data are written as text (ElementTree spends ~1 us per element on ~10^6
    # elements of a large trial); names and values are escaped with quoteattr
    parts: list[str] = [f"<ClinicalData StudyOID={quoteattr('STUDY.' + snap.study_id)} "
                        'MetaDataVersionOID="MDV.1">']
    n_items = 0
    subjects: set[str] = set()
    current: tuple[str, str] = ("", "")
    for row in rows:
        sid, event = row["record_id"], row["redcap_event_name"]
        if sid != current[0]:
            if current[0]:
                parts.append("</StudyEventData></SubjectData>")
            parts.append(f"<SubjectData SubjectKey={quoteattr(sid)}>")
            subjects.add(sid)
            current = (sid, "")
        if event != current[1]:
            if current[1]:
                parts.append("</StudyEventData>")
            parts.append(f'<StudyEventData StudyEventOID="SE.{event.upper()}">')
            current = (sid, event)
        instrument = row.get("redcap_repeat_instrument", "")
        forms = [instrument] if instrument else [f for f, _, _, rep, _ in FORMS if not rep]
        for form in forms:
            values = [(oid, row.get(col, "")) for oid, col in columns[form]]
            if not any(v for _, v in values):
                continue
            repeat = (f' ItemGroupRepeatKey="{int(row["redcap_repeat_instance"])}"'
                      if instrument else "")
            parts.append(f'<FormData FormOID="F.{form.upper()}"><ItemGroupData '
                         f'ItemGroupOID="IG.{form.upper()}"{repeat}>')
            for oid, value in values:
                if value != "":
                    parts.append(f'<ItemData ItemOID="{oid}" '
                                 f"Value={quoteattr(_odm_value(kinds[oid], value))}/>")
                    n_items += 1
            parts.append("</ItemGroupData></FormData>")
    if current[0]:
        parts.append("</StudyEventData></SubjectData>")
    parts.append("</ClinicalData>")
    head = ET.tostring(root, encoding="unicode")
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ODM_FILE).open("w", encoding="utf-8") as fh:
        fh.write("<?xml version='1.0' encoding='UTF-8'?>\n")
        fh.write(head[: head.rindex("</ODM>")])
        fh.write("".join(parts))
        fh.write("</ODM>\n")
    return {ODM_FILE: len(subjects), "items": n_items}
