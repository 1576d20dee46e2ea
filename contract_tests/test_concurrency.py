"""The same email from many clients at once: the database constraint decides."""

from concurrent.futures import ThreadPoolExecutor

from contract_tests.client import ApiClient
from contract_tests.test_success import PASSWORD, list_users, unique_email

CLIENTS = 16


def test_same_email_posted_at_once_is_created_once(api: ApiClient) -> None:
    email = unique_email()

    def create(number: int) -> int:
        spelled = email if number % 2 else email.upper()
        body = {"name": f"Racer {number}", "email": spelled, "password": PASSWORD}
        return api.post("/api/users", body=body).status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = sorted(pool.map(create, range(CLIENTS)))
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert list_users(api, email=email)["total"] == 1
