"""The users table."""

import functools
import secrets
import unicodedata

from django.contrib.auth import hashers
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from contract.rules import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH

from .hashers import Argon2PasswordHasher

# What Django's hashers write before the PHC string ("argon2$argon2id$v=19$..."), and read to
# choose the hasher that checks it.
DJANGO_PREFIX = Argon2PasswordHasher.algorithm


@functools.cache
def dummy_hash() -> str:
    """A hash of no one's password, with the current parameters, made on first use."""
    # Checked when there is no hash to check (no such user, no password yet), so that a failed
    # sign-in takes as long whatever the reason. Made when first needed, not at import: every
    # manage.py command imports the models.
    return hashers.make_password(secrets.token_urlsafe(32))


class User(AbstractBaseUser):
    """A user: the one resource of the API, and Django's user model (AUTH_USER_MODEL)."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # Stored lower-cased (see UserSerializer), so that its unique constraint ignores letter case.
    email = models.CharField(max_length=EMAIL_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    # AbstractBaseUser's password field, in the column the other two implementations name
    # password_hash: argon2id's PHC string, NULL for a user created before passwords existed.
    password = models.CharField(max_length=255, null=True, db_column="password_hash")  # noqa: DJ001
    # AbstractBaseUser's last_login is a column the other two lack; nothing here records sign-ins.
    last_login = None

    # get_by_natural_key() finds the user by email for authenticate() (TokenSerializer).
    objects = BaseUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = "users"
        # A constraint, not unique=True: on PostgreSQL, unique=True also adds an index
        # (users_email_<hash>_like, for LIKE queries the API never makes) that the other two
        # implementations' tables lack. Named as PostgreSQL names it, on SQLite too.
        constraints = [models.UniqueConstraint(fields=["email"], name="users_email_key")]

    # Django's hashers write and read "argon2" before the PHC string; the column holds the PHC
    # string alone, as argon2-cffi writes it in Flask and FastAPI, so that each implementation
    # reads the others' hashes. set_password() removes the prefix, check_password() adds it back.
    def set_password(self, raw_password: str) -> None:
        """Hash the password, NFKC-normalised, and keep the bare PHC string."""
        super().set_password(unicodedata.normalize("NFKC", raw_password))
        self.password = self.password.removeprefix(DJANGO_PREFIX)

    def check_password(self, raw_password: str) -> bool:
        """Return whether the password, NFKC-normalised, is this user's; never rehash."""
        # AbstractBaseUser.check_password() gives Django a setter that rehashes and saves the
        # password when the hasher's parameters have changed: a new hash revokes every token of
        # the user (hash_password), so signing in here would sign the user out everywhere.
        encoded = DJANGO_PREFIX + self.password if self.password else dummy_hash()
        matches = hashers.check_password(unicodedata.normalize("NFKC", raw_password), encoded)
        return matches and self.password is not None
