"""The API's path operations, in the spec's order."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, func, select, update
from starlette.convertors import register_url_convertor

from .contract.bodies import StrictBody, receive_body
from .contract.paths import UserIdConvertor
from .contract.queries import StrictQuery
from .contract.rules import SIGN_IN_FAILED, WWW_AUTHENTICATE
from .database import SessionDep
from .models import User
from .schemas import (
    Token,
    TokenRequest,
    UserCreate,
    UserPage,
    UserPublic,
    UserQuery,
    UserReplace,
    UserUpdate,
)
from .security import CurrentUser, authenticate_user, create_access_token, hash_password

# `{user_id:user_id}` in the paths below matches only ids from 1 to MAX_ID (contract/paths.py):
# any other segment is a 404, whatever the method.
register_url_convertor("user_id", UserIdConvertor())
router = APIRouter()

# FastAPI solves a path operation's dependencies in the order of its parameters, and each
# one below may refuse the request: the current user first (401), then the body, by
# StrictBody (413, 415, 400, 422: contract/bodies.py). The handler then looks the user up
# (404), checks that it is the caller (403), and writes (409). The current user takes a
# session (database.SessionDep), one of POOL_SIZE: so that a slow client does not hold one
# while it sends its body, the body is received first, by the dependency the path operation
# decorator lists, which FastAPI solves before the parameters' and refuses nothing.


def find_user(session: Session, user_id: int) -> User:
    """Return the user with this id, or raise 404."""
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404)
    return user


@contextmanager
def email_conflict_is_409() -> Iterator[None]:
    """Answer 409 when the unique constraint on email refuses a write."""
    try:
        yield
    except IntegrityError:
        raise HTTPException(status_code=409) from None


def check_owner(session: Session, user_id: int, current_user: User) -> None:
    """Raise 404 if no user has this id, 403 if another user than the caller has it."""
    if user_id != current_user.id:
        find_user(session, user_id)
        raise HTTPException(status_code=403)


def change_user(session: Session, user_id: int, members: dict[str, str]) -> User:
    """Set the members given, in one UPDATE ... RETURNING; 404 if there is no such user."""
    if "password" in members:
        # A new salt, so a new hash: the tokens issued before no longer match it (security.py).
        members["password_hash"] = hash_password(members.pop("password"))
    if not members:  # PATCH {} changes nothing
        return find_user(session, user_id)
    # The tutorial's unit of work (get the user, sqlmodel_update(), commit) reads the row,
    # then writes it in a second statement. A DELETE in between makes that UPDATE match no
    # row (StaleDataError: a 500), and another PATCH in between makes the object describe a
    # row the database never held. One statement reads and writes the row at once, and the
    # row stays locked until the commit. The caller is already in the session, as the current
    # user read it: populate_existing makes the returned row replace what it read then.
    changed = (
        update(User)
        .where(User.id == user_id)
        .values(members)
        .returning(User)
        .execution_options(populate_existing=True)
    )
    with email_conflict_is_409():
        user = session.exec(changed).scalar_one_or_none()
    if user is None:
        raise HTTPException(status_code=404)
    session.commit()
    return user


# Unlike Starlette, FastAPI gives a GET route no HEAD: each one declares it.
@router.api_route("/api/users", methods=["GET", "HEAD"])
def list_users(
    current_user: CurrentUser,
    query: Annotated[UserQuery, Depends(StrictQuery(UserQuery))],
    session: SessionDep,
) -> UserPage:
    """List users."""
    # On PostgreSQL each statement commits by itself (the engine's AUTOCOMMIT), each with
    # its own snapshot: a user created between the count and the page would be in one and
    # not the other. REPEATABLE READ makes this request one transaction with one snapshot,
    # on a connection of its own: the one that read the current user cannot change its
    # isolation level until the session lets it go. (A SQLite transaction always has one
    # snapshot: see database.use_sqlite_transactions.)
    if session.get_bind().dialect.name == "postgresql":
        session.commit()
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    users = select(User)
    if query.email is not None:
        users = users.where(User.email == query.email)
    total = session.exec(select(func.count()).select_from(users.subquery())).one()
    page = session.exec(users.order_by(User.id).offset(query.offset).limit(query.limit)).all()
    return UserPage(items=page, total=total, limit=query.limit, offset=query.offset)


@router.post("/api/users", response_model=UserPublic, status_code=201)
def create_user(
    user: Annotated[UserCreate, Depends(StrictBody(UserCreate))],
    session: SessionDep,
    request: Request,
    response: Response,
) -> User:
    """Create a user."""
    # SQLModel's way to add what the table has and the body has not: the hash, not the password.
    db_user = User.model_validate(user, update={"password_hash": hash_password(user.password)})
    session.add(db_user)
    with email_conflict_is_409():
        session.commit()
    response.headers["Location"] = str(request.app.url_path_for("get_user", user_id=db_user.id))
    return db_user


@router.api_route(
    "/api/users/{user_id:user_id}", methods=["GET", "HEAD"], response_model=UserPublic
)
def get_user(user_id: int, current_user: CurrentUser, session: SessionDep) -> User:
    """Get a user."""
    return find_user(session, user_id)


@router.put(
    "/api/users/{user_id:user_id}",
    response_model=UserPublic,
    dependencies=[Depends(receive_body)],
)
def replace_user(
    user_id: int,
    current_user: CurrentUser,
    user: Annotated[UserReplace, Depends(StrictBody(UserReplace))],
    session: SessionDep,
) -> User:
    """Replace a user."""
    check_owner(session, user_id, current_user)
    return change_user(session, user_id, user.model_dump(exclude_unset=True))


@router.patch(
    "/api/users/{user_id:user_id}",
    response_model=UserPublic,
    dependencies=[Depends(receive_body)],
)
def update_user(
    user_id: int,
    current_user: CurrentUser,
    user: Annotated[UserUpdate, Depends(StrictBody(UserUpdate))],
    session: SessionDep,
) -> User:
    """Update a user."""
    check_owner(session, user_id, current_user)
    return change_user(session, user_id, user.model_dump(exclude_unset=True))


@router.delete("/api/users/{user_id:user_id}", status_code=204, response_class=Response)
def delete_user(user_id: int, current_user: CurrentUser, session: SessionDep) -> None:
    """Delete a user."""
    check_owner(session, user_id, current_user)
    # session.delete() of a loaded user would answer 204 to two DELETEs racing on one user:
    # SQLAlchemy only warns when its DELETE matches no row. The row count says who deleted it.
    if session.exec(delete(User).where(User.id == user_id)).rowcount == 0:
        raise HTTPException(status_code=404)
    session.commit()


@router.post("/api/tokens")
def create_token(
    credentials: Annotated[TokenRequest, Depends(StrictBody(TokenRequest))], session: SessionDep
) -> Token:
    """Sign in."""
    user = authenticate_user(session, credentials.email, credentials.password)
    if user is None:
        raise HTTPException(
            status_code=401, detail=SIGN_IN_FAILED, headers={"WWW-Authenticate": WWW_AUTHENTICATE}
        )
    return Token(access_token=create_access_token(user))


@router.api_route("/health", methods=["GET", "HEAD"])
def health(session: SessionDep) -> dict[str, str]:
    """Check health."""
    session.exec(select(1)).one()
    return {"status": "ok"}
