"""The application: `uvicorn impl_fastapi.main:app`."""

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import errors, views
from .middleware import HeadMiddleware, SecurityHeadersMiddleware

app = FastAPI(
    title="Users API",
    # spec/openapi.yaml is the contract: no generated schema at /openapi.json, and no /docs
    # or /redoc pages built on it.
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
    # `/api/users/` is a 404, not a 307 redirect to `/api/users`.
    redirect_slashes=False,
)

# FastAPI answers the router's 404 and 405 as {"detail": ...}, and every invalid request
# with its own 422 body: all of them become Problem Details.
app.add_exception_handler(StarletteHTTPException, errors.http_exception_handler)
app.add_exception_handler(RequestValidationError, errors.validation_exception_handler)
app.add_exception_handler(OperationalError, errors.database_error_handler)
app.add_exception_handler(InterfaceError, errors.database_error_handler)
# No pooled connection came free within pool_timeout (database.py): 503, as when the
# database cannot be reached.
app.add_exception_handler(PoolTimeoutError, errors.database_error_handler)
app.add_exception_handler(Exception, errors.server_error_handler)

app.add_middleware(HeadMiddleware)
app.add_middleware(SecurityHeadersMiddleware)

app.include_router(views.router)
