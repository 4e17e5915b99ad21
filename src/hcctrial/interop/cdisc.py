"""The SDTM and ADaM packages: build the datasets from a snapshot, write XPT v5 + define.xml.

``write_sdtm`` writes ``<domain>.xpt`` (lower-case file names, upper-case member names, as the
FDA's guide asks) for DM, DS, EX, AE, LB, VS, RS, TU, TR, SV and the trial design domains TA, TE,
TV, TI, TS, then ``define.xml``; ``write_adam`` writes ADSL, ADAE, ADLB, ADRS, ADTTE built from
those SDTM datasets (traceable: ``SRCDOM``/``SRCVAR``/``SRCSEQ``), then its own ``define.xml``.
"""

from __future__ import annotations

from pathlib import Path

from hcctrial.interop.dataset import Dataset
from hcctrial.interop.snapshot import TrialSnapshot

__all__ = ["SDTM_ORDER", "sdtm_datasets", "write_adam", "write_sdtm", "write_xpt_package"]

SDTM_ORDER = ("TA", "TE", "TI", "TS", "TV", "DM", "SV", "DS", "EX", "AE", "LB", "VS", "TU",
              "TR", "RS")


def sdtm_datasets(snap: TrialSnapshot) -> list[Dataset]:
    """Return every SDTM domain of the trial, in :data:`SDTM_ORDER`."""
    from hcctrial.interop import sdtm_domains as d
    from hcctrial.interop import sdtm_findings as f
    from hcctrial.interop import trial_design as t

    if snap.sdtm:
        return [snap.sdtm[name] for name in SDTM_ORDER]
    visits = d.subject_visits(snap)
    sid = snap.study_id
    built = {
        "TA": t.ta_domain(sid), "TE": t.te_domain(sid), "TI": t.ti_domain(sid),
        "TS": t.ts_domain(sid, len(snap.subjects), snap.plan.plan), "TV": t.tv_domain(sid),
        "DM": d.dm_domain(snap), "SV": d.sv_domain(snap, visits), "DS": d.ds_domain(snap),
        "EX": d.ex_domain(snap, visits), "AE": d.ae_domain(snap),
        "LB": f.lb_domain(snap, visits), "VS": f.vs_domain(snap, visits),
        "TU": f.tu_domain(snap, visits), "TR": f.tr_domain(snap, visits),
        "RS": f.rs_domain(snap, visits),
    }
    snap.sdtm.update(built)
    return [built[name] for name in SDTM_ORDER]


def write_xpt_package(
    datasets: list[Dataset], directory: Path, standard: str, study_id: str
) -> dict[str, int]:
    """Write each dataset as ``<name>.xpt`` (SAS transport v5) and ``define.xml``."""
    from hcctrial.interop.define_xml import write_define
    from hcctrial.interop.stat_files import write_dataset

    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for ds in datasets:
        name = f"{ds.name.lower()}.xpt"
        write_dataset(ds, directory / name, "xpt", member=ds.name)
        counts[name] = ds.n_rows
    write_define(datasets, directory, standard, study_id)
    return counts


def write_sdtm(snap: TrialSnapshot, directory: Path) -> dict[str, int]:
    """Write the SDTM package into ``directory``; return file name -> rows."""
    return write_xpt_package(sdtm_datasets(snap), directory, "SDTM", snap.study_id)


def write_adam(snap: TrialSnapshot, directory: Path) -> dict[str, int]:
    """Write the ADaM package (built from the SDTM datasets) into ``directory``."""
    from hcctrial.interop.adam import adam_datasets

    sdtm = {ds.name: ds for ds in sdtm_datasets(snap)}
    return write_xpt_package(adam_datasets(snap, sdtm), directory, "ADaM", snap.study_id)
