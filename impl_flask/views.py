"""The users API, sign-in and the health check: one Blueprint, handlers in the contract's order.

A handler raises on bad input (ValidationError from schemas, abort(404), IntegrityError
on commit); the contract layer's error handlers turn each into Problem Details.
@login_required answers 401 before the view reads the body; the view looks the user up
after reading it, then answers 403 for another user than the signed-in one (g.user).
"""

from flask import Blueprint, abort, g, request, url_for

from . import auth, schemas
from .auth import login_required
from .contract.bodies import read_json_body
from .contract.problems import Unauthenticated
from .contract.rules import SIGN_IN_FAILED, TOKEN_LIFETIME_SECONDS
from .models import User, db

bp = Blueprint("users", __name__)


@bp.get("/api/users")
@login_required
def list_users():
    """List users."""
    query = schemas.load_list_query(request.args)
    filters = [] if query.email is None else [User.email == query.email]
    # On PostgreSQL each statement commits by itself (the engine's AUTOCOMMIT), each with
    # its own snapshot: a user created between the count and the page would be in one and
    # not the other. REPEATABLE READ makes this request one transaction with one snapshot.
    # (A SQLite transaction always has one: see models.use_sqlite_transactions.)
    if db.engine.dialect.name == "postgresql":
        # login_required has read the signed-in user on the session's connection, whose
        # isolation level can only change between transactions: end that one first (it
        # changed nothing), and the next starts at REPEATABLE READ.
        db.session.commit()
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
    user = User(**schemas.load_user(read_json_body(), required=schemas.NEW_USER))
    db.session.add(user)
    db.session.commit()  # a duplicate email raises IntegrityError: 409
    return schemas.dump_user(user), 201, {"Location": url_for(".get_user", user_id=user.id)}


@bp.get("/api/users/<user_id:user_id>")
@login_required
def get_user(user_id: int):
    """Get a user."""
    return schemas.dump_user(db.get_or_404(User, user_id))


@bp.put("/api/users/<user_id:user_id>")
@login_required
def replace_user(user_id: int):
    """Replace a user."""
    members = schemas.load_user(read_json_body(), required=schemas.WHOLE_USER)
    check_owner(user_id)
    return schemas.dump_user(change_user(user_id, members))


@bp.patch("/api/users/<user_id:user_id>")
@login_required
def update_user(user_id: int):
    """Update a user."""
    members = schemas.load_user(read_json_body(), required=())
    check_owner(user_id)
    return schemas.dump_user(change_user(user_id, members))


@bp.delete("/api/users/<user_id:user_id>")
@login_required
def delete_user(user_id: int):
    """Delete a user."""
    check_owner(user_id)
    # session.delete() of a loaded user would answer 204 to two DELETEs racing on one user:
    # SQLAlchemy only warns when its DELETE matches no row. The row count says who deleted it.
    if db.session.execute(db.delete(User).where(User.id == user_id)).rowcount == 0:
        abort(404)
    db.session.commit()
    return "", 204


def check_owner(user_id: int) -> None:
    """Answer 404 if there is no such user, 403 if it is not the signed-in user."""
    if user_id != g.user.id:
        db.get_or_404(User, user_id)  # 404 before 403: the contract's precedence
        abort(403)


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
    # The signed-in user is this one, loaded by login_required before the UPDATE: without
    # populate_existing, the session would answer with that object, its other members as
    # they were then, instead of the row as the UPDATE returned it.
    user = db.session.scalar(changed, execution_options={"populate_existing": True})
    if user is None:
        abort(404)
    db.session.commit()  # a duplicate email raises IntegrityError: 409
    return user


@bp.post("/api/tokens")
def create_token():
    """Sign in."""
    credentials = schemas.load_credentials(read_json_body())
    # Every stored email follows the rules: one that breaks them names no user, and is not
    # sent to the database (PostgreSQL refuses a string with a NUL in it).
    email = schemas.email_filter(credentials["email"])
    user = None
    if email is not None:
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    # One answer for an unknown email, a wrong password and a user without a password.
    if not auth.check_password(user, credentials["password"]):
        raise Unauthenticated(detail=SIGN_IN_FAILED)
    return {
        "access_token": auth.create_access_token(user),
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECONDS,
    }


@bp.get("/health")
def health():
    """Check health."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
