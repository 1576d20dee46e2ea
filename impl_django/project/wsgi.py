"""The WSGI application, for gunicorn: ``gunicorn project.wsgi``."""

import io
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def read_chunked_bodies(application: WSGIApplication) -> WSGIApplication:
    """Let Django see a body sent without Content-Length (Transfer-Encoding: chunked)."""
    # Django reads exactly CONTENT_LENGTH bytes of a request, and takes a chunked body for
    # an empty one. Read one byte past the limit at most and hand Django that: a body
    # over the limit is then refused with 413, like one that announced its length.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def read_then_call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (
            not environ.get("CONTENT_LENGTH")
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            body = environ["wsgi.input"].read(limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return application(environ, start_response)

    return read_then_call


application = read_chunked_bodies(get_wsgi_application())
