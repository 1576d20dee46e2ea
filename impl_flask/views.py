"""The users API and the health check: one Blueprint, handlers in the contract's order.

A handler raises on bad input (ValidationError from schemas, abort(404), IntegrityError
on commit); the contract layer's error handlers turn each into Problem Details.
"""

from flask import Blueprint, abort, request, url_for

from . import schemas
from .contract.bodies import read_json_body
from .models import User, db

bp = Blueprint("users", __name__)


@bp.get("/api/users")
def list_users():
    """List users."""
    query = schemas.load_list_query(request.args)
    filters = [] if query.email is None else [User.email == query.email]
    # On PostgreSQL each statement commits by itself (the engine's AUTOCOMMIT), each with
    # its own snapshot: a user created between the count and the page would be in one and
    # not the other. REPEATABLE READ makes this request one transaction with one snapshot.
    # (A SQLite transaction always has one: see models.use_sqlite_transactions.)
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
    user = User(**schemas.load_user(read_json_body(), partial=False))
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
    members = schemas.load_user(read_json_body(), partial=False)
    return schemas.dump_user(change_user(user_id, members))


@bp.patch("/api/users/<user_id:user_id>")
def update_user(user_id: int):
    """Update a user."""
    members = schemas.load_user(read_json_body(), partial=True)
    return schemas.dump_user(change_user(user_id, members))


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
