"""Who may do what, and on which site's records: the one place the trial's access rules live.

Roles (:class:`hcctrial.store.models.Role`) and their capabilities:

==============  ==============  ============  ==========  ==============  ===========
capability      investigator    coordinator   monitor     statistician    admin
==============  ==============  ============  ==========  ==============  ===========
view patients   yes             yes           yes         no              yes
edit records    yes             yes           no          no              yes
view audit      yes             no            yes         no              yes
view analysis   yes             yes           yes         yes             yes
manage users    no              no            no          no              yes
==============  ==============  ============  ==========  ==============  ===========

Sites: investigators and coordinators work at one site and see only its patients. A monitor with
a site sees that site; a monitor without one is a central monitor and sees every site. Admins and
statisticians span sites (the statistician sees the trial only through the analysis pages, which
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


_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.INVESTIGATOR: frozenset(
        {
            Capability.VIEW_PATIENTS,
            Capability.EDIT_RECORDS,
            Capability.VIEW_AUDIT,
            Capability.VIEW_ANALYSIS,
        }
    ),
    Role.COORDINATOR: frozenset(
        {Capability.VIEW_PATIENTS, Capability.EDIT_RECORDS, Capability.VIEW_ANALYSIS}
    ),
    Role.MONITOR: frozenset(
        {Capability.VIEW_PATIENTS, Capability.VIEW_AUDIT, Capability.VIEW_ANALYSIS}
    ),
    Role.STATISTICIAN: frozenset({Capability.VIEW_ANALYSIS}),
    Role.ADMIN: frozenset(Capability),
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
    """Whether ``user`` sees every site's patients (admin, statistician, central monitor)."""
    if user.role in (Role.ADMIN, Role.STATISTICIAN):
        return True
    return user.role is Role.MONITOR and user.site_id is None


def sees_site(user: Actor, site_id: int) -> bool:
    """Whether ``user`` may see the patients of site ``site_id``."""
    return spans_sites(user) or (user.site_id is not None and user.site_id == site_id)
