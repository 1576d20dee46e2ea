"""The one list of implementations that the contract suite runs against.

Adding an implementation is one entry here: how to build its app in-process
(with the database named by ``DATABASE_URL`` migrated, as ``make init-db`` does),
and its name for ``make serve IMPL=...``. Nothing else in the suite knows about it.
"""

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Implementation:
    """One implementation of the contract."""

    name: str
    build_app: Callable[[], Any]
    asgi: bool = False


@contextmanager
def database_url(url: str) -> Iterator[None]:
    """Point ``DATABASE_URL`` at ``url`` while an app is being built."""
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        yield
    finally:
        if previous is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = previous


def build_fastapi() -> Any:
    """FastAPI: the module-level app; tables from Alembic's ``upgrade head``."""
    from alembic import command
    from alembic.config import Config

    from impl_fastapi.main import app

    # migrations/env.py makes the engine's first use: DATABASE_URL is read now, not on import.
    command.upgrade(Config(ROOT / "impl_fastapi" / "alembic.ini"), "head")
    return app


def build_flask() -> Any:
    """Flask: the application factory; tables from Flask-Migrate's ``db upgrade`` command."""
    from impl_flask import create_app

    app = create_app()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return app


def build_django() -> Any:
    """Django: the project's WSGI application; tables from ``migrate``."""
    sys.path.insert(0, str(ROOT / "impl_django"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from project.wsgi import application

    return application


IMPLEMENTATIONS = [
    Implementation("flask", build_flask),
    Implementation("django", build_django),
    Implementation("fastapi", build_fastapi, asgi=True),
]
