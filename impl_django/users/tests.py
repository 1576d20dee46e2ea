"""What the contract suite cannot see: tables, settings, and requests it never sends.

Run from impl_django/: ``python manage.py test``.
"""

from django.core.management import call_command
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings

from project.settings import database_from_url


class MigrationsTests(TestCase):
    def test_migrate_creates_the_users_table(self) -> None:
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, "users")
        assert [column.name for column in columns] == ["id", "name", "email", "created_at"]

    def test_migrations_match_the_models(self) -> None:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)


class SettingsTests(SimpleTestCase):
    def test_database_url_forms(self) -> None:
        assert database_from_url("sqlite:////tmp/users.sqlite3")["NAME"] == "/tmp/users.sqlite3"
        assert database_from_url("sqlite:///var/users.sqlite3")["NAME"] == "var/users.sqlite3"
        database = database_from_url("postgresql://ada:s%40cret@db.example:5433/users")
        assert database["ENGINE"] == "django.db.backends.postgresql"
        assert (database["USER"], database["PASSWORD"]) == ("ada", "s@cret")
        assert (database["HOST"], database["PORT"], database["NAME"]) == (
            "db.example",
            "5433",
            "users",
        )

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
