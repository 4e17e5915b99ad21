"""Who may do what, and on which site's records: the one place the trial's access rules live.

Roles (:class:`hcctrial.store.models.Role`) and their capabilities:

================  ============  ===========  =======  ============  =====  ============
capability        investigator  coordinator  monitor  statistician  admin  data manager
================  ============  ===========  =======  ============  =====  ============
view patients     yes           yes          yes      no            yes    yes
edit records      yes           yes          no       no            yes    no
view audit        yes           no           yes      no            yes    yes
trial audit       no            no           yes      no            yes    yes
view analysis     yes           yes          yes      yes           yes    yes
manage users      no            no           no       no            yes    no
manage data       no            no           yes      no            yes    yes
sign records      yes           no           no       no            no     no
lock records      no            no           no       no            yes    yes
unlock database   no            no           no       no            yes    no
================  ============  ===========  =======  ============  =====  ============

"Manage data" is raising, closing and re-opening queries and verifying forms and their fields
against source (issue 19). Signing (21 CFR 11.50) is the investigator's own attestation: no other role signs,
not even an admin. A data manager or an admin locks and unlocks records and casebooks and locks
the database for analysis; only an admin unlocks the database (:mod:`hcctrial.services.locks`).

Sites: investigators and coordinators work at one site and see only its patients. A monitor with
a site sees that site; a monitor without one is a central monitor and sees every site. Admins,
data managers and statisticians span sites (the statistician sees the trial only through the analysis pages, which
are trial-wide). A user of a site-bound role without a site sees no patient at all.

The acting user of every service call is an :class:`Actor`; the web signs one in, the command line
authenticates ``--user`` (:func:`hcctrial.services.identity.authenticated_actor`), the demo acts as
its system account (an admin of every site named ``demo-generator``, with a users row).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hcctrial.store.models import Role

__all__ = [
    "Actor",
    "Capability",
    "can",
    "sees_site",
    "spans_sites",
]


class Capability(enum.StrEnum):
    VIEW_PATIENTS = "view_patients"
    EDIT_RECORDS = "edit_records"
    VIEW_AUDIT = "view_audit"
    VIEW_ANALYSIS = "view_analysis"
    MANAGE_USERS = "manage_users"
    SIGN_RECORDS = "sign_records"
    LOCK_RECORDS = "lock_records"
    UNLOCK_DATABASE = "unlock_database"
    #: The trial-wide audit view (every patient's entries, filters, CSV): monitors and admins.
    VIEW_TRIAL_AUDIT = "view_trial_audit"
    #: raise, close and re-open queries; verify forms and fields against source (issue 19)
    MANAGE_DATA = "manage_data"


_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.INVESTIGATOR: frozenset(
        {
            Capability.VIEW_PATIENTS,
            Capability.EDIT_RECORDS,
            Capability.VIEW_AUDIT,
            Capability.VIEW_ANALYSIS,
            Capability.SIGN_RECORDS,
        }
    ),
    Role.COORDINATOR: frozenset(
        {Capability.VIEW_PATIENTS, Capability.EDIT_RECORDS, Capability.VIEW_ANALYSIS}
    ),
    Role.MONITOR: frozenset(
        {
            Capability.VIEW_PATIENTS,
            Capability.VIEW_AUDIT,
            Capability.VIEW_ANALYSIS,
            Capability.VIEW_TRIAL_AUDIT,
            Capability.MANAGE_DATA,
        }
    ),
    Role.STATISTICIAN: frozenset({Capability.VIEW_ANALYSIS}),
    Role.ADMIN: frozenset(Capability) - {Capability.SIGN_RECORDS},
    Role.DATA_MANAGER: frozenset(
        {
            Capability.VIEW_PATIENTS,
            Capability.VIEW_AUDIT,
            Capability.VIEW_ANALYSIS,
            Capability.VIEW_TRIAL_AUDIT,
            Capability.MANAGE_DATA,
            Capability.LOCK_RECORDS,
        }
    ),
}


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service acts: name (the audit trail's actor), role and site.

    ``id`` is the user's row id (None for the system actor).
    """

    id: int | None
    username: str
    role: Role
    site_id: int | None

    @classmethod
    def system(cls, name: str) -> Actor:
        """An admin of every site named ``name``, with no row id: the demo generator's system
        account (its users row is among the rows it writes) and tests. The command line acts as
        an authenticated account instead (:mod:`hcctrial.services.identity`)."""
        return cls(None, name, Role.ADMIN, None)


def can(user: Actor, capability: Capability) -> bool:
    """Whether ``user``'s role grants ``capability``."""
    return capability in _CAPABILITIES[user.role]


def spans_sites(user: Actor) -> bool:
    """Whether ``user`` sees every site's patients (admin, data manager, statistician, central
    monitor)."""
    if user.role in (Role.ADMIN, Role.DATA_MANAGER, Role.STATISTICIAN):
        return True
    return user.role is Role.MONITOR and user.site_id is None


def sees_site(user: Actor, site_id: int) -> bool:
    """Whether ``user`` may see the patients of site ``site_id``."""
    return spans_sites(user) or (user.site_id is not None and user.site_id == site_id)
