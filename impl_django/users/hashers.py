"""The password hasher: Django's argon2id, with the parameters in the settings."""

from django.conf import settings
from django.contrib.auth import hashers


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Django's Argon2PasswordHasher, with settings.ARGON2_* instead of Django's parameters."""

    # Django's docs change a hasher's work factor this way: a subclass named in PASSWORD_HASHERS.
    # New hashes only: a hash is verified with the parameters written in it.
    memory_cost = settings.ARGON2_MEMORY_COST
    time_cost = settings.ARGON2_TIME_COST
    parallelism = settings.ARGON2_PARALLELISM
