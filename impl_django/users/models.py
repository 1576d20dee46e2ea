"""The users table."""

from django.db import models


class User(models.Model):
    """A user: the one resource of the API."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=100)
    # Stored lower-cased (see UserSerializer), so that this constraint ignores letter case.
    email = models.CharField(max_length=254, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "users"

    def __str__(self) -> str:
        return self.email
