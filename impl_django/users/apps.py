"""The users app: the one resource of the API."""

from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
