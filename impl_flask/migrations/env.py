"""Alembic's environment for `flask db`, after Flask-Migrate's template: the app's engine."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Alembic's loggers, from alembic.ini; the loggers that exist already (the app's, when the
# migrations run in-process) stay on, which fileConfig() would otherwise switch off.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

# Migrate(...) in models.py: the database, and the arguments it passes on to Alembic.
migrate = current_app.extensions["migrate"]
target_metadata = migrate.db.metadata


def include_name(name, type_, parent_names):
    """Compare the models' tables only: the database also holds the others' bookkeeping tables."""
    # Without this, `flask db migrate` would write a migration dropping django_migrations and
    # alembic_version_fastapi, which it finds in the database and not in the models.
    return type_ != "table" or name in target_metadata.tables


def process_revision_directives(context, revision, directives):
    """Write no migration when `flask db migrate` finds no change in the models."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_online():
    """Run the migrations on a connection of the app's engine, in one transaction."""
    engine = migrate.db.engine
    if engine.dialect.name == "postgresql":
        # create_app() makes each statement commit on its own on PostgreSQL, where DDL is
        # transactional: a migration runs in one transaction, so that a failed one leaves
        # nothing half done.
        engine = engine.execution_options(isolation_level="READ COMMITTED")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_name=include_name,
            process_revision_directives=process_revision_directives,
            **migrate.configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    # The first migration looks for a users table to adopt: SQL written without a database
    # cannot (`flask db upgrade --sql`).
    raise SystemExit("The migrations inspect the database: offline mode (--sql) is not supported.")
run_migrations_online()
