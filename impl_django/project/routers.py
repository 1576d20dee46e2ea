"""The database router that keeps django.contrib.auth's and contenttypes' tables out."""

from typing import Any

# Installed for their models (settings.INSTALLED_APPS), which nothing stores: no groups, no
# permissions, no content types.
APPS_WITHOUT_TABLES = {"auth", "contenttypes"}


class NoAuthTables:
    """Migrate every app but auth and contenttypes."""

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        """Refuse the two apps; let Django decide for the others."""
        # False also turns off their post_migrate handlers (create_contenttypes,
        # create_permissions), which would otherwise fill the missing tables after migrate.
        return False if app_label in APPS_WITHOUT_TABLES else None
