"""`python manage.py set_password EMAIL`: set a user's password from a terminal.

For a user created before passwords existed, who cannot sign in without one, or one who
has forgotten theirs. Django's own `changepassword` does the same for its user model, but
prompts with getpass even when standard input is a pipe (it cannot read a password
piped in), tries three times, and applies AUTH_PASSWORD_VALIDATORS, which can refuse a
password but not NFKC-normalise it: this command applies the API's own rules instead,
through the serializer of update_user.
"""

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from users.models import User
from users.serializers import UserSerializer


class Command(BaseCommand):
    help = "Set the password of the user with EMAIL, asked twice, or read from standard input."

    # call_command(..., stdin=...) in the tests, as Django's createsuperuser takes it.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        stdin = options.get("stdin", sys.stdin)
        user = User.objects.filter(email=email.lower()).first()
        if user is None:
            raise CommandError(f"No user has the email {email}.")  # exit code 1
        if stdin.isatty():
            # Without echo, and twice, as passwd asks.
            password = getpass.getpass("New password: ")
            if getpass.getpass("Repeat for confirmation: ") != password:
                raise CommandError("The two passwords differ.")
        else:  # piped: `echo "$PASSWORD" | python manage.py set_password EMAIL`
            password = stdin.readline().removesuffix("\n")
        # The API's rules and sentences (update_user's serializer); never the password itself.
        serializer = UserSerializer(user, data={"password": password}, partial=True)
        if not serializer.is_valid():
            raise CommandError(serializer.errors["password"][0])
        serializer.save()  # hashes it: the tokens issued before no longer work
        self.stdout.write(
            f"Set the password of {user.email}; the tokens issued before no longer work."
        )
