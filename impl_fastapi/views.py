"""The API's path operations, in the spec's order."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from .database import SessionDep
from .models import User
from .routing import StrictRoute
from .schemas import UserCreate, UserPage, UserPublic, UserQuery, UserUpdate

router = APIRouter(route_class=StrictRoute)


def user_query(request: Request) -> UserQuery:
    """Return the query parameters of list_users, or raise 422 naming each bad one."""
    # FastAPI's Query() parameters keep the last of `?limit=5&limit=6` without a word; the
    # contract refuses a repeated parameter, so this reads every value of each one.
    errors = []
    values = {}
    for name in UserQuery.model_fields:
        given = request.query_params.getlist(name)
        if len(given) > 1:
            errors.append({"type": "repeated", "loc": ("query", name)})
        elif given:
            values[name] = given[0]
    try:
        query = UserQuery.model_validate(values)
    except ValidationError as error:
        errors += [{**item, "loc": ("query", *item["loc"])} for item in error.errors()]
    if errors:
        # One order for every 422: the parameters' own (limit, offset, email).
        order = list(UserQuery.model_fields)
        raise RequestValidationError(sorted(errors, key=lambda item: order.index(item["loc"][1])))
    return query


def find_user(session: Session, user_id: int) -> User:
    """Return the user with this id, or raise 404."""
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404)
    return user


def save(session: Session, user: User) -> None:
    """Commit a new or changed user; the unique constraint on email decides a conflict."""
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        raise HTTPException(status_code=409) from None
    session.refresh(user)


# Unlike Starlette, FastAPI gives a GET route no HEAD: each one declares it.
@router.api_route("/api/users", methods=["GET", "HEAD"])
def list_users(query: Annotated[UserQuery, Depends(user_query)], session: SessionDep) -> UserPage:
    """List users."""
    users = select(User)
    if query.email is not None:
        users = users.where(User.email == query.email)
    total = session.exec(select(func.count()).select_from(users.subquery())).one()
    page = session.exec(users.order_by(User.id).offset(query.offset).limit(query.limit)).all()
    return UserPage(items=page, total=total, limit=query.limit, offset=query.offset)


@router.post("/api/users", response_model=UserPublic, status_code=201)
def create_user(user: UserCreate, session: SessionDep, response: Response) -> User:
    """Create a user."""
    db_user = User.model_validate(user)
    save(session, db_user)
    response.headers["Location"] = f"/api/users/{db_user.id}"
    return db_user


@router.api_route("/api/users/{user_id}", methods=["GET", "HEAD"], response_model=UserPublic)
def get_user(user_id: int, session: SessionDep) -> User:
    """Get a user."""
    return find_user(session, user_id)


@router.put("/api/users/{user_id}", response_model=UserPublic)
def replace_user(user_id: int, user: UserCreate, session: SessionDep) -> User:
    """Replace a user."""
    db_user = find_user(session, user_id)
    db_user.sqlmodel_update(user.model_dump())
    save(session, db_user)
    return db_user


@router.patch("/api/users/{user_id}", response_model=UserPublic)
def update_user(user_id: int, user: UserUpdate, session: SessionDep) -> User:
    """Update a user."""
    db_user = find_user(session, user_id)
    db_user.sqlmodel_update(user.model_dump(exclude_unset=True))
    save(session, db_user)
    return db_user


@router.delete("/api/users/{user_id}", status_code=204, response_class=Response)
def delete_user(user_id: int, session: SessionDep) -> None:
    """Delete a user."""
    session.delete(find_user(session, user_id))
    session.commit()


@router.api_route("/health", methods=["GET", "HEAD"])
def health(session: SessionDep) -> dict[str, str]:
    """Check health."""
    session.exec(select(1)).one()
    return {"status": "ok"}


# FastAPI answers OPTIONS only where a route declares it.
@router.options("/api/users")
@router.options("/api/users/{user_id}")
@router.options("/health")
def options(request: Request) -> Response:
    """Show the methods of a path."""
    return Response(status_code=204, headers={"Allow": allowed_methods(request)})


def allowed_methods(request: Request) -> str:
    """Return the methods of all routes on the path of the request's route, for Allow."""
    path = request.scope["route"].path
    methods = {method for route in router.routes if route.path == path for method in route.methods}
    return ", ".join(sorted(methods))
