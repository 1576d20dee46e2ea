"""The success paths of every operation, and the shape of what they return."""

import re
import uuid
from datetime import UTC, datetime, timedelta

from contract_tests.client import ApiClient

CREATED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
MAX_ID = 2**63 - 1


def unique_email(domain: str = "example.com") -> str:
    """An address that no other test uses."""
    return f"user-{uuid.uuid4().hex[:12]}@{domain}"


# A password that the contract accepts (15 to 128 characters after NFKC).
PASSWORD = "correct horse battery"


def create_user(api: ApiClient, **members: str) -> dict:
    """Create a user (any members overridden; the password is PASSWORD) and return its body."""
    body = {"name": "Ada Lovelace", "email": unique_email(), "password": PASSWORD} | members
    response = api.post("/api/users", body=body)
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(api: ApiClient, email: str, password: str = PASSWORD) -> str:
    """Take a token for ``email`` from create_token and return it."""
    response = api.post("/api/tokens", body={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def sign_up(api: ApiClient, **members: str) -> tuple[dict, ApiClient]:
    """Create a user and sign in: its body, and a client that calls the API as that user."""
    user = create_user(api, **members)
    return user, api.as_user(sign_in(api, user["email"], members.get("password", PASSWORD)))


def list_users(api: ApiClient, **params: object) -> dict:
    response = api.get("/api/users", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_create_returns_the_user_with_location(api: ApiClient) -> None:
    before = datetime.now(UTC)
    tag = uuid.uuid4().hex[:8]
    email = f"Ada.Lovelace+{tag}@Example.COM"
    body = {"name": "  Ada  Lovelace ", "email": email, "password": PASSWORD}
    response = api.post("/api/users", body=body)
    assert response.status_code == 201
    user = response.json()
    assert list(user) == ["id", "name", "email", "created_at"]  # never the password
    assert response.headers["location"] == f"/api/users/{user['id']}"
    assert isinstance(user["id"], int)
    assert 1 <= user["id"] <= MAX_ID
    assert user["name"] == "  Ada  Lovelace "  # stored exactly as sent
    assert user["email"] == f"ada.lovelace+{tag}@example.com"  # stored lower-cased
    assert CREATED_AT.fullmatch(user["created_at"])
    created = datetime.strptime(user["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=5) <= created <= datetime.now(UTC) + timedelta(seconds=5)


def test_create_keeps_unicode_names_and_limits(api: ApiClient) -> None:
    for name in ["Zoë Ł. 李小龙 🚀", "x", "n" * 100, "\t x \n"]:
        assert create_user(api, name=name)["name"] == name


def test_email_at_the_length_limit_is_accepted(api: ApiClient) -> None:
    local = uuid.uuid4().hex
    email = f"{local}@{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * (254 - len(local) - 1 - 3 * 64)}"
    assert len(email) == 254
    assert create_user(api, email=email)["email"] == email


def test_get_returns_the_stored_user(api: ApiClient) -> None:
    user = create_user(api)
    response = api.get(f"/api/users/{user['id']}")
    assert response.status_code == 200
    assert response.json() == user
    assert list(response.json()) == ["id", "name", "email", "created_at"]


def test_head_sends_the_headers_of_get_without_a_body(api: ApiClient) -> None:
    user = create_user(api)
    for path in [f"/api/users/{user['id']}", "/api/users", "/health"]:
        get = api.get(path)
        head = api.request("HEAD", path)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]


def test_list_pages_in_id_order(api: ApiClient) -> None:
    total_before = list_users(api)["total"]
    created = [create_user(api) for _ in range(3)]
    page = list_users(api, limit=2, offset=total_before)
    assert list(page) == ["items", "total", "limit", "offset"]
    assert page["items"] == created[:2]
    assert page["total"] == total_before + 3
    assert (page["limit"], page["offset"]) == (2, total_before)
    rest = list_users(api, limit=2, offset=total_before + 2)
    assert rest["items"] == created[2:]
    ids = [user["id"] for user in list_users(api, limit=100)["items"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_list_defaults_and_bounds(api: ApiClient) -> None:
    for _ in range(21 - list_users(api)["total"]):
        create_user(api)
    page = list_users(api)
    assert (page["limit"], page["offset"]) == (20, 0)
    assert len(page["items"]) == 20
    assert len(list_users(api, limit=1)["items"]) == 1
    assert list_users(api, limit=100)["limit"] == 100
    beyond = list_users(api, offset=MAX_ID)
    assert beyond["items"] == []
    assert beyond["offset"] == MAX_ID
    assert beyond["total"] == page["total"]


def test_list_filters_by_email_case_insensitively(api: ApiClient) -> None:
    user = create_user(api, email=unique_email("Filter.Example.org"))
    create_user(api)
    page = list_users(api, email=user["email"].upper())
    assert page["items"] == [user]
    assert page["total"] == 1
    missing = list_users(api, email=unique_email())
    assert (missing["items"], missing["total"]) == ([], 0)


def test_replace_sets_both_members(api: ApiClient) -> None:
    user, owner = sign_up(api)
    email = unique_email()
    response = owner.put(
        f"/api/users/{user['id']}", body={"name": "Ada King", "email": email.upper()}
    )
    assert response.status_code == 200
    replaced = response.json()
    assert replaced == user | {"name": "Ada King", "email": email}
    assert api.get(f"/api/users/{user['id']}").json() == replaced


def test_replace_with_own_email_in_another_case(api: ApiClient) -> None:
    user, owner = sign_up(api)
    response = owner.put(
        f"/api/users/{user['id']}", body={"name": "Same", "email": user["email"].upper()}
    )
    assert response.status_code == 200
    assert response.json()["email"] == user["email"]


def test_update_sets_only_the_members_sent(api: ApiClient) -> None:
    user, owner = sign_up(api)
    path = f"/api/users/{user['id']}"
    renamed = owner.patch(path, body={"name": "Countess"}).json()
    assert renamed == user | {"name": "Countess"}
    email = unique_email()
    moved = owner.patch(path, body={"email": email.upper()}).json()
    assert moved == renamed | {"email": email}
    unchanged = owner.patch(path, body={})
    assert unchanged.status_code == 200
    assert unchanged.json() == moved
    assert api.get(path).json() == moved


def test_delete_removes_the_user(api: ApiClient) -> None:
    user, owner = sign_up(api)
    path = f"/api/users/{user['id']}"
    response = owner.delete(path)
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(path).status_code == 404
    # The owner's token went with the user (401: test_sign_in.py): a user still signed in
    # finds nothing to delete, since 404 (no such user) comes before 403 (not the owner).
    assert api.delete(path).status_code == 404
    assert list_users(api, email=user["email"])["total"] == 0


def test_ids_are_not_reused_after_delete(api: ApiClient) -> None:
    user, owner = sign_up(api)
    assert owner.delete(f"/api/users/{user['id']}").status_code == 204
    assert create_user(api)["id"] > user["id"]


def test_health(api: ApiClient) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_options_answers_allow_without_a_body(api: ApiClient) -> None:
    for path, methods in [
        ("/api/users", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/api/users/1", {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
        (f"/api/users/{MAX_ID}", {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
        ("/health", {"GET", "HEAD", "OPTIONS"}),
    ]:
        response = api.request("OPTIONS", path)
        assert response.status_code == 204
        assert response.content == b""
        assert {m.strip() for m in response.headers["allow"].split(",")} == methods


def test_json_whatever_accept_says(api: ApiClient) -> None:
    user = create_user(api)
    for accept in ["text/html", "application/xml", "text/plain;q=1, */*;q=0"]:
        headers = {"Accept": accept}
        assert api.get(f"/api/users/{user['id']}", headers=headers).status_code == 200
        assert api.get("/api/users/0", headers=headers).status_code == 404
        assert api.request("TRACE", "/api/users", headers=headers).status_code == 405
        body = {"name": "a", "email": unique_email(), "password": PASSWORD}
        created = api.post("/api/users", body=body, headers=headers)
        assert created.status_code == 201
