from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from vidhost.adapters.db.tables import metadata

engine = context.config.attributes.get("engine")
assert isinstance(engine, Engine), "run migrations through vidhost.adapters.db.engine.migrate()"

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
