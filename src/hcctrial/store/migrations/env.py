"""Alembic environment: runs migrations on the connection passed in ``config.attributes``.

Called from :func:`hcctrial.store.migrations.upgrade_to_head`; when run by the ``alembic`` command
with a ``sqlalchemy.url`` instead, it creates its own engine through the hcctrial factory (SQLite
pragmas included).
"""

from __future__ import annotations

from alembic import context

from hcctrial.store.models import Base

target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from hcctrial.store.session import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()
