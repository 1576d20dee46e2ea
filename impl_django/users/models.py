"""The users table."""

from django.db import models

from contract.rules import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH


class User(models.Model):
    """A user: the one resource of the API."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # Stored lower-cased (see UserSerializer), so that its unique constraint ignores letter case.
    email = models.CharField(max_length=EMAIL_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "users"
        # A constraint, not unique=True: on PostgreSQL, unique=True also adds an index
        # (users_email_<hash>_like, for LIKE queries the API never makes) that the other two
        # implementations' tables lack. Named as PostgreSQL names it, on SQLite too.
        constraints = [models.UniqueConstraint(fields=["email"], name="users_email_key")]

    def __str__(self) -> str:
        return self.email
