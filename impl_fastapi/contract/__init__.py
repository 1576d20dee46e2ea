"""The contract layer: what switches FastAPI's lax defaults off to meet the strict contract.

install(app) adds what FastAPI takes from outside the routes: the exception handlers that
answer every error with Problem Details (problems.py), and the middleware for what every
response carries (headers.py). The rest is named where FastAPI takes it, in the
application layer: views.py registers the path id convertor (paths.py), reads bodies with
bodies.StrictBody and list_users' query parameters with queries.StrictQuery; schemas.py
configures its request models from members.py.
"""

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import headers, paths, problems


def install(app: FastAPI) -> None:
    """Install the contract layer into app: Problem Details for every error, and the headers."""
    # FastAPI answers the router's 404 and 405 as {"detail": ...}, and every invalid request
    # with its own 422 body: all of them become Problem Details.
    app.add_exception_handler(StarletteHTTPException, problems.http_exception_handler)
    app.add_exception_handler(RequestValidationError, problems.validation_exception_handler)
    app.add_exception_handler(OperationalError, problems.database_error_handler)
    app.add_exception_handler(InterfaceError, problems.database_error_handler)
    # No pooled connection came free within pool_timeout (database.py): 503, as when the
    # database cannot be reached.
    app.add_exception_handler(PoolTimeoutError, problems.database_error_handler)
    app.add_exception_handler(Exception, problems.server_error_handler)

    # The middleware added last runs first: the security headers go on every response the
    # others make, 204 to OPTIONS included; a path with %2F or a final newline is 404 before
    # OPTIONS or a route matches its decoded, loosely matched form.
    app.add_middleware(headers.OptionsMiddleware)
    app.add_middleware(paths.AlteredPathMiddleware)
    app.add_middleware(headers.SecurityHeadersMiddleware)
