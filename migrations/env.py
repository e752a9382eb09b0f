"""Alembic environment: runs migrations on the engine services.db hands over."""

from alembic import context
from sqlmodel import SQLModel

import services.models  # noqa: F401  (registers every table on SQLModel.metadata)
from services.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine") or make_engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations_online()
