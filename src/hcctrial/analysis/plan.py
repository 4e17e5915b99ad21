"""Load and validate statistical analysis plan files (TOML, see :mod:`hcctrial.analysis.schema`).

Validation has three steps, each naming key paths: the schema (types, ranges, unknown keys), the
cross references (an endpoint, population or regimen named but not defined) and the design (the
sample size the plan states must follow from its parameters, :mod:`hcctrial.analysis.design`).

A plan is named by a path to a ``.toml`` file or by the name of a bundled plan
(``sorafenib_tace_haic_folfox``: the seed trial's; ``ttp_one_sample_logrank``: a sister plan; see
:func:`list_plans`). A malformed file, a schema violation or a broken cross reference (an endpoint,
population or regimen named but not defined) raises :class:`~hcctrial.errors.DataValidationError`
naming the file and every key path at fault (CLI exit code 2)::

    plan p.toml: endpoints.os.landmarks_months[1]: Input should be greater than 0 (got -12)

The file is read by the project's one input-file reader (:mod:`hcctrial.input_files`). :class:`PlanFile`
keeps the path and the SHA-256 of the bytes read, so every output can name the plan it followed.

>>> load_plan("sorafenib_tace_haic_folfox").plan.primary.null_rate
0.3
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hcctrial.analysis.schema import Plan
from hcctrial.errors import DataValidationError, validation_problems

__all__ = [
    "DEFAULT_PLAN",
    "PlanFile",
    "cross_reference_problems",
    "default_plan",
    "list_plans",
    "load_plan",
    "plan_from_mapping",
    "plan_path",
]

#: The seed trial's plan (beside its regimen of the same name).
DEFAULT_PLAN = "sorafenib_tace_haic_folfox"


@dataclass(frozen=True)
class PlanFile:
    """A validated plan with the file it came from and the SHA-256 of that file's bytes."""

    plan: Plan
    path: str
    sha256: str

    def reference(self) -> dict[str, str]:
        """The plan's identity as every output prints it (file, hash, id, version)."""
        return {
            "file": self.path,
            "sha256": self.sha256,
            "id": self.plan.id,
            "version": self.plan.version,
            "title": self.plan.title,
        }


def _bundled_dir() -> Path:
    return Path(str(resources.files("hcctrial.analysis") / "plans"))


def list_plans() -> list[str]:
    """Return the names of the bundled plan files (without ``.toml``), sorted."""
    return sorted(p.stem for p in _bundled_dir().glob("*.toml"))


def plan_path(path_or_name: str | Path) -> Path:
    """Return the file a plan name or path designates (a path wins over a bundled name)."""
    p = Path(path_or_name)
    if p.suffix == ".toml" or p.exists() or "/" in str(path_or_name):
        if not p.is_file():
            raise DataValidationError(
                f"--sap: file {str(p)!r} not found; expected a .toml plan file or one of "
                f"{list_plans()}",
                field="sap",
            )
        return p
    bundled = _bundled_dir() / f"{path_or_name}.toml"
    if not bundled.is_file():
        raise DataValidationError(
            f"--sap: got {str(path_or_name)!r}; expected a .toml plan file or one of "
            f"{list_plans()}",
            field="sap",
        )
    return bundled


def _kaplan_meier_endpoint(plan: Plan, key: str | None, where: str) -> list[tuple[str, str]]:
    if key is None:
        return []
    if key not in plan.endpoints:
        return [(where, f"unknown endpoint {key!r}; expected one of {sorted(plan.endpoints)}")]
    if plan.endpoints[key].estimator != "kaplan-meier":
        return [(where, f"endpoint {key!r} is a cumulative incidence; expected a Kaplan-Meier one")]
    return []


def _population(plan: Plan, key: str | None, where: str) -> list[tuple[str, str]]:
    if key is None or key in plan.populations:
        return []
    return [(where, f"unknown population {key!r}; expected one of {sorted(plan.populations)}")]


def _unique_keys(items: list[Any], where: str) -> list[tuple[str, str]]:
    keys = [i.key for i in items]
    return [
        (f"{where}[{k}].key", f"key {key!r} is used twice")
        for k, key in enumerate(keys)
        if key in keys[:k]
    ]


def cross_reference_problems(plan: Plan, *, base: Path | None = None) -> list[tuple[str, str]]:
    """Return (key path, message) for each name the plan uses but does not define."""
    from hcctrial.protocol.regimen import list_regimens

    out: list[tuple[str, str]] = []
    if plan.regimen not in list_regimens() and not (
        base is not None and (base / plan.regimen).is_file()
    ):
        out.append(
            ("regimen", f"unknown regimen {plan.regimen!r}; expected one of {list_regimens()}")
        )
    for key, ep in plan.endpoints.items():
        out += _population(plan, ep.population, f"endpoints.{key}.population")
    c = plan.conventions
    out += _kaplan_meier_endpoint(plan, c.followup.endpoint, "conventions.followup.endpoint")
    out += _kaplan_meier_endpoint(plan, plan.primary.endpoint, "primary.endpoint")
    out += _population(plan, plan.response.population, "response.population")
    out += _population(plan, plan.adverse_events.population, "adverse_events.population")
    for i, sg in enumerate(plan.subgroups):
        for j, e in enumerate(sg.endpoints):
            out += _kaplan_meier_endpoint(plan, e, f"subgroups[{i}].endpoints[{j}]")
    out += _unique_keys(plan.subgroups, "subgroups")
    for i, cm in enumerate(plan.cox_models):
        for j, e in enumerate(cm.endpoints):
            out += _kaplan_meier_endpoint(plan, e, f"cox_models[{i}].endpoints[{j}]")
        out += _population(plan, cm.population, f"cox_models[{i}].population")
    out += _unique_keys(plan.cox_models, "cox_models")
    for i, sa in enumerate(plan.sensitivity):
        for j, e in enumerate(sa.endpoints):
            out += _kaplan_meier_endpoint(plan, e, f"sensitivity[{i}].endpoints[{j}]")
        out += _kaplan_meier_endpoint(plan, sa.endpoint, f"sensitivity[{i}].endpoint")
        out += _population(plan, sa.population, f"sensitivity[{i}].population")
    out += _unique_keys(plan.sensitivity, "sensitivity")
    o = plan.outputs
    out += _kaplan_meier_endpoint(plan, o.json_pfs, "outputs.json_pfs")
    out += _kaplan_meier_endpoint(plan, o.json_pfs_standard, "outputs.json_pfs_standard")
    out += _kaplan_meier_endpoint(plan, o.json_os, "outputs.json_os")
    for j, e in enumerate(o.figures):
        out += _kaplan_meier_endpoint(plan, e, f"outputs.figures[{j}]")
    return out


def _describe(problems: list[tuple[str, str]], origin: str) -> str:
    return f"plan {origin}: " + "; ".join(f"{w or '(top level)'}: {m}" for w, m in problems)


def plan_from_mapping(
    data: dict[str, Any], *, origin: str = "(mapping)", base: Path | None = None
) -> Plan:
    """Return a validated :class:`Plan` from already-parsed TOML data (cross references too)."""
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, unknown_key="unknown key (not part of the plan schema)")
        raise DataValidationError(_describe(problems, origin), field="sap") from exc
    problems = cross_reference_problems(plan, base=base)
    if not problems:
        from hcctrial.analysis.design import design_problems

        problems = design_problems(plan)
    if problems:
        raise DataValidationError(_describe(problems, origin), field="sap")
    return plan


def _load_file(path: Path) -> PlanFile:
    from hcctrial.input_files import read_toml_file

    data = read_toml_file(path, what="plan", field="sap")  # the one reader: encodings, limits
    plan = plan_from_mapping(data, origin=str(path), base=path.parent)
    return PlanFile(plan, str(path), hashlib.sha256(path.read_bytes()).hexdigest())


@cache
def _load_bundled(name: str) -> PlanFile:
    return _load_file(_bundled_dir() / f"{name}.toml")


def load_plan(path_or_name: str | Path | None = None) -> PlanFile:
    """Return the validated plan of a file path or bundled plan name (default: the seed plan).

    Raises :class:`DataValidationError` (CLI exit code 2) naming the file and key paths when the
    file is missing, is not valid TOML, does not fit the schema or names what it does not define.
    """
    path = plan_path(DEFAULT_PLAN if path_or_name is None else path_or_name)
    if path.parent.resolve() == _bundled_dir().resolve():
        return _load_bundled(path.stem)
    return _load_file(path)


def default_plan() -> PlanFile:
    """Return the seed trial's plan."""
    return load_plan(DEFAULT_PLAN)
