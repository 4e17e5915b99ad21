"""hcctrial.web: the web application (FastAPI, server-rendered forms, JSON API).

:func:`create_app` is the factory (``hcctrial serve`` runs it under uvicorn). See docs/web.md.
"""

from hcctrial.web.app import create_app

__all__ = ["create_app"]
