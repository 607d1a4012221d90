"""Alembic environment: migrations run on the engine handed in by Jazba."""

from __future__ import annotations

from alembic import context

from desktop_app.core.store.schema import Base

config = context.config
target_metadata = Base.metadata


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the FTS5 virtual table and its shadow tables out of autogenerate."""
    return not (type_ == "table" and name is not None and name.startswith("segments_fts"))


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things in place
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("Jazba runs migrations online only.")
run_migrations_online()
