"""What the contract suite cannot see: tables, settings, hashes, the CLI, unusual requests.

Run from impl_django/, with a JWT_SECRET (as make test does): ``python manage.py test``.
"""

import hashlib
import io
import os
import runpy
import time
import unicodedata
import uuid
from typing import Any
from unittest import mock

import argon2
import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings

import project.settings

from .models import User

PASSWORD = "correct horse battery"


def database_settings(url: str) -> dict[str, Any]:
    """Return the database that project/settings.py configures for a DATABASE_URL."""
    with mock.patch.dict(os.environ, {"DATABASE_URL": url}):
        return runpy.run_path(project.settings.__file__)["DATABASES"]["default"]


def columns() -> list[str]:
    """Return the names of the users table's columns, in order."""
    with connection.cursor() as cursor:
        return [
            column.name
            for column in connection.introspection.get_table_description(cursor, "users")
        ]


class MigrationsTests(TestCase):
    def test_migrate_creates_the_users_table_alone(self) -> None:
        assert columns() == ["id", "name", "email", "created_at", "password_hash"]
        # django.contrib.auth and contenttypes are installed, but have no tables.
        assert connection.introspection.table_names() == ["django_migrations", "users"]

    def test_migrations_match_the_models(self) -> None:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)


class PasswordColumnMigrationTests(TransactionTestCase):
    def test_fake_initial_records_the_migration_when_the_column_exists(self) -> None:
        call_command("migrate", "users", "0001", verbosity=0)  # backwards: drops the column
        assert "password_hash" not in columns()
        with connection.cursor() as cursor:  # as Flask's or FastAPI's migration adds it
            cursor.execute("ALTER TABLE users ADD COLUMN password_hash varchar(255)")
        out = io.StringIO()
        call_command("migrate", "users", fake_initial=True, stdout=out)
        assert "Applying users.0002_user_password... FAKED" in out.getvalue()
        assert columns().count("password_hash") == 1


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

    def test_refuses_to_start_without_a_long_enough_jwt_secret(self) -> None:
        for secret in ["", "x" * 31, "é" * 15]:  # bytes count, not characters: "é" is two
            with (
                mock.patch.dict(os.environ, {"JWT_SECRET": secret}),
                self.assertRaisesMessage(ImproperlyConfigured, "JWT_SECRET"),
            ):
                runpy.run_path(project.settings.__file__)
        with mock.patch.dict(os.environ, {"JWT_SECRET": "é" * 16}):
            assert runpy.run_path(project.settings.__file__)["SIMPLE_JWT"]["SIGNING_KEY"]

    @override_settings(DEBUG=False, SECRET_KEY="a-long-random-production-key-" + "x7Qz" * 10)
    def test_deployment_checks_pass(self) -> None:
        call_command("check", "--deploy", "--fail-level", "WARNING", verbosity=0)


class PasswordTests(TestCase):
    def test_stored_hash_is_a_bare_phc_string_with_the_settings_parameters(self) -> None:
        user = User(name="Ada", email="ada@example.com")
        user.set_password(PASSWORD)
        # Django's hasher writes "argon2$argon2id$..."; the column holds what argon2-cffi writes.
        parameters = (
            f"m={settings.ARGON2_MEMORY_COST},t={settings.ARGON2_TIME_COST},"
            f"p={settings.ARGON2_PARALLELISM}"
        )
        assert user.password.startswith(f"$argon2id$v=19${parameters}$")
        assert argon2.PasswordHasher().verify(user.password, PASSWORD)
        assert user.check_password(PASSWORD)
        assert not user.check_password(PASSWORD + "!")

    def test_verifies_a_hash_that_argon2_cffi_wrote_with_other_parameters(self) -> None:
        # What Flask and FastAPI write (argon2-cffi directly), with parameters unlike these.
        other = argon2.PasswordHasher(time_cost=3, memory_cost=16, parallelism=2)
        user = User(name="Ada", email="ada@example.com", password=other.hash(PASSWORD))
        assert user.check_password(PASSWORD)
        assert not user.check_password(PASSWORD + "!")

    def test_composed_and_decomposed_forms_are_one_password(self) -> None:
        password = "café au lait, s'il vous plaît"
        user = User(name="Ada", email="ada@example.com")
        user.set_password(unicodedata.normalize("NFC", password))
        assert user.check_password(unicodedata.normalize("NFD", password))

    def test_a_user_without_a_hash_matches_no_password(self) -> None:
        assert not User(name="Ada", email="ada@example.com").check_password("")


class SignInTests(TestCase):
    def sign_in(self, email: str, password: str) -> Any:
        """POST /api/tokens."""
        body = {"email": email, "password": password}
        return self.client.post("/api/tokens", body, content_type="application/json")

    def test_token_claims(self) -> None:
        user = User(name="Ada", email="ada@example.com")
        user.set_password(PASSWORD)
        user.save()
        response = self.sign_in("ADA@example.com", PASSWORD)
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        claims = jwt.decode(body["access_token"], os.environ["JWT_SECRET"], algorithms=["HS256"])
        assert set(claims) == {"token_type", "exp", "iat", "jti", "sub", "hash_password"}
        assert claims["token_type"] == "access"
        assert claims["exp"] - claims["iat"] == 900
        assert claims["sub"] == str(user.id)
        assert claims["hash_password"] == hashlib.md5(user.password.encode()).hexdigest().upper()

    def test_signing_in_never_rehashes(self) -> None:
        # A hash with other parameters than the settings': Django's check_password would
        # replace it through AbstractBaseUser's setter, which revokes the user's tokens.
        stored = argon2.PasswordHasher(time_cost=3, memory_cost=16, parallelism=2).hash(PASSWORD)
        user = User.objects.create(name="Ada", email="ada@example.com", password=stored)
        assert self.sign_in(user.email, PASSWORD).status_code == 200
        user.refresh_from_db()
        assert user.password == stored

    def test_failures_are_one_answer(self) -> None:
        User.objects.create(name="No password", email="old@example.com")
        user = User(name="Ada", email="ada@example.com")
        user.set_password(PASSWORD)
        user.save()
        answers = {
            self.sign_in(email, password).content
            for email, password in [
                ("nobody@example.com", PASSWORD),
                ("ada@example.com", "wrong"),
                ("old@example.com", PASSWORD),
                ("ada\0@example.com", PASSWORD),  # PostgreSQL cannot compare NUL: no lookup
            ]
        }
        assert len(answers) == 1


class TokenTests(TestCase):
    def test_tokens_that_simplejwt_alone_would_accept_or_fail_on_are_invalid(self) -> None:
        user = User(name="Ada", email="ada@example.com")
        user.set_password(PASSWORD)
        user.save()
        now = int(time.time())
        claims = {
            "token_type": "access",
            "exp": now + 900,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "sub": str(user.id),
            "hash_password": hashlib.md5(user.password.encode()).hexdigest().upper(),
        }

        def status(claims: dict[str, Any]) -> tuple[int, str | None]:
            token = jwt.encode(claims, os.environ["JWT_SECRET"], algorithm="HS256")
            headers = {"authorization": f"Bearer {token}"}
            response = self.client.get(f"/api/users/{user.id}", headers=headers)
            return response.status_code, response.get("WWW-Authenticate")

        invalid = (401, 'Bearer error="invalid_token"')
        assert status(claims)[0] == 200
        assert status({name: value for name, value in claims.items() if name != "iat"}) == invalid
        assert status(claims | {"sub": "abc"}) == invalid  # simplejwt: ValueError
        User.objects.filter(id=user.id).update(password=None)  # simplejwt: AttributeError
        assert status(claims) == invalid


class SetPasswordCommandTests(TestCase):
    def setUp(self) -> None:
        self.user = User.objects.create(name="Ada", email="ada@example.com")  # no password yet

    def set_password(self, *, stdin: Any, email: str = "Ada@example.com") -> str:
        """Run the command and return what it printed."""
        out = io.StringIO()
        call_command("set_password", email, stdin=stdin, stdout=out)
        return out.getvalue()

    def test_reads_one_line_from_a_pipe(self) -> None:
        output = self.set_password(stdin=io.StringIO(PASSWORD + "\n"))
        assert "Set the password of ada@example.com" in output
        assert PASSWORD not in output
        self.user.refresh_from_db()
        assert self.user.password.startswith("$argon2id$")
        assert self.user.check_password(PASSWORD)

    def test_asks_twice_on_a_terminal(self) -> None:
        terminal = mock.Mock(isatty=lambda: True)
        with mock.patch("getpass.getpass", side_effect=[PASSWORD, PASSWORD]) as getpass:
            self.set_password(stdin=terminal)
        assert getpass.call_count == 2
        self.user.refresh_from_db()
        assert self.user.check_password(PASSWORD)
        with (
            mock.patch("getpass.getpass", side_effect=[PASSWORD, PASSWORD + "!"]),
            self.assertRaisesMessage(CommandError, "differ"),
        ):
            self.set_password(stdin=terminal)

    def test_refuses_an_unknown_email_or_an_invalid_password(self) -> None:
        with self.assertRaisesMessage(CommandError, "No user has the email") as caught:
            self.set_password(stdin=io.StringIO(PASSWORD + "\n"), email="nobody@example.com")
        assert caught.exception.returncode == 1
        for password, sentence in [
            ("too short", "at least 15 characters"),
            ("x" * 129, "no more than 128 characters"),
            (PASSWORD + "\0", "Null characters are not allowed"),
        ]:
            with self.assertRaisesMessage(CommandError, sentence) as caught:
                self.set_password(stdin=io.StringIO(password + "\n"))
            assert password not in str(caught.exception)
        self.user.refresh_from_db()
        assert self.user.password is None


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
            ("trace", "/api/users", 405),  # 405 before 401
            ("put", "/api/users/9", 401),  # 401 before the body is read
            ("post", "/api/tokens", 422),
            ("get", "/api/users/", 404),
        ]:
            response = self.client.generic(
                method.upper(), path, b'{"name": ""}', content_type="application/json"
            )
            assert response.status_code == status, path

    def test_www_authenticate_says_what_failed(self) -> None:
        for authorization, challenge in [
            (None, "Bearer"),
            ("Basic YWRhOnNlY3JldA==", "Bearer"),
            ("Bearer", 'Bearer error="invalid_token"'),
            ("bearer not.a.token", 'Bearer error="invalid_token"'),  # the scheme in any case
        ]:
            headers = {} if authorization is None else {"authorization": authorization}
            response = self.client.get("/api/users", headers=headers)
            assert response.status_code == 401
            assert response["WWW-Authenticate"] == challenge
