"""Set a user's password from a terminal: `python -m impl_fastapi.set_password EMAIL`.

For users created before passwords existed, who cannot sign in until they have one. FastAPI
has no command line of its own for an application, so this is a module with argparse.
"""

import argparse
import getpass
import sys

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, select, update

from .contract.rules import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from .database import get_engine
from .models import User
from .schemas import Password
from .security import hash_password


def read_password() -> str:
    """Ask for the password twice, unechoed, on a terminal; else read one line of stdin."""
    if not sys.stdin.isatty():
        # A pipe or a file: `echo "$PASSWORD" | python -m impl_fastapi.set_password EMAIL`.
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != password:
        sys.exit("The two passwords differ; the password is unchanged.")
    return password


def main(argv: list[str] | None = None) -> None:
    """Set the password of the user with the email given; exit with 1 if there is none."""
    parser = argparse.ArgumentParser(
        prog="python -m impl_fastapi.set_password",
        description="Set a user's password. The user's tokens issued before stop working.",
    )
    parser.add_argument("email", help="the user's email, in any letter case")
    email = parser.parse_args(argv).email.lower()  # stored lower-cased

    engine = get_engine()
    with Session(engine) as session:
        user_id = session.exec(select(User.id).where(User.email == email)).one_or_none()
    if user_id is None:
        sys.exit(f"No user has the email {email}.")
    # The API's rules (schemas.Password): normalised with NFKC, then counted. Asked for with
    # no transaction open, which on SQLite would keep the server's writers waiting.
    try:
        password = TypeAdapter(Password).validate_python(read_password())
    except ValidationError:
        sys.exit(
            f"The password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters"
            " long (after Unicode NFKC normalisation), without NUL; it is unchanged."
        )
    with Session(engine) as session:
        # A new salt, so a new hash: the user's tokens no longer match it (security.py).
        changed = (
            update(User).where(User.id == user_id).values(password_hash=hash_password(password))
        )
        if session.exec(changed).rowcount == 0:
            sys.exit(f"No user has the email {email} any more; it was deleted.")
        session.commit()
    engine.dispose()
    print(f"Set the password of {email} (user {user_id}); its earlier tokens no longer work.")


if __name__ == "__main__":
    main()
