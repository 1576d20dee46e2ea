"""Settings from the environment, read on first use, as in FastAPI's settings guide."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The database when DATABASE_URL is not set: a SQLite file in impl_fastapi/var/.
DEFAULT_DATABASE = Path(__file__).parent / "var" / "users.sqlite3"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATABASE}"

# HS256 signs with a key of the hash's size at least (RFC 7518, section 3.2).
JWT_SECRET_MIN_BYTES = 32


class Settings(BaseSettings):
    """The environment variables the application reads (DATABASE_URL, JWT_SECRET, ARGON2_*, ...)."""

    # An empty variable counts as unset: DATABASE_URL= still means the default database. And
    # an error names the setting without repeating the environment's values, DATABASE_URL's
    # password or the signing key among them.
    model_config = SettingsConfigDict(env_ignore_empty=True, hide_input_in_errors=True)

    # SQLAlchemy 2.1 reads the plain `postgresql://user@host:port/db` form with psycopg 3,
    # so a PostgreSQL URL is used as it is given.
    database_url: str = DEFAULT_DATABASE_URL
    # SQLite's default rollback journal blocks readers while a write commits; its write-ahead
    # log lets them read on (make bench measures both).
    sqlite_journal_mode: str = "WAL"
    # The key that signs the access tokens: required, never a constant in the code. The empty
    # default makes an unset JWT_SECRET fail in check_jwt_secret, with the same sentence as
    # one too short, rather than as pydantic's "Field required".
    jwt_secret: SecretStr = Field(default=SecretStr(""), validate_default=True)
    # argon2id's parameters for new password hashes: OWASP's minimum (docs/sign-in.md). A hash
    # carries its own, so changing them leaves every stored hash valid.
    argon2_memory_cost: int = 19456  # KiB
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1

    @field_validator("jwt_secret")
    @classmethod
    def check_jwt_secret(cls, jwt_secret: SecretStr) -> SecretStr:
        """Refuse a signing key shorter than JWT_SECRET_MIN_BYTES, or none."""
        if len(jwt_secret.get_secret_value().encode()) < JWT_SECRET_MIN_BYTES:
            raise ValueError(
                f"JWT_SECRET must be set to a key of at least {JWT_SECRET_MIN_BYTES} bytes"
                " (UTF-8), which signs the access tokens: `openssl rand -hex 32` makes one"
            )
        return jwt_secret


@lru_cache
def get_settings() -> Settings:
    """Read the settings once, when first asked for rather than on import."""
    return Settings()
