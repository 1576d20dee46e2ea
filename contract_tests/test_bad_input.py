"""Every bad-input row of the contract, and the order in which they win."""

import json
import uuid

import pytest

from contract_tests.client import ApiClient, assert_problem, check_response
from contract_tests.plugin import Target
from contract_tests.test_success import (
    MAX_ID,
    PASSWORD,
    create_user,
    list_users,
    sign_up,
    unique_email,
)

BODY_METHODS = ["POST", "PUT", "PATCH"]
ALLOW = {
    "/api/users": {"GET", "HEAD", "POST", "OPTIONS"},
    "/api/users/1": {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"},
    "/health": {"GET", "HEAD", "OPTIONS"},
}
MAX_BODY = 65536
# A marker that must never come back in an error body.
ECHO = "ECHO" + uuid.uuid4().hex


def body_path(api: ApiClient, method: str) -> tuple[str, ApiClient]:
    """Where ``method`` takes a body, and who sends it: anyone to the collection (sign-up
    needs no token), or a new user to its own path, so that only the body is wrong."""
    if method == "POST":
        return "/api/users", api
    user, owner = sign_up(api)
    return f"/api/users/{user['id']}", owner


def padded(body: dict, size: int) -> bytes:
    """``body`` as JSON, padded with trailing white space to ``size`` bytes."""
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


# -- 404: no such route, or a path id that is not an id --------------------

BAD_IDS = [
    "abc",
    "0",
    "-1",
    "01",
    "+1",
    "1.5",
    "1e3",
    " 1",
    "\u0661",
    str(MAX_ID + 1),
    "9" * 40,
    ECHO,
]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nope",
        "/api",
        "/api/users/",
        "/health/",
        "/api/users/1/",
        "/api/users/1/x",
        "/API/users",
        f"/{ECHO}",
    ],
)
def test_unknown_path_is_404(api: ApiClient, path: str) -> None:
    for method in ["GET", "POST", "HEAD", "OPTIONS"]:
        assert_problem(api.request(method, path), 404)


@pytest.mark.parametrize("user_id", BAD_IDS)
def test_malformed_id_is_404(api: ApiClient, user_id: str) -> None:
    path = f"/api/users/{user_id}"
    for method in ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE"]:
        response = api.request(method, path)
        assert_problem(response, 404)
        assert ECHO not in response.text
    for method in BODY_METHODS[1:]:
        assert_problem(api.request(method, path, body={"name": "a", "email": unique_email()}), 404)


def test_missing_user_is_404(api: ApiClient) -> None:
    user, owner = sign_up(api)
    assert owner.delete(f"/api/users/{user['id']}").status_code == 204
    # The owner's token went with the user (a 401): another user, signed in, asks; 404 (no
    # such user) comes before 403 (not the owner).
    for user_id in [user["id"], MAX_ID]:
        path = f"/api/users/{user_id}"
        for method in ["GET", "HEAD", "DELETE"]:
            assert_problem(api.request(method, path), 404)
        assert_problem(api.put(path, body={"name": "a", "email": unique_email()}), 404)
        assert_problem(api.patch(path, body={"name": "a"}), 404)
        assert_problem(api.patch(path, body={}), 404)


# -- 405: a method the path does not document --------------------------------


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/users", ["PUT", "PATCH", "DELETE", "TRACE", "BREW"]),
        ("/api/users/1", ["POST", "TRACE"]),
        ("/health", ["POST", "PUT", "PATCH", "DELETE", "TRACE"]),
    ],
)
def test_undocumented_method_is_405_with_allow(
    api: ApiClient, path: str, methods: list[str]
) -> None:
    for method in methods:
        response = api.request(method, path)
        assert_problem(response, 405)
        assert {m.strip() for m in response.headers["allow"].split(",")} == ALLOW[path]


def test_method_with_a_digit_is_405_or_refused_at_the_edge(api: ApiClient, target: Target) -> None:
    # RFC 9110 allows digits in a method; nginx reads only letters, "_" and "-" there and
    # refuses the request (400), which the contract allows at the edge only.
    response = api.request("CONNECT2", "/api/users")
    mode = target.name.partition("-")[2]  # "edge", "sqlite", ...; none for --base-url servers
    maybe_behind_an_edge = mode == "edge" or (target.base_url is not None and not mode)
    if maybe_behind_an_edge and response.status_code == 400:
        assert_problem(response, 400)
        return
    assert_problem(response, 405)
    assert {m.strip() for m in response.headers["allow"].split(",")} == ALLOW["/api/users"]


# -- 413: more than 64 KiB ---------------------------------------------------


@pytest.mark.parametrize("method", BODY_METHODS)
def test_body_over_64_kib_is_413(api: ApiClient, method: str) -> None:
    path, sender = body_path(api, method)
    body = {"name": "big", "email": unique_email(), "password": PASSWORD}
    response = sender.request(
        method, path, content=padded(body, MAX_BODY + 1), content_type="application/json"
    )
    assert_problem(response, 413)
    response = sender.request(
        method, path, content=b"x" * (10 * MAX_BODY), content_type="application/json"
    )
    assert_problem(response, 413)
    assert list_users(api, email=body["email"])["total"] == 0


def test_body_of_exactly_64_kib_is_accepted(api: ApiClient) -> None:
    body = {"name": "exact", "email": unique_email(), "password": PASSWORD}
    response = api.post(
        "/api/users", content=padded(body, MAX_BODY), content_type="application/json"
    )
    assert response.status_code == 201


def test_chunked_body_over_64_kib_is_413(api: ApiClient) -> None:
    def chunks():
        for _ in range(3):
            yield b" " * MAX_BODY
        yield json.dumps(
            {"name": "chunked", "email": unique_email(), "password": PASSWORD}
        ).encode()

    response = api.http.post(
        "/api/users", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


# -- 415: not application/json ------------------------------------------------


@pytest.mark.parametrize("method", BODY_METHODS)
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/merge-patch+json",
        "application/vnd.api+json",
        "application/jsonx",
        "text/json",
        "application/xml",
    ],
)
def test_body_that_is_not_json_media_type_is_415(
    api: ApiClient, method: str, content_type: str | None
) -> None:
    path, sender = body_path(api, method)
    body = json.dumps({"name": "form", "email": unique_email(), "password": PASSWORD}).encode()
    assert_problem(sender.request(method, path, content=body, content_type=content_type), 415)


def test_json_media_type_parameters_and_case_are_accepted(api: ApiClient) -> None:
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json;charset=UTF-8",
    ]:
        body = json.dumps({"name": "typed", "email": unique_email(), "password": PASSWORD})
        body = body.encode()
        assert api.post("/api/users", content=body, content_type=content_type).status_code == 201


# -- 400: not JSON ------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


NOT_JSON = {
    "empty": b"",
    "truncated": b'{"name": "a", "email": ',
    "single quotes": b"{'name': 'a'}",
    "trailing comma": b'{"name": "a",}',
    "NaN": b'{"name": NaN, "email": "a@example.com"}',
    "Infinity": b'{"name": "a", "email": "a@example.com", "x": Infinity}',
    "-Infinity": b'{"name": -Infinity}',
    "invalid UTF-8": b'{"name": "\xff\xfe", "email": "a@example.com"}',
    "byte-order mark": b'\xef\xbb\xbf{"name": "a", "email": "a@example.com"}',
    "UTF-16": '{"name": "a", "email": "a@example.com"}'.encode("utf-16"),
    "lone surrogate": b'{"name": "\\ud800", "email": "a@example.com"}',
    "65 levels": b'{"name": ' + nested(64) + b"}",
    "absurdly deep": nested(20000),
    "two documents": b'{"name": "a"} {"name": "b"}',
    "echo": ECHO.encode(),
}


@pytest.mark.parametrize("method", BODY_METHODS)
@pytest.mark.parametrize("raw", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_body_that_is_not_json_is_400(api: ApiClient, method: str, raw: bytes) -> None:
    path, sender = body_path(api, method)
    response = sender.request(method, path, content=raw, content_type="application/json")
    assert_problem(response, 400)
    assert ECHO not in response.text


def test_64_levels_of_nesting_are_json(api: ApiClient) -> None:
    response = api.post("/api/users", content=nested(64), content_type="application/json")
    assert_problem(response, 422, pointers={"#"})


# -- 422: valid JSON, invalid user ----------------------------------------------


@pytest.mark.parametrize("method", BODY_METHODS)
@pytest.mark.parametrize(
    "body", [[], [{"name": "a", "email": "a@example.com"}], "user", 1, 1.5, True, None]
)
def test_body_that_is_not_an_object_is_422(api: ApiClient, method: str, body: object) -> None:
    raw = json.dumps(body).encode()
    path, sender = body_path(api, method)
    response = sender.request(method, path, content=raw, content_type="application/json")
    assert_problem(response, 422, pointers={"#"})


BAD_NAMES = [
    123,
    1.5,
    None,
    True,
    [],
    {},
    ["a"],
    "",
    " ",
    "   \t\n",
    "\u3000\u00a0\u2003",
    "\u0085\u2028",
    "n" * 101,
    "a\u0000b",
    "\u0000",
    ECHO + "\u0000",
]
BAD_EMAILS = [
    123,
    None,
    True,
    [],
    {},
    "",
    "plainaddress",
    "a@",
    "@example.com",
    "a b@example.com",
    "a@b@example.com",
    "a@example..com",
    "a@-example.com",
    "a@example-.com",
    "a@exa_mple.com",
    "ä@example.com",
    "a@exämple.com",
    "a@example.com\n",
    " a@example.com",
    "a\u0000@example.com",
    f"a@{'b' * 64}.com",
    "x" * 245 + "@example.com",
    ECHO + "@",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_bad_name_is_422(api: ApiClient, name: object) -> None:
    email = unique_email()
    response = api.post("/api/users", body={"name": name, "email": email, "password": PASSWORD})
    assert_problem(response, 422, pointers={"#/name"})
    assert ECHO not in response.text
    user, owner = sign_up(api)
    assert_problem(
        owner.put(f"/api/users/{user['id']}", body={"name": name, "email": email}),
        422,
        pointers={"#/name"},
    )
    assert_problem(
        owner.patch(f"/api/users/{user['id']}", body={"name": name}), 422, pointers={"#/name"}
    )
    assert api.get(f"/api/users/{user['id']}").json() == user
    assert list_users(api, email=email)["total"] == 0


@pytest.mark.parametrize("email", BAD_EMAILS, ids=repr)
def test_bad_email_is_422(api: ApiClient, email: object) -> None:
    response = api.post("/api/users", body={"name": "a", "email": email, "password": PASSWORD})
    assert_problem(response, 422, pointers={"#/email"})
    assert ECHO not in response.text
    user, owner = sign_up(api)
    assert_problem(
        owner.put(f"/api/users/{user['id']}", body={"name": "a", "email": email}),
        422,
        pointers={"#/email"},
    )
    assert_problem(
        owner.patch(f"/api/users/{user['id']}", body={"email": email}), 422, pointers={"#/email"}
    )
    assert api.get(f"/api/users/{user['id']}").json() == user


def test_missing_members_are_422(api: ApiClient) -> None:
    # Sign-up needs all three members; a replace, name and email (a password is optional).
    everything = {"#/name", "#/email", "#/password"}
    assert_problem(api.post("/api/users", body={}), 422, pointers=everything)
    members = {"name": "a", "email": unique_email(), "password": PASSWORD}
    for member in members:
        body = {key: value for key, value in members.items() if key != member}
        assert_problem(api.post("/api/users", body=body), 422, pointers={f"#/{member}"})
    assert_problem(
        api.post("/api/users", body={"name": "a"}), 422, pointers=everything - {"#/name"}
    )
    assert list_users(api, email=members["email"])["total"] == 0
    user, owner = sign_up(api)
    path = f"/api/users/{user['id']}"
    assert_problem(owner.put(path, body={"name": "a"}), 422, pointers={"#/email"})
    assert_problem(
        owner.put(path, body={"name": "a", "password": PASSWORD}), 422, pointers={"#/email"}
    )
    assert_problem(owner.put(path, body={}), 422, pointers={"#/name", "#/email"})
    assert api.get(path).json() == user


def test_every_bad_member_is_named(api: ApiClient) -> None:
    body = {"zeta": 1, "name": "", "email": "nope", "password": PASSWORD, "alpha": 2}
    response = api.post("/api/users", body=body)
    assert_problem(response, 422, pointers={"#/name", "#/email", "#/zeta", "#/alpha"})
    # In the contract's order: name, email, then unknown members as the body has them.
    pointers = [item["pointer"] for item in response.json()["errors"]]
    assert pointers == ["#/name", "#/email", "#/zeta", "#/alpha"]
    query = [("email", "nope"), ("offset", "-1"), ("offset", "1"), ("limit", "0")]
    parameters = [
        item["parameter"] for item in api.get("/api/users", params=query).json()["errors"]
    ]
    assert parameters == ["limit", "offset", "email"]


@pytest.mark.parametrize("method", BODY_METHODS)
def test_mass_assignment_is_422_and_changes_nothing(api: ApiClient, method: str) -> None:
    user, owner = sign_up(api)
    path, sender = ("/api/users", api) if method == "POST" else (f"/api/users/{user['id']}", owner)
    email = unique_email()
    # The stored hash is no member either: a client may set a password, never its hash.
    extra = {
        "id": user["id"] + 1000,
        "created_at": "2000-01-01T00:00:00.000000Z",
        "is_admin": True,
        "password_hash": "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    }
    valid = {"name": "Mallory", "email": email, "password": PASSWORD}
    response = sender.request(method, path, body=valid | extra)
    assert_problem(
        response, 422, pointers={"#/id", "#/created_at", "#/is_admin", "#/password_hash"}
    )
    assert_problem(sender.request(method, path, body=valid | {"id": None}), 422, pointers={"#/id"})
    # Nor the password: the owner's token, which a new one would revoke, still works.
    assert owner.get(f"/api/users/{user['id']}").json() == user
    assert list_users(api, email=email)["total"] == 0


def test_pointers_are_escaped(api: ApiClient) -> None:
    body = {"name": "a", "email": unique_email(), "password": PASSWORD, "a/b c~": 1, "": 2, "ü": 3}
    response = api.post("/api/users", body=body)
    assert_problem(response, 422, pointers={"#/a~1b%20c~0", "#/", "#/%C3%BC"})


# -- 422: query parameters -------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": "0"}, {"limit"}),
        ({"limit": "101"}, {"limit"}),
        ({"limit": "-1"}, {"limit"}),
        ({"limit": "abc"}, {"limit"}),
        ({"limit": "1.5"}, {"limit"}),
        ({"limit": ""}, {"limit"}),
        ({"limit": "+5"}, {"limit"}),
        ({"limit": " 5"}, {"limit"}),
        ({"limit": "1e1"}, {"limit"}),
        ({"limit": "\u0665"}, {"limit"}),
        ({"limit": "9" * 30}, {"limit"}),
        ({"offset": "-1"}, {"offset"}),
        ({"offset": "abc"}, {"offset"}),
        ({"offset": "0.0"}, {"offset"}),
        ({"offset": str(2**63)}, {"offset"}),
        ({"email": "nope"}, {"email"}),
        ({"email": ""}, {"email"}),
        ({"email": "a\u0000@example.com"}, {"email"}),
        ({"email": "x" * 245 + "@example.com"}, {"email"}),
        ({"limit": ECHO, "offset": ECHO, "email": ECHO}, {"limit", "offset", "email"}),
        ([("limit", "5"), ("limit", "6")], {"limit"}),
        ([("offset", "1"), ("offset", "1")], {"offset"}),
    ],
    ids=repr,
)
def test_bad_query_parameter_is_422(api: ApiClient, params: object, named: set[str]) -> None:
    for method in ["GET", "HEAD"]:
        response = api.request(method, "/api/users", params=params)
        assert_problem(response, 422, parameters=named)
        assert ECHO not in response.text


def test_unknown_query_parameters_are_ignored(api: ApiClient) -> None:
    assert api.get("/api/users", params={"page": "x", "sort": "-id"}).status_code == 200
    many = [(f"x{number}", "1") for number in range(1000)]  # a request line of 6,920 bytes
    assert api.get("/api/users", params=many).status_code == 200


def test_large_request_heads_reach_the_application(api: ApiClient) -> None:
    # Within the contract's limits (a request line of 8190 bytes, 100 header fields of
    # 8190 bytes), a server's or the edge's own limits must not answer for the application.
    headers = {f"X-Extra-{number}": "x" for number in range(90)} | {"X-Long": "y" * 8000}
    assert api.get("/health", headers=headers).status_code == 200
    assert api.get("/api/users", params={"q": "z" * 8000}).status_code == 200


# -- 409: the email is taken ----------------------------------------------------


def test_duplicate_email_is_409(api: ApiClient) -> None:
    first = create_user(api)
    other, owner = sign_up(api)
    taken = first["email"].upper()
    body = {"name": "b", "email": taken, "password": PASSWORD}
    assert_problem(api.post("/api/users", body=body), 409)
    assert_problem(owner.put(f"/api/users/{other['id']}", body={"name": "b", "email": taken}), 409)
    assert_problem(owner.patch(f"/api/users/{other['id']}", body={"email": taken}), 409)
    assert api.get(f"/api/users/{other['id']}").json() == other
    assert list_users(api, email=first["email"])["items"] == [first]


# -- precedence: 404 route, 405, 401, 413, 415, 400, 422, 404 user, 403, 409 --------


def test_precedence(api: ApiClient) -> None:
    big = b"x" * (MAX_BODY + 1)
    taken = create_user(api)["email"]
    user, owner = sign_up(api)
    own = f"/api/users/{user['id']}"
    missing = f"/api/users/{MAX_ID}"
    anonymous = api.as_user(None)
    # A malformed id beats everything, even an undocumented method and a missing token.
    assert_problem(anonymous.request("TRACE", "/api/users/abc"), 404)
    assert_problem(
        anonymous.request("POST", "/api/users/abc", content=big, content_type="text/plain"), 404
    )
    assert_problem(anonymous.request("PUT", "/api/users/abc", content=big), 404)
    # 405 beats 401, 413 and 415.
    assert_problem(
        anonymous.request("PUT", "/api/users", content=big, content_type="text/plain"), 405
    )
    # 401 beats 413, 415, 400 and 422: the body of a request without a usable token is
    # never read (the owner's own path, so that nothing else is wrong but the token).
    for sender, challenge in [
        (anonymous, "Bearer"),
        (api.as_user("not-a-token"), 'Bearer error="invalid_token"'),
    ]:
        for method in ["PUT", "PATCH"]:
            for content, content_type in [
                (big, "application/json"),
                (big, "text/plain"),
                (b"{", "text/plain"),
                (b'{"name": NaN}', "application/json"),
                (b'{"name": ""}', "application/json"),
            ]:
                response = sender.request(method, own, content=content, content_type=content_type)
                assert_problem(response, 401)
                assert response.headers["www-authenticate"] == challenge
        assert_problem(sender.delete(own), 401)
    # 413 beats 415 and 400, and 403: another user's token is read after the body's size.
    assert_problem(api.post("/api/users", content=big, content_type="text/plain"), 413)
    assert_problem(api.put(own, content=big, content_type="text/plain"), 413)
    # 415 beats 400.
    assert_problem(api.post("/api/users", content=b"{", content_type="text/plain"), 415)
    assert_problem(api.patch(own, content=b"{", content_type="text/plain"), 415)
    # 400 beats 422.
    assert_problem(
        api.post("/api/users", content=b'{"id": 1, "name": NaN}', content_type="application/json"),
        400,
    )
    # 422 beats 404 (no such user), 403 and 409.
    assert_problem(api.put(missing, body={"name": "", "email": taken}), 422, pointers={"#/name"})
    assert_problem(api.patch(missing, body={"role": "admin"}), 422, pointers={"#/role"})
    assert_problem(api.put(own, body={"name": "", "email": taken}), 422, pointers={"#/name"})
    # 404 (no such user) beats 403 (no one owns it) and 409.
    assert_problem(api.put(missing, body={"name": "a", "email": taken}), 404)
    assert_problem(api.patch(missing, body={"email": taken}), 404)
    assert_problem(api.delete(missing), 404)
    # 403 beats 409.
    assert_problem(api.put(own, body={"name": "a", "email": taken}), 403)
    assert_problem(api.patch(own, body={"email": taken}), 403)
    assert_problem(api.delete(own), 403)
    # The owner, with the same bodies, gets the 409: nothing above was the owner's fault.
    assert_problem(owner.put(own, body={"name": "a", "email": taken}), 409)
    assert_problem(owner.patch(own, body={"email": taken}), 409)
    assert api.get(own).json() == user


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "malformed-token"])
def test_body_over_64_kib_without_a_usable_token_is_401(
    api: ApiClient, method: str, token: str | None
) -> None:
    # 401 before 413, also where a proxy limits bodies (the edge asks the application).
    user, _ = sign_up(api)
    sender = api.as_user(token)
    path = f"/api/users/{user['id']}"
    body = {"name": "big", "email": unique_email()}
    for content in [padded(body, MAX_BODY + 1), padded(body, 70 * 1024)]:
        response = sender.request(method, path, content=content, content_type="application/json")
        assert_problem(response, 401)

    def chunks():
        for _ in range(3):
            yield b" " * MAX_BODY
        yield json.dumps(body).encode()

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = api.http.request(method, path, content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    check_response(response)
    assert_problem(response, 401)
    assert api.get(path).json() == user
