"""The contract's fixed values: framework-neutral, identical in the three implementations.

The spec's patterns and limits, the Problem Details titles and detail
sentences, and the spelling of a JSON pointer. A test keeps the three copies
identical, and the comparison counts them as shared, not as framework cost.
"""

from urllib.parse import quote

# The largest user id, and the largest offset: PostgreSQL's bigint, 2**63 - 1.
MAX_ID = 2**63 - 1
MAX_BODY_BYTES = 65536
MAX_DEPTH = 64  # arrays and objects nested in a body
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
LIMIT_DEFAULT, LIMIT_MAX = 20, 100
# A password's length in code points, after Unicode NFKC normalisation (NIST SP 800-63B-4).
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 15, 128
TOKEN_LIFETIME_SECONDS = 900

# The `pattern`s of the spec's UserName and Email, verbatim. Apply them as full matches:
# with Python's re.match() or re.search(), "$" would also accept a trailing newline.
NAME_PATTERN = (
    r"^[^\u0000]*[^\u0000\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029"
    r"\u202F\u205F\u3000][^\u0000]*$"
)
EMAIL_PATTERN = (
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
# A query integer: an optional "-" and ASCII digits. int() alone would also accept "+5",
# " 5", "1_000", and digits of other scripts (U+0665).
INTEGER_PATTERN = r"-?[0-9]+"

# The contract's titles: http.HTTPStatus and the frameworks still say "Request Entity Too
# Large" and "Unprocessable Entity".
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}

# Fixed sentences rather than the frameworks' messages, some of which quote the request:
# a detail never repeats the input, a traceback, a file path or SQL.
DETAILS = {
    400: "The body is not JSON: UTF-8, no NaN or Infinity, at most 64 levels deep.",
    401: "This operation needs Authorization: Bearer <token>, from POST /api/tokens.",
    403: "Only the user itself may change or delete this user.",
    404: "Nothing exists at this path.",
    405: "This path does not support this method; Allow lists the ones it does.",
    409: "Another user already has this email.",
    413: "The body is larger than 65536 bytes.",
    415: "The body must be sent as Content-Type: application/json.",
    422: "The request breaks the rules of the API; errors lists each problem.",
    500: "The server failed to answer this request.",
    503: "The database cannot be reached; try again after Retry-After seconds.",
}

# The detail of create_token's 401: the same for an unknown email, a wrong password and a
# user who has no password yet.
SIGN_IN_FAILED = "The email or the password is wrong."

# WWW-Authenticate on a 401 (RFC 6750 section 3): no bearer token sent, or one that is
# malformed, badly signed, expired or revoked.
WWW_AUTHENTICATE = "Bearer"
WWW_AUTHENTICATE_INVALID_TOKEN = 'Bearer error="invalid_token"'

# The detail of a 400 that is not about the body: the server's own refusal of the request
# (a Host that is no host name, or one not allowed).
REQUEST_REFUSED = "The request was refused."

# Seconds a client is asked to wait after a 503.
RETRY_AFTER = "5"


def json_pointer(member: str) -> str:
    """Return the JSON pointer (RFC 6901) to a top-level member, in URI-fragment form."""
    token = member.replace("~", "~0").replace("/", "~1")
    return "#/" + quote(token, safe="!$&'()*+,;=:@?")


def decimal_regex(maximum: int) -> str:
    """Return a regex for the numbers 1 to maximum in ASCII digits, no sign, no leading zero."""
    digits = str(maximum)
    # Any number with fewer digits than maximum; or maximum's first few digits, then a
    # smaller digit, then any digits; or maximum itself.
    alternatives = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"]
    for position, digit in enumerate(digits):
        smallest = "1" if position == 0 else "0"
        if digit > smallest:
            rest = len(digits) - position - 1
            alternatives.append(f"{digits[:position]}[{smallest}-{int(digit) - 1}][0-9]{{{rest}}}")
    alternatives.append(digits)
    return "|".join(alternatives)


# A user id in a path: 1 to MAX_ID, in ASCII digits, no sign, no leading zero. The range is
# in the regex itself, so that a router can refuse an id before it looks at the method (404
# before 405) without converting it first.
USER_ID_REGEX = decimal_regex(MAX_ID)
