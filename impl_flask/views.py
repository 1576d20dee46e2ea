"""The users API and the health check: one Blueprint, handlers in the contract's order."""

from flask import Blueprint, abort, request, url_for
from werkzeug.routing import BaseConverter

from . import schemas
from .errors import problem
from .models import MAX_ID, User, db
from .parsers import read_json_body

bp = Blueprint("users", __name__)


def decimal_regex(maximum: int) -> str:
    """Return a regex for the numbers 1 to maximum in ASCII digits, no sign, no leading zero."""
    digits = str(maximum)
    # Any number with fewer digits than maximum; or maximum's first few digits, then a
    # smaller digit, then any digits; or maximum itself.
    alternatives = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"]
    for position, digit in enumerate(digits):
        smallest = "1" if position == 0 else "0"
        if digit > smallest:
            rest = len(digits) - position - 1
            alternatives.append(f"{digits[:position]}[{smallest}-{int(digit) - 1}][0-9]{{{rest}}}")
    alternatives.append(digits)
    return "|".join(alternatives)


class UserIdConverter(BaseConverter):
    """Route only well-formed user ids: 1 to 2**63 - 1, ASCII digits, no leading zero."""

    # Werkzeug's int converter matches \d+, so it routes "01", and "\u0661" as 1. The range
    # is in the regex, not checked in to_python(): Werkzeug checks the method before it
    # converts, so TRACE on a too-large id would be 405 where the contract says 404.
    regex = decimal_regex(MAX_ID)

    def to_python(self, value: str) -> int:
        """Return the id as an int."""
        return int(value)

    def to_url(self, value: int) -> str:
        """Return the id as it appears in a path."""
        return str(value)


@bp.get("/api/users")
def list_users():
    """List users."""
    query, errors = schemas.list_query(request.args)
    if errors:
        return problem(422, errors)
    filters = [] if query.email is None else [User.email == query.email]
    # PostgreSQL's default, READ COMMITTED, gives each statement its own snapshot: a user
    # created between the count and the page would be in one and not the other. REPEATABLE
    # READ gives the transaction one snapshot. (A SQLite transaction always has one: see
    # models.use_sqlite_transactions.)
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    total = db.session.execute(
        db.select(db.func.count()).select_from(User).where(*filters)
    ).scalar_one()
    users = db.session.execute(
        db.select(User).where(*filters).order_by(User.id).limit(query.limit).offset(query.offset)
    ).scalars()
    return {
        "items": [schemas.dump_user(user) for user in users],
        "total": total,
        "limit": query.limit,
        "offset": query.offset,
    }


@bp.post("/api/users")
def create_user():
    """Create a user."""
    body = read_json_body()
    if errors := schemas.user_errors(body, partial=False):
        return problem(422, errors)
    user = User(**schemas.user_members(body))
    db.session.add(user)
    db.session.commit()  # a duplicate email raises IntegrityError: 409
    return schemas.dump_user(user), 201, {"Location": url_for(".get_user", user_id=user.id)}


@bp.get("/api/users/<user_id:user_id>")
def get_user(user_id: int):
    """Get a user."""
    return schemas.dump_user(db.get_or_404(User, user_id))


@bp.put("/api/users/<user_id:user_id>")
def replace_user(user_id: int):
    """Replace a user."""
    body = read_json_body()
    if errors := schemas.user_errors(body, partial=False):
        return problem(422, errors)
    return schemas.dump_user(change_user(user_id, schemas.user_members(body)))


@bp.patch("/api/users/<user_id:user_id>")
def update_user(user_id: int):
    """Update a user."""
    body = read_json_body()
    if errors := schemas.user_errors(body, partial=True):
        return problem(422, errors)
    return schemas.dump_user(change_user(user_id, schemas.user_members(body)))


@bp.delete("/api/users/<user_id:user_id>")
def delete_user(user_id: int):
    """Delete a user."""
    # session.delete() of a loaded user would answer 204 to two DELETEs racing on one user:
    # SQLAlchemy only warns when its DELETE matches no row. The row count says who deleted it.
    if db.session.execute(db.delete(User).where(User.id == user_id)).rowcount == 0:
        abort(404)
    db.session.commit()
    return "", 204


def change_user(user_id: int, members: dict[str, str]) -> User:
    """Set the members given, in one UPDATE ... RETURNING; 404 if there is no such user."""
    # The unit of work (get the user, set its attributes, commit) reads the row, then writes
    # it in a second statement. A DELETE in between makes that UPDATE match no row
    # (StaleDataError: a 500), and another PATCH in between makes the object describe a row
    # the database never held. One statement reads and writes the row at once, and the
    # row stays locked until the commit.
    if not members:  # PATCH {} changes nothing
        return db.get_or_404(User, user_id)
    changed = db.update(User).where(User.id == user_id).values(members).returning(User)
    user = db.session.scalar(changed)
    if user is None:
        abort(404)
    db.session.commit()  # a duplicate email raises IntegrityError: 409
    return user


@bp.get("/health")
def health():
    """Check health."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
