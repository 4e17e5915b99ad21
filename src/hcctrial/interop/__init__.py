"""Data in and out of hcctrial in the formats other tools read: SPSS, Stata, SAS transport,
CDISC SDTM/ADaM (XPT v5 + define.xml 2.0), CDISC ODM 1.3 and REDCap.

Everything here is a *mapping* from the trial's raw tables (and the derived analysis datasets)
to another format; the files are written by well-kept libraries (``pyreadstat`` for .sav, .dta
and .xpt; the standard library's ``csv`` and ``xml.etree`` for REDCap, define.xml and ODM). See
``docs/interop.md`` for every mapping, the name truncations and the controlled terminology.

Modules: :mod:`~hcctrial.interop.dataset` (one in-memory dataset model with labels, value
labels, measurement levels; names valid per format), :mod:`~hcctrial.interop.stat_files` (the
writers), :mod:`~hcctrial.interop.raw_datasets` (raw tables and analysis datasets as datasets),
:mod:`~hcctrial.interop.sdtm_*` and :mod:`~hcctrial.interop.trial_design` (SDTM),
:mod:`~hcctrial.interop.adam` (ADaM), :mod:`~hcctrial.interop.define_xml`,
:mod:`~hcctrial.interop.conformance` (``hcctrial cdisc check``), :mod:`~hcctrial.interop.odm`,
:mod:`~hcctrial.interop.redcap_*` and :mod:`~hcctrial.interop.export` (``hcctrial export
--format``).
"""
