"""The application: `uvicorn impl_fastapi.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import contract, views
from .database import get_engine
from .security import get_dummy_hash


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the engine and the dummy hash at start-up; close the connections at shutdown."""
    # Made here once rather than by the first requests, which run in several threads at once.
    # Reading the settings refuses to start without JWT_SECRET; nothing connects.
    engine = get_engine()
    get_dummy_hash()  # and the password hasher, from the ARGON2_* settings
    yield
    engine.dispose()


app = FastAPI(
    title="Users API",
    lifespan=lifespan,
    # spec/openapi.yaml is the contract: no generated schema at /openapi.json, and no /docs
    # or /redoc pages built on it.
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
    # `/api/users/` is a 404, not a 307 redirect to `/api/users`.
    redirect_slashes=False,
)
app.include_router(views.router)
contract.install(app)
