"""What every response carries, errors included: nosniff, no-store, and OPTIONS as 204.

Allow comes from Flask itself on OPTIONS, and from problems.handle_http_exception() on
405; no other response has it. HEAD needs nothing here: Werkzeug's Response drops the
body of a HEAD response itself (Response.get_app_iter()), and keeps its headers.
"""

from flask import Response, request


def finish_response(response: Response) -> Response:
    """Give every response, errors included, the headers the contract requires."""
    # Flask answers OPTIONS itself, with 200 and an empty body; the contract says 204.
    if request.method == "OPTIONS" and response.status_code == 200:
        response.status_code = 204
    if response.status_code == 204:
        # Werkzeug labels every response text/html, even one that has no body.
        response.headers.remove("Content-Type")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
