"""A variant of the FastAPI implementation for `make bench`: `uvicorn ... bench.fastapi_async:app`.

The shipped implementation declares its path operations with `def`, as FastAPI's and
SQLModel's tutorials do for a blocking database library: FastAPI runs each one, and the
session dependency, in its thread pool. This variant serves get-one from an `async def`
path operation on SQLAlchemy's asyncio extension (psycopg 3's async connections, so
PostgreSQL only), awaited on the event loop, and authenticates its caller there too: the
shipped current-user dependency (security.get_current_user) as an `async def` on the same
asyncio session, with the same checks. Every other route, the exception handlers, the
middleware, the route class, the model and the response schema are the shipped
application's, so the variant answers the whole contract.
"""

import re
from collections.abc import AsyncIterator
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from impl_fastapi import main, security, views
from impl_fastapi.contract.rules import USER_ID_REGEX, WWW_AUTHENTICATE_INVALID_TOKEN
from impl_fastapi.database import POOL_SIZE
from impl_fastapi.models import User
from impl_fastapi.schemas import UserPublic
from impl_fastapi.settings import get_settings

url = get_settings().database_url

if not url.startswith("postgresql"):
    raise SystemExit("bench.fastapi_async needs a postgresql:// DATABASE_URL")

# The shipped engine's settings (PostgreSQL in autocommit, pre-ping, the pool);
# create_async_engine picks psycopg's async dialect. On the event loop no thread pool limits
# the sessions: the pool's timeout does (then 503).
engine = create_async_engine(
    url,
    isolation_level="AUTOCOMMIT",
    pool_pre_ping=True,
    pool_size=POOL_SIZE,
    max_overflow=0,
    pool_timeout=10,
)


async def get_session() -> AsyncIterator[AsyncSession]:
    """Give a request its own session, on the event loop."""
    async with AsyncSession(engine) as session:
        yield session


AsyncSessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_current_user(
    token: Annotated[str, Depends(security.oauth2_scheme)], session: AsyncSessionDep
) -> User:
    """Return the user the bearer token names; 401 if the token is not one to accept."""
    # security.get_current_user, line for line, but for the awaited read of the user.
    invalid_token = HTTPException(
        status_code=401, headers={"WWW-Authenticate": WWW_AUTHENTICATE_INVALID_TOKEN}
    )
    try:
        claims = jwt.decode(
            token,
            get_settings().jwt_secret.get_secret_value(),
            algorithms=[security.ALGORITHM],
            options={"require": security.CLAIMS},
        )
    except jwt.InvalidTokenError:
        raise invalid_token from None
    if claims["token_type"] != "access" or not re.fullmatch(USER_ID_REGEX, claims["sub"]):
        raise invalid_token
    user = await session.get(User, int(claims["sub"]))
    if (
        user is None
        or user.password_hash is None
        or claims["hash_password"] != security.fingerprint(user.password_hash)
    ):
        raise invalid_token
    return user


router = APIRouter(route_class=views.router.route_class)


@router.api_route(
    "/api/users/{user_id:user_id}", methods=["GET", "HEAD"], response_model=UserPublic
)
async def get_user(
    user_id: int,
    current_user: Annotated[User, Depends(get_current_user)],
    session: AsyncSessionDep,
) -> User:
    """Get a user."""
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404)
    return user


# The shipped start-up (its engine, the dummy hash for unknown emails) and settings.
app = FastAPI(
    lifespan=main.lifespan, openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False
)
app.exception_handlers.update(main.app.exception_handlers)
app.user_middleware = list(main.app.user_middleware)
# Routes match in order: this get-one first, then the shipped routes for everything else.
app.include_router(router)
app.include_router(views.router)
