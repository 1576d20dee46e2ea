"""Alembic's environment: the app's engine and settings, SQLModel's metadata, a version table."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from impl_fastapi import models  # noqa: F401  (registers the users table on SQLModel.metadata)
from impl_fastapi.database import get_engine

config = context.config

# Alembic's loggers, from alembic.ini; the loggers that exist already (the app's, when the
# migrations run in-process) stay on, which fileConfig() would otherwise switch off.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# What `alembic revision --autogenerate` and `alembic check` compare the database with.
target_metadata = SQLModel.metadata

# Alembic records the revision a database is at in a table, alembic_version by default, and
# Flask's Alembic history shares the database (docs/one-database.md): each names its own.
VERSION_TABLE = "alembic_version_fastapi"


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Compare the models' tables only: the database also holds the others' bookkeeping tables."""
    # Without this, autogenerate would write a migration dropping django_migrations and
    # alembic_version_flask, which it finds in the database and not in the models.
    return type_ != "table" or name in target_metadata.tables


def run_migrations(connection: Connection) -> None:
    """Run the migrations on a connection, in one transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    # The first migration looks for a users table to adopt: SQL written without a database
    # cannot (`alembic upgrade --sql`).
    raise SystemExit("The migrations inspect the database: offline mode (--sql) is not supported.")
if (connection := config.attributes.get("connection")) is not None:
    # A connection the caller opened, as the tests do (Alembic's cookbook: "Sharing a
    # Connection across one or more programmatic migration commands").
    run_migrations(connection)
else:
    # The app's engine rather than one of its own: it reads DATABASE_URL through the app's
    # settings (get_settings()), creates the folder of the default SQLite file, and puts SQLite
    # in the journal mode that the server uses.
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        # The app's engine commits each statement on its own on PostgreSQL, where DDL is
        # transactional: a migration runs in one transaction, so that a failed one leaves
        # nothing half done.
        engine = engine.execution_options(isolation_level="READ COMMITTED")
    with engine.connect() as connection:
        run_migrations(connection)
