"""Every row of the contract's Sign-in section: passwords, tokens, 401 and 403, revocation.

The design the three implementations share is docs/sign-in.md: argon2id hashes in the PHC
format, simplejwt's access-token claims signed with HS256 and ``JWT_SECRET``, and one order
of the errors. The last tests run the three on one database and one key, and sign users up,
in and on through different implementations.
"""

import base64
import json
import os
import re
import time
import unicodedata
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from contract_tests.client import ApiClient, assert_problem
from contract_tests.implementations import IMPLEMENTATIONS
from contract_tests.servers import empty_database, running_server
from contract_tests.test_one_database import query
from contract_tests.test_success import (
    MAX_ID,
    PASSWORD,
    create_user,
    sign_in,
    sign_up,
    unique_email,
)

NAMES = [impl.name for impl in IMPLEMENTATIONS]
BEARER = "Bearer"
INVALID_TOKEN = 'Bearer error="invalid_token"'
LIFETIME = 900
CLAIMS = {"token_type", "exp", "iat", "jti", "sub", "hash_password"}
JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
MAX_BODY = 65536
# A key that no implementation signs with: as long as theirs, so PyJWT does not warn.
OTHER_KEY = "not-the-key-of-any-implementation-" + "1" * 32
# Where a password or its hash could show up in a body if an implementation leaked it.
HASH_MARKERS = ("$argon2", "argon2id", "password_hash", "hash_password")


def anonymous(api: ApiClient) -> ApiClient:
    """``api`` without a token."""
    return api.as_user(None)


def assert_unauthorized(response: httpx.Response, challenge: str) -> None:
    """A 401 Problem Details (no body for HEAD) whose ``WWW-Authenticate`` is ``challenge``."""
    assert_problem(response, 401)
    assert response.headers.get("www-authenticate") == challenge
    if response.request.method == "HEAD":
        assert response.content == b""


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a token, read without checking its signature."""
    return jwt.decode(token, options={"verify_signature": False})


def base64url(data: bytes) -> str:
    """``data`` in base64url without padding, as JWS writes each part (RFC 7515)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature (RFC 7519 section 6)."""
    header = base64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{base64url(json.dumps(claims).encode())}."


def live_mode(config: pytest.Config) -> bool:
    """Whether the suite tests servers that were already running (``--base-url``)."""
    return bool(config.getoption("--base-url") or os.environ.get("CONTRACT_BASE_URLS"))


@pytest.fixture
def signing_key(api: ApiClient, request: pytest.FixtureRequest) -> str:
    """``JWT_SECRET``, once a token from the target is seen to be signed with it.

    The plugin gives every server it starts this key; a server already running
    (``--base-url``) may have another one, and then the tests that forge tokens skip.
    """
    key = os.environ["JWT_SECRET"]
    user = create_user(api)
    token = sign_in(api, user["email"])
    try:
        jwt.decode(token, key, algorithms=["HS256"])
    except jwt.InvalidSignatureError:
        if live_mode(request.config):
            pytest.skip("the server under test does not sign with JWT_SECRET")
        raise
    return key


def protected_requests(user_id: int) -> list[tuple[str, str, Any]]:
    """One request of each operation that needs a token: method, path, body."""
    path = f"/api/users/{user_id}"
    return [
        ("GET", "/api/users", None),
        ("HEAD", "/api/users", None),
        ("GET", path, None),
        ("HEAD", path, None),
        ("PUT", path, {"name": "Replaced", "email": unique_email()}),
        ("PATCH", path, {"name": "Updated"}),
        ("DELETE", path, None),
    ]


def assert_every_operation_refuses(api: ApiClient, user: dict, challenge: str) -> None:
    """Every operation that needs a token answers 401 with ``challenge``."""
    for method, path, body in protected_requests(user["id"]):
        assert_unauthorized(api.request(method, path, body=body), challenge)


# -- create_token -------------------------------------------------------------------


def test_create_token_returns_a_bearer_token_for_the_email_in_any_case(api: ApiClient) -> None:
    user = create_user(api, email=unique_email("Example.org").replace("user", "User"))
    response = anonymous(api).post(
        "/api/tokens", body={"email": user["email"].upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    assert "www-authenticate" not in response.headers
    assert "location" not in response.headers
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == LIFETIME
    assert isinstance(body["access_token"], str)
    assert JWS.fullmatch(body["access_token"])
    assert api.as_user(body["access_token"]).get(f"/api/users/{user['id']}").json() == user


def test_token_claims_are_simplejwts_access_token(api: ApiClient, signing_key: str) -> None:
    user = create_user(api)
    before = int(time.time())
    token = sign_in(api, user["email"])
    after = int(time.time())
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, signing_key, algorithms=["HS256"])
    assert set(claims) == CLAIMS
    assert claims["token_type"] == "access"
    assert all(type(claims[name]) is int for name in ("iat", "exp"))
    assert before - 1 <= claims["iat"] <= after + 1
    assert claims["exp"] == claims["iat"] + LIFETIME
    assert re.fullmatch(r"[0-9a-f]{32}", claims["jti"])
    assert claims["sub"] == str(user["id"])
    assert re.fullmatch(r"[0-9A-F]{32}", claims["hash_password"])


def test_each_sign_in_gets_a_token_of_its_own_with_the_same_fingerprint(api: ApiClient) -> None:
    user = create_user(api)
    first, second = (sign_in(api, user["email"]) for _ in range(2))
    assert claims_of(first)["jti"] != claims_of(second)["jti"]
    # hash_password fingerprints the stored hash: the same until the password changes.
    assert claims_of(first)["hash_password"] == claims_of(second)["hash_password"]
    for token in (first, second):
        assert api.as_user(token).get(f"/api/users/{user['id']}").status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_401(api: ApiClient) -> None:
    user = create_user(api)
    guest = anonymous(api)
    answers = [
        guest.post("/api/tokens", body={"email": email, "password": password})
        for email, password in [
            (unique_email(), PASSWORD),  # no such user
            (user["email"], PASSWORD + "!"),  # the wrong password
            (user["email"], PASSWORD.upper()),
            (user["email"], "short"),  # checked, not validated: wrong, not 422
            (user["email"], "x" * 1000),
            (user["email"], ""),
            (user["email"], PASSWORD + "\u0000"),
            (user["email"].replace("@", "@@"), PASSWORD),  # not even an email
            ("", ""),
            ("nul\u0000@example.com", PASSWORD),
        ]
    ]

    def without_date(response: httpx.Response) -> dict[str, str]:
        return {name: value for name, value in response.headers.items() if name != "date"}

    for response in answers:
        assert_unauthorized(response, BEARER)
        assert response.json() == answers[0].json()
        assert without_date(response) == without_date(answers[0])


# -- create_token's body ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({}, {"#/email", "#/password"}),
        ({"email": "ada@example.com"}, {"#/password"}),
        ({"password": PASSWORD}, {"#/email"}),
        ({"email": "ada@example.com", "password": PASSWORD, "remember": True}, {"#/remember"}),
        ({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"}, {"#/name"}),
        ({"email": 123, "password": PASSWORD}, {"#/email"}),
        ({"email": "ada@example.com", "password": 123456789012345678}, {"#/password"}),
        ({"email": "ada@example.com", "password": None}, {"#/password"}),
        ({"email": "ada@example.com", "password": ["correct horse battery"]}, {"#/password"}),
        ({"email": ["ada@example.com"], "password": {"x": 1}}, {"#/email", "#/password"}),
        ([], {"#"}),
        ("ada@example.com", {"#"}),
    ],
    ids=repr,
)
def test_bad_token_request_is_422(api: ApiClient, body: Any, pointers: set[str]) -> None:
    response = anonymous(api).post("/api/tokens", body=body)
    assert_problem(response, 422, pointers=pointers)
    assert "www-authenticate" not in response.headers


def test_token_request_that_is_not_json_is_413_415_or_400(api: ApiClient) -> None:
    guest = anonymous(api)
    raw = json.dumps({"email": "ada@example.com", "password": PASSWORD}).encode()
    big = b" " * MAX_BODY + raw
    assert_problem(guest.post("/api/tokens", content=big, content_type="application/json"), 413)
    assert_problem(guest.post("/api/tokens", content=raw, content_type="text/plain"), 415)
    assert_problem(guest.post("/api/tokens", content=raw), 415)
    form = b"email=ada%40example.com&password=correct+horse+battery"
    assert_problem(
        guest.post("/api/tokens", content=form, content_type="application/x-www-form-urlencoded"),
        415,
    )
    assert_problem(guest.post("/api/tokens", content=b"{", content_type="application/json"), 400)
    nan = b'{"email": "ada@example.com", "password": NaN}'
    assert_problem(guest.post("/api/tokens", content=nan, content_type="application/json"), 400)


def test_tokens_path_allows_post_and_options_only(api: ApiClient) -> None:
    guest = anonymous(api)
    options = guest.request("OPTIONS", "/api/tokens")
    assert options.status_code == 204
    assert {m.strip() for m in options.headers["allow"].split(",")} == {"POST", "OPTIONS"}
    for method in ["GET", "HEAD", "PUT", "PATCH", "DELETE", "TRACE"]:
        response = guest.request(method, "/api/tokens")
        assert_problem(response, 405)
        assert {m.strip() for m in response.headers["allow"].split(",")} == {"POST", "OPTIONS"}
    assert_problem(guest.post("/api/tokens/", body={}), 404)


# -- password: its rules, in create, replace and update ----------------------------------

GOOD_PASSWORDS = {
    "15 characters": "a" * 15,
    "128 characters": "b" * 128,
    "15 spaces": " " * 15,  # no composition rule
    "letters of other scripts": "Zoë Łukasiewicz 李小龙 🚀",
    # U+FB01 LATIN SMALL LIGATURE FI: 8 characters as sent, 16 after NFKC.
    "ligatures, 16 after NFKC": "\ufb01" * 8,
    "ligatures, 128 after NFKC": "\ufb01" * 64,
    # e and COMBINING ACUTE ACCENT: 30 characters as sent, 15 after NFKC.
    "decomposed, 15 after NFKC": "e\u0301" * 15,
    "decomposed, 128 after NFKC": "e\u0301" * 128,
}
BAD_PASSWORDS = {
    "14 characters": "a" * 14,
    "129 characters": "b" * 129,
    "empty": "",
    # 15 as sent, but 14 after NFKC: the normalised form counts.
    "decomposed, 14 after NFKC": "e\u0301" + "a" * 13,
    "decomposed, 28 as sent, 14 after NFKC": "e\u0301" * 14,
    "ligatures, 65 as sent, 130 after NFKC": "\ufb01" * 65,
    "NUL": "correct horse\u0000battery",
    "only NUL": "\u0000" * 20,
    "a number": 123456789012345678,
    "null": None,
    "true": True,
    "an array": ["correct horse battery"],
    "an object": {"password": "correct horse battery"},
}


@pytest.mark.parametrize("password", GOOD_PASSWORDS.values(), ids=GOOD_PASSWORDS.keys())
def test_password_of_15_to_128_characters_after_nfkc_is_accepted(
    api: ApiClient, password: str
) -> None:
    user = create_user(api, password=password)
    assert list(user) == ["id", "name", "email", "created_at"]
    sign_in(api, user["email"], password)
    # Replace and update set it too.
    other, client = sign_up(api)
    path = f"/api/users/{other['id']}"
    body = {"name": other["name"], "email": other["email"], "password": password}
    assert client.put(path, body=body).json() == other
    client = api.as_user(sign_in(api, other["email"], password))
    assert client.patch(path, body={"password": PASSWORD}).json() == other
    client = api.as_user(sign_in(api, other["email"]))
    assert client.patch(path, body={"password": password}).json() == other
    sign_in(api, other["email"], password)


@pytest.mark.parametrize("password", BAD_PASSWORDS.values(), ids=BAD_PASSWORDS.keys())
def test_bad_password_is_422_in_create_replace_and_update(api: ApiClient, password: Any) -> None:
    email = unique_email()
    body = {"name": "Ada", "email": email, "password": password}
    assert_problem(api.post("/api/users", body=body), 422, pointers={"#/password"})
    user, client = sign_up(api)
    path = f"/api/users/{user['id']}"
    body = {"name": "Ada", "email": email, "password": password}
    assert_problem(client.put(path, body=body), 422, pointers={"#/password"})
    assert_problem(client.patch(path, body={"password": password}), 422, pointers={"#/password"})
    # Nothing changed: the token still works, the password still signs in, the email is free.
    assert client.get(path).json() == user
    sign_in(api, user["email"])
    create_user(api, email=email)


def test_password_is_required_in_create_only(api: ApiClient) -> None:
    response = api.post("/api/users", body={"name": "Ada", "email": unique_email()})
    assert_problem(response, 422, pointers={"#/password"})
    user, client = sign_up(api)
    path = f"/api/users/{user['id']}"
    assert client.put(path, body={"name": "Ada King", "email": user["email"]}).status_code == 200
    assert client.patch(path, body={"name": "Ada"}).status_code == 200
    # Without a password, neither changes it nor revokes the token.
    assert client.get(path).status_code == 200
    sign_in(api, user["email"])


def test_password_errors_come_after_name_and_email(api: ApiClient) -> None:
    body = {"zeta": 1, "password": "short", "email": "nope", "name": ""}
    response = api.post("/api/users", body=body)
    pointers = [item["pointer"] for item in response.json()["errors"]]
    assert pointers == ["#/name", "#/email", "#/password", "#/zeta"]


def test_composed_and_decomposed_forms_are_the_same_password(api: ApiClient) -> None:
    composed = "Zoë Ørsted café naïve"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    for stored, typed in [(composed, decomposed), (decomposed, composed)]:
        user = create_user(api, password=stored)
        sign_in(api, user["email"], typed)
        sign_in(api, user["email"], unicodedata.normalize("NFKC", typed))
    # Compatibility forms too: the ligature and the fullwidth letters are their NFKC form.
    user = create_user(api, password="\ufb01ve \ufb01ne \ufb01sh \ufb01ghters")
    sign_in(api, user["email"], "five fine fish fighters")
    sign_in(api, user["email"], "\uff46ive fine fish fighters")  # FULLWIDTH LATIN SMALL F
    # A different letter is a different password.
    response = anonymous(api).post(
        "/api/tokens", body={"email": user["email"], "password": "five fine fish fighterz"}
    )
    assert_unauthorized(response, BEARER)


def test_password_and_its_hash_are_in_no_response(api: ApiClient) -> None:
    secret = "SECRET" + uuid.uuid4().hex
    email = unique_email()
    seen = []

    def send(client: ApiClient, method: str, path: str, body: Any = None) -> httpx.Response:
        response = client.request(method, path, body=body)
        seen.append(response)
        return response

    created = send(api, "POST", "/api/users", {"name": "Ada", "email": email, "password": secret})
    user = created.json()
    path = f"/api/users/{user['id']}"
    token = send(api, "POST", "/api/tokens", {"email": email, "password": secret}).json()
    client = api.as_user(token["access_token"])
    send(client, "GET", path)
    send(client, "GET", "/api/users", None)
    send(client, "PUT", path, {"name": "Ada", "email": email, "password": secret + "2"})
    client = api.as_user(sign_in(api, email, secret + "2"))
    send(client, "PATCH", path, {"name": "Ada", "password": secret + "3"})
    client = api.as_user(sign_in(api, email, secret + "3"))
    # Errors that come with the password in the body: 409, 422 of another member, 422 of
    # the password itself, 401 of sign-in, 403 of another user's change.
    send(api, "POST", "/api/users", {"name": "Ada", "email": email, "password": secret})
    send(api, "POST", "/api/users", {"name": "", "email": unique_email(), "password": secret})
    send(api, "POST", "/api/users", {"name": "A", "email": unique_email(), "password": secret * 9})
    send(client, "PATCH", path, {"password": secret + "\u0000"})
    send(client, "PATCH", path, {"password": secret, "role": secret})
    send(api, "POST", "/api/tokens", {"email": email, "password": secret})
    send(api, "POST", "/api/tokens", {"email": email, "password": secret, "x": secret})
    send(api, "PUT", path, {"name": "Ada", "email": email, "password": secret})
    statuses = [response.status_code for response in seen]
    assert statuses == [201, 200, 200, 200, 200, 200, 409, 422, 422, 422, 422, 401, 422, 403]
    for response in seen:
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            for item in body.get("items", [body]):
                assert "password" not in item
        for text in [response.text, str(response.headers)]:
            assert secret not in text
            for marker in HASH_MARKERS:
                assert marker not in text


# -- 401: the operations that need a token -----------------------------------------------


def test_every_operation_that_needs_a_token_is_401_bearer_without_one(api: ApiClient) -> None:
    user, client = sign_up(api)
    assert_every_operation_refuses(anonymous(api), user, BEARER)
    # Nothing was replaced, updated or deleted.
    assert client.get(f"/api/users/{user['id']}").json() == user


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic dXNlcjpjb3JyZWN0IGhvcnNlIGJhdHRlcnk=",
        "Token 0123456789abcdef",
        "Digest username=ada",
        "JWT eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
        "",
    ],
)
def test_another_scheme_is_401_bearer(api: ApiClient, authorization: str) -> None:
    user = create_user(api)
    for method, path, body in protected_requests(user["id"]):
        response = api.request(method, path, body=body, headers={"Authorization": authorization})
        assert_unauthorized(response, BEARER)


def test_the_bearer_scheme_is_case_insensitive(api: ApiClient) -> None:
    user, client = sign_up(api)
    for scheme in ["bearer", "BEARER", "BeArEr"]:
        headers = {"Authorization": f"{scheme} {client.token}"}
        assert api.get(f"/api/users/{user['id']}", headers=headers).json() == user


def test_head_without_a_token_is_401_without_a_body(api: ApiClient) -> None:
    user = create_user(api)
    guest = anonymous(api)
    for path in ["/api/users", f"/api/users/{user['id']}"]:
        response = guest.request("HEAD", path)
        assert_unauthorized(response, BEARER)
        assert response.headers["content-type"].split(";")[0] == "application/problem+json"
        bad = guest.request("HEAD", path, headers={"Authorization": "Bearer x.y.z"})
        assert_unauthorized(bad, INVALID_TOKEN)


MALFORMED = {
    "no token": "Bearer",
    "not a JWT": "Bearer not-a-token",
    "three dots": "Bearer a.b.c",
    "two tokens": "Bearer a.b.c d.e.f",
    "not base64": "Bearer !!!.???.***",
    "very long": "Bearer " + "A" * 4000 + ".e30.c2ln",
}


@pytest.mark.parametrize("authorization", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_bearer_token_is_invalid_token(api: ApiClient, authorization: str) -> None:
    user = create_user(api)
    for method, path, body in protected_requests(user["id"]):
        response = api.request(method, path, body=body, headers={"Authorization": authorization})
        assert_unauthorized(response, INVALID_TOKEN)


# Forged tokens, from a real token: each breaks one rule of acceptance. Most are signed
# with the implementation's own key (JWT_SECRET), to fail for that rule alone.
DROP = object()


def resigned(token: str, key: str, algorithm: str = "HS256", **changes: Any) -> str:
    """``token``'s claims with ``changes`` (``DROP`` removes a claim), signed with ``key``."""
    claims = claims_of(token) | changes
    kept = {name: value for name, value in claims.items() if value is not DROP}
    return jwt.encode(kept, key, algorithm=algorithm)


def with_hs512(token: str, key: str) -> str:
    """``token`` signed with the right key, but HS512: the contract's algorithm is HS256."""
    with warnings.catch_warnings():
        # PyJWT asks HS512 for a key of 64 bytes (RFC 7518 section 3.2); JWT_SECRET may be
        # as short as 32, and this token is to be refused anyway.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return resigned(token, key, "HS512")


def expired(token: str, key: str) -> str:
    """``token`` as if it had been issued a lifetime and five seconds ago."""
    now = int(time.time())
    return resigned(token, key, iat=now - LIFETIME - 5, exp=now - 5)


# name: (whether it needs the key, forge(token, another user's token, key)).
FORGERIES: dict[str, tuple[bool, Callable[[str, str, str], str]]] = {
    "signed with another key": (False, lambda token, other, key: resigned(token, OTHER_KEY)),
    "alg none": (False, lambda token, other, key: unsigned(claims_of(token))),
    "signature removed": (False, lambda token, other, key: token.rpartition(".")[0] + "."),
    "signature of another token": (
        False,
        lambda token, other, key: token.rpartition(".")[0] + "." + other.rpartition(".")[2],
    ),
    "another algorithm, HS512": (True, lambda token, other, key: with_hs512(token, key)),
    "expired": (True, lambda token, other, key: expired(token, key)),
    "token_type refresh": (
        True,
        lambda token, other, key: resigned(token, key, token_type="refresh"),
    ),
    "no token_type": (True, lambda token, other, key: resigned(token, key, token_type=DROP)),
    "no jti": (True, lambda token, other, key: resigned(token, key, jti=DROP)),
    "no iat": (True, lambda token, other, key: resigned(token, key, iat=DROP)),
    "no exp": (True, lambda token, other, key: resigned(token, key, exp=DROP)),
    "exp not a number": (True, lambda token, other, key: resigned(token, key, exp="never")),
    "no sub": (True, lambda token, other, key: resigned(token, key, sub=DROP)),
    "sub of no user": (True, lambda token, other, key: resigned(token, key, sub=str(MAX_ID))),
    "sub beyond any id": (True, lambda token, other, key: resigned(token, key, sub="9" * 30)),
    "sub not an id": (True, lambda token, other, key: resigned(token, key, sub="abc")),
    "sub an integer": (
        True,
        lambda token, other, key: resigned(token, key, sub=int(claims_of(token)["sub"])),
    ),
    "sub of another user": (
        True,
        lambda token, other, key: resigned(token, key, sub=claims_of(other)["sub"]),
    ),
    "hash_password of no hash": (
        True,
        lambda token, other, key: resigned(token, key, hash_password="0" * 32),
    ),
    "hash_password in lower case": (
        True,
        lambda token, other, key: resigned(
            token, key, hash_password=claims_of(token)["hash_password"].lower()
        ),
    ),
    "no hash_password": (True, lambda token, other, key: resigned(token, key, hash_password=DROP)),
    "claims not an object": (
        True,
        lambda token, other, key: jwt.api_jws.encode(b"[1, 2]", key, algorithm="HS256"),
    ),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_token_is_invalid_token(
    api: ApiClient, request: pytest.FixtureRequest, forgery: str
) -> None:
    needs_key, forge = FORGERIES[forgery]
    key = request.getfixturevalue("signing_key") if needs_key else OTHER_KEY
    user, client = sign_up(api)
    other, other_client = sign_up(api)
    token = forge(client.token, other_client.token, key)
    assert_every_operation_refuses(api.as_user(token), user, INVALID_TOKEN)
    # The real tokens still work; nothing was changed.
    assert client.get(f"/api/users/{user['id']}").json() == user
    assert other_client.get(f"/api/users/{other['id']}").json() == other


def test_a_token_re_signed_with_the_key_is_accepted(api: ApiClient, signing_key: str) -> None:
    """The forgeries above fail for what they change, not for being re-signed."""
    user, client = sign_up(api)
    token = resigned(client.token, signing_key)
    assert api.as_user(token).get(f"/api/users/{user['id']}").json() == user


def test_sign_up_sign_in_health_and_options_need_no_token_and_ignore_a_bad_one(
    api: ApiClient,
) -> None:
    for authorization in [None, "Bearer not.a.token", "Basic dXNlcjpwYXNz"]:
        headers = {"Authorization": authorization} if authorization else {}
        guest = anonymous(api)
        body = {"name": "Ada", "email": unique_email(), "password": PASSWORD}
        created = guest.post("/api/users", body=body, headers=headers)
        assert created.status_code == 201
        credentials = {"email": body["email"], "password": PASSWORD}
        assert guest.post("/api/tokens", body=credentials, headers=headers).status_code == 200
        assert guest.get("/health", headers=headers).json() == {"status": "ok"}
        assert guest.request("HEAD", "/health", headers=headers).status_code == 200
        for path in ["/api/users", "/api/users/1", "/api/tokens", "/health"]:
            assert guest.request("OPTIONS", path, headers=headers).status_code == 204


# -- revocation ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_new_password_revokes_every_earlier_token(api: ApiClient, method: str) -> None:
    user, client = sign_up(api)
    earlier = api.as_user(sign_in(api, user["email"]))
    path = f"/api/users/{user['id']}"
    new = "a new password, longer"
    body = {"password": new} | (
        {"name": user["name"], "email": user["email"]} if method == "PUT" else {}
    )
    assert client.request(method, path, body=body).json() == user
    for revoked in (client, earlier):
        assert_every_operation_refuses(revoked, user, INVALID_TOKEN)
    response = anonymous(api).post(
        "/api/tokens", body={"email": user["email"], "password": PASSWORD}
    )
    assert_unauthorized(response, BEARER)
    signed_in = api.as_user(sign_in(api, user["email"], new))
    assert signed_in.get(path).json() == user


def test_setting_the_same_password_again_revokes_too(api: ApiClient) -> None:
    """A new hash has a new salt: the fingerprint in the earlier tokens no longer matches."""
    user, client = sign_up(api)
    path = f"/api/users/{user['id']}"
    assert client.patch(path, body={"password": PASSWORD}).status_code == 200
    assert_unauthorized(client.get(path), INVALID_TOKEN)
    token = sign_in(api, user["email"])
    assert claims_of(token)["hash_password"] != claims_of(client.token)["hash_password"]
    assert api.as_user(token).get(path).json() == user


def test_changes_without_a_password_keep_the_tokens(api: ApiClient) -> None:
    user, client = sign_up(api)
    path = f"/api/users/{user['id']}"
    email = unique_email()
    assert client.put(path, body={"name": "Ada King", "email": email}).status_code == 200
    assert client.patch(path, body={"name": "Ada"}).status_code == 200
    assert client.get(path).json() == user | {"name": "Ada", "email": email}
    sign_in(api, email)


def test_deleting_a_user_revokes_its_tokens(api: ApiClient) -> None:
    user, client = sign_up(api)
    earlier = api.as_user(sign_in(api, user["email"]))
    assert client.delete(f"/api/users/{user['id']}").status_code == 204
    for revoked in (client, earlier):
        assert_unauthorized(revoked.get("/api/users"), INVALID_TOKEN)
        assert_unauthorized(revoked.request("HEAD", "/api/users"), INVALID_TOKEN)
        assert_unauthorized(revoked.get(f"/api/users/{user['id']}"), INVALID_TOKEN)
        assert_unauthorized(revoked.delete(f"/api/users/{user['id']}"), INVALID_TOKEN)
    response = anonymous(api).post(
        "/api/tokens", body={"email": user["email"], "password": PASSWORD}
    )
    assert_unauthorized(response, BEARER)


# -- 403: another user's id -------------------------------------------------------------


def test_only_the_user_itself_may_replace_update_or_delete_it(api: ApiClient) -> None:
    ada, ada_client = sign_up(api)
    bob, bob_client = sign_up(api)
    path = f"/api/users/{ada['id']}"
    body = {"name": "Bob", "email": unique_email(), "password": "bob's password, long"}
    assert_problem(bob_client.put(path, body=body), 403)
    assert_problem(bob_client.patch(path, body={"name": "Bob"}), 403)
    assert_problem(bob_client.patch(path, body={"password": body["password"]}), 403)
    assert_problem(bob_client.patch(path, body={}), 403)
    assert_problem(bob_client.delete(path), 403)
    assert "www-authenticate" not in bob_client.delete(path).headers
    # Nothing changed: Ada's token, password and body are hers still.
    assert ada_client.get(path).json() == ada
    sign_in(api, ada["email"])
    # Reading is any signed-in user's right.
    assert bob_client.get(path).json() == ada
    assert bob_client.request("HEAD", path).status_code == 200
    assert bob_client.get("/api/users", params={"email": ada["email"]}).json()["items"] == [ada]
    assert ada_client.get(f"/api/users/{bob['id']}").json() == bob


# -- precedence: 404 route, 405, 401, 413, 415, 400, 422, 404 user, 403, 409 ----------


def test_precedence_of_401_against_404_and_405(api: ApiClient) -> None:
    guest = anonymous(api)
    stranger = api.as_user("not.a.token")
    for client in (guest, stranger):
        # A malformed id or an unknown route is 404 before any token is looked at.
        assert_problem(client.get("/api/users/abc"), 404)
        assert_problem(client.request("TRACE", "/api/users/abc"), 404)
        assert_problem(client.get("/api/nope"), 404)
        # An undocumented method is 405 before any token is looked at.
        assert_problem(client.request("TRACE", "/api/users"), 405)
        assert_problem(client.put("/api/users", body={"name": "a"}), 405)
        assert_problem(client.request("POST", "/api/users/1", body={"name": "a"}), 405)
        assert_problem(client.request("TRACE", f"/api/users/{MAX_ID}"), 405)


def test_precedence_of_401_before_413_415_400_422_404_403_and_409(api: ApiClient) -> None:
    ada = create_user(api)
    taken = create_user(api)["email"]
    big = b"x" * (MAX_BODY + 1)
    for client, challenge in [(anonymous(api), BEARER), (api.as_user("a.b.c"), INVALID_TOKEN)]:
        for path in [f"/api/users/{ada['id']}", f"/api/users/{MAX_ID}"]:
            for method in ["PUT", "PATCH"]:
                for content, content_type in [
                    (big, "application/json"),  # 413
                    (b'{"name": "a"}', "text/plain"),  # 415
                    (b"{", "application/json"),  # 400
                    (b'{"name": ""}', "application/json"),  # 422
                    (json.dumps({"name": "a", "email": taken}).encode(), "application/json"),
                ]:
                    response = client.request(
                        method, path, content=content, content_type=content_type
                    )
                    assert_unauthorized(response, challenge)
            assert_unauthorized(client.delete(path), challenge)
            assert_unauthorized(client.get(path), challenge)
        assert_unauthorized(client.get("/api/users", params={"limit": "0"}), challenge)


def test_precedence_after_401(api: ApiClient) -> None:
    ada = create_user(api)
    taken = create_user(api)["email"]
    bob, bob_client = sign_up(api)
    missing = f"/api/users/{MAX_ID}"
    other = f"/api/users/{ada['id']}"
    big = b"x" * (MAX_BODY + 1)
    for path in [missing, other]:
        # With a token: 413, 415, 400 and 422 before the user is looked up.
        assert_problem(bob_client.put(path, content=big, content_type="application/json"), 413)
        assert_problem(bob_client.put(path, content=b"{", content_type="text/plain"), 415)
        assert_problem(bob_client.patch(path, content=b"{", content_type="application/json"), 400)
        assert_problem(bob_client.put(path, body={"name": ""}), 422, pointers={"#/name", "#/email"})
        response = bob_client.patch(path, body={"password": "short"})
        assert_problem(response, 422, pointers={"#/password"})
    # 404 (no such user) before 403: a user that does not exist belongs to nobody.
    assert_problem(bob_client.put(missing, body={"name": "a", "email": taken}), 404)
    assert_problem(bob_client.patch(missing, body={"name": "a"}), 404)
    assert_problem(bob_client.delete(missing), 404)
    # 403 before 409: another user's id with an email that is taken.
    assert_problem(bob_client.put(other, body={"name": "a", "email": taken}), 403)
    assert_problem(bob_client.patch(other, body={"email": taken}), 403)
    # 409 on one's own id.
    own = f"/api/users/{bob['id']}"
    assert_problem(bob_client.patch(own, body={"email": taken.upper()}), 409)
    # create_token: a bad body is 422 before the password is checked.
    response = anonymous(api).post(
        "/api/tokens", body={"email": taken, "password": "wrong", "remember": True}
    )
    assert_problem(response, 422, pointers={"#/remember"})


# -- one database, one key, three implementations ---------------------------------------


@dataclass
class OneDatabase:
    """The three implementations serving one database with one key."""

    url: str
    apis: dict[str, ApiClient]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def one_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OneDatabase]:
    """The three implementations under their production servers, on one database and key."""
    with ExitStack() as stack:
        folder = tmp_path_factory.mktemp("sign-in")
        url = stack.enter_context(empty_database(request.param, folder, "sign_in"))
        apis = {}
        for name in NAMES:
            # One worker each: the tests send one request at a time. JWT_SECRET and the
            # argon2 settings come from the plugin, through the environment.
            base_url = stack.enter_context(running_server(name, url, env={"WEB_CONCURRENCY": "1"}))
            http = stack.enter_context(httpx.Client(base_url=base_url, timeout=30))
            apis[name] = ApiClient(http)
        yield OneDatabase(url, apis)


def test_tokens_and_hashes_work_across_implementations(
    one_database: OneDatabase, implementation: str
) -> None:
    """Signed up through one, signed in through the next, the token used on the third."""
    apis = one_database.apis
    position = NAMES.index(implementation)
    writer, signer, user_of_token = (NAMES[(position + step) % 3] for step in range(3))
    user = create_user(apis[writer])
    token = sign_in(apis[signer], user["email"])
    path = f"/api/users/{user['id']}"
    assert apis[user_of_token].as_user(token).get(path).json() == user

    # Each implementation verifies the hash `implementation` wrote, and `implementation`
    # verifies the hashes the others wrote; every token works on all three.
    users = {name: create_user(apis[name], password=f"written by {name}, long") for name in NAMES}
    for name, written in users.items():
        readers = NAMES if name == implementation else [implementation]
        for reader in readers:
            token = sign_in(apis[reader], written["email"], f"written by {name}, long")
            for other in NAMES:
                response = apis[other].as_user(token).get(f"/api/users/{written['id']}")
                assert response.json() == written, (name, reader, other)

    # A new password set through `implementation` revokes the token another one issued,
    # on all three; the new password signs in through all three.
    client = apis[implementation].as_user(sign_in(apis[signer], user["email"]))
    assert client.patch(path, body={"password": "set through " + implementation}).status_code == 200
    for name in NAMES:
        assert_unauthorized(apis[name].as_user(client.token).get(path), INVALID_TOKEN)
        fresh = apis[name].as_user(
            sign_in(apis[name], user["email"], "set through " + implementation)
        )
        assert fresh.get(path).json() == user

    # Another user's token is 403 on writes through every implementation.
    other_token = sign_in(apis[writer], users[signer]["email"], f"written by {signer}, long")
    for name in NAMES:
        assert_problem(apis[name].as_user(other_token).patch(path, body={"name": "x"}), 403)

    # Deleted through one, the user's tokens stop working on all three.
    token = sign_in(apis[user_of_token], user["email"], "set through " + implementation)
    assert apis[writer].as_user(token).delete(path).status_code == 204
    for name in NAMES:
        assert_unauthorized(apis[name].as_user(token).get("/api/users"), INVALID_TOKEN)


def test_a_user_without_a_password_cannot_sign_in(
    one_database: OneDatabase, implementation: str
) -> None:
    """A user from before passwords (no hash) gets the 401 of an unknown email; its tokens go."""
    api = one_database.apis[implementation]
    user, client = sign_up(api)
    query(one_database.url, f"UPDATE users SET password_hash = NULL WHERE id = {user['id']}")
    guest = anonymous(api)
    no_hash = guest.post("/api/tokens", body={"email": user["email"], "password": PASSWORD})
    unknown = guest.post("/api/tokens", body={"email": unique_email(), "password": PASSWORD})
    for response in (no_hash, unknown):
        assert_unauthorized(response, BEARER)
    assert no_hash.json() == unknown.json()
    # The token issued before fingerprints a hash the user no longer has.
    assert_every_operation_refuses(client, user, INVALID_TOKEN)
