"""Settings from the environment, read on first use, as in FastAPI's settings guide."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

# The database when DATABASE_URL is not set: a SQLite file in impl_fastapi/var/.
DEFAULT_DATABASE = Path(__file__).parent / "var" / "users.sqlite3"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATABASE}"


class Settings(BaseSettings):
    """The environment variables the application reads (DATABASE_URL, SQLITE_JOURNAL_MODE)."""

    # An empty variable counts as unset: DATABASE_URL= still means the default database.
    model_config = SettingsConfigDict(env_ignore_empty=True)

    # SQLAlchemy 2.1 reads the plain `postgresql://user@host:port/db` form with psycopg 3,
    # so a PostgreSQL URL is used as it is given.
    database_url: str = DEFAULT_DATABASE_URL
    # SQLite's default rollback journal blocks readers while a write commits; its write-ahead
    # log lets them read on (make bench measures both).
    sqlite_journal_mode: str = "WAL"


@lru_cache
def get_settings() -> Settings:
    """Read the settings once, when first asked for rather than on import."""
    return Settings()
