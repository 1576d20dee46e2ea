"""`flask --app impl_flask set-password EMAIL`: set a user's password from a terminal.

For a user created before passwords existed, who cannot sign in without one, or one who
has forgotten theirs. A click command that create_app() adds to the app's `flask`
commands, run in the app's context (its config, its database), as Flask-Migrate's are.
"""

import sys

import click
from flask.cli import with_appcontext

from . import schemas
from .auth import hash_password
from .models import User, db


@click.command("set-password")
@click.argument("email")
@with_appcontext
def set_password_command(email: str) -> None:
    """Set the password of the user with EMAIL, asked twice, or read from standard input."""
    user = db.session.execute(
        db.select(User).where(User.email == email.lower())
    ).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"No user has the email {email}.")  # exit code 1
    if sys.stdin.isatty():
        # Without echo (click hides the input with getpass), and twice, as passwd asks.
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:  # piped: `echo "$PASSWORD" | flask --app impl_flask set-password EMAIL`
        password = sys.stdin.readline().removesuffix("\n")
    # The API's rules, with its sentence; the password itself is never printed.
    if error := schemas.password_error(password):
        raise click.ClickException(error)
    user.password_hash = hash_password(password)
    db.session.commit()
    click.echo(f"Set the password of {user.email}; the tokens issued before no longer work.")
