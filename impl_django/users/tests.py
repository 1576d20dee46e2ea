"""What the contract suite cannot see: tables, settings, and requests it never sends.

Run from impl_django/: ``python manage.py test``.
"""

import os
import runpy
from typing import Any
from unittest import mock

from django.core.management import call_command
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings

import project.settings


def database_settings(url: str) -> dict[str, Any]:
    """Return the database that project/settings.py configures for a DATABASE_URL."""
    with mock.patch.dict(os.environ, {"DATABASE_URL": url}):
        return runpy.run_path(project.settings.__file__)["DATABASES"]["default"]


class MigrationsTests(TestCase):
    def test_migrate_creates_the_users_table(self) -> None:
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, "users")
        assert [column.name for column in columns] == ["id", "name", "email", "created_at"]

    def test_migrations_match_the_models(self) -> None:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)


class SettingsTests(SimpleTestCase):
    def test_database_url_forms(self) -> None:
        assert database_settings("sqlite:////tmp/users.sqlite3")["NAME"] == "/tmp/users.sqlite3"
        sqlite = database_settings("sqlite:///var/users.sqlite3")
        assert sqlite["NAME"] == "var/users.sqlite3"  # relative: migrate and gunicorn --chdir
        assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        database = database_settings("postgresql://ada:s%40cret@db.example:5433/users")
        assert database["ENGINE"] == "django.db.backends.postgresql"
        assert (database["USER"], database["PASSWORD"]) == ("ada", "s@cret")
        assert (database["HOST"], database["PORT"], database["NAME"]) == (
            "db.example",
            5433,
            "users",
        )
        assert "OPTIONS" not in database
        assert database["CONN_HEALTH_CHECKS"]

    @override_settings(DEBUG=False, SECRET_KEY="a-long-random-production-key-" + "x7Qz" * 10)
    def test_deployment_checks_pass(self) -> None:
        call_command("check", "--deploy", "--fail-level", "WARNING", verbosity=0)


class RequestTests(SimpleTestCase):
    def test_unknown_host_is_problem_details(self) -> None:
        with self.assertLogs("django.security.DisallowedHost", "ERROR"):
            response = self.client.get("/health", headers={"host": "evil.example"})
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response["Cache-Control"] == "no-store"
        assert response.json()["title"] == "Bad Request"

    def test_errors_need_no_database(self) -> None:
        # SimpleTestCase refuses any query: these answers must come before the database.
        for method, path, status in [
            ("post", "/api/users", 422),
            ("options", "/api/users/9", 204),
            ("trace", "/api/users", 405),
            ("get", "/api/users/", 404),
        ]:
            response = self.client.generic(
                method.upper(), path, b'{"name": ""}', content_type="application/json"
            )
            assert response.status_code == status, path
