"""hcctrial: run and analyse a phase II trial of sorafenib + TACE-HAIC (FOLFOX) for HCC.

The package is layered (imports point inward only):

- ``clinical``, ``protocol``, ``assess``: the pure domain core (no I/O);
- ``stats``: the statistics engine (numpy/scipy, knows nothing of the database);
- ``store``, ``derive``, ``demo``: persistence and analysis datasets;
- ``cli``, ``web``, ``report``: thin interfaces.

``import hcctrial`` is kept cheap: heavy libraries (numpy, scipy, pint, SQLAlchemy) are imported by
the modules that need them, never here.
"""

from hcctrial.errors import (
    ConflictError,
    DataValidationError,
    HcctrialError,
    ProtocolError,
    UnitError,
)

__version__ = "0.1.0"

__all__ = [
    "ConflictError",
    "DataValidationError",
    "HcctrialError",
    "ProtocolError",
    "UnitError",
    "__version__",
]
