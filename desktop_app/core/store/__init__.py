"""Project storage: SQLAlchemy ORM schema, engine set-up and Alembic migrations."""
