"""Requests that race on one user, and many clients at once: the contract's "Concurrent requests".

Each race releases two clients together on one user, round after round, and
holds every answer to the rules: a write racing a DELETE (both the owner's)
answers 200, 401 or 404, never a 5xx, and the deleted user never comes back;
two PATCHes of different members both take effect; every 2xx describes a state
the database held; a page and its total come from one snapshot; and a burst of
256 signed-in clients is answered in full, the server recovering by itself
afterwards.

These tests need a live server with several workers (``--mode sqlite``,
``--mode postgresql`` or ``--base-url``): in-process, the suite's client
calls the application from its own threads, and no production server runs.
Each test is bounded in rounds and time; ``CONTRACT_RACE_ROUNDS`` sets the
rounds (default 20).
"""

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from contract_tests.client import ApiClient, at_once, check_response, http_client
from contract_tests.plugin import Target, signed_in
from contract_tests.test_success import (
    PASSWORD,
    create_user,
    list_users,
    sign_in,
    sign_up,
    unique_email,
)

ROUNDS = int(os.environ.get("CONTRACT_RACE_ROUNDS", "20"))
BURST_CLIENTS = 256  # the contract's bound on concurrent clients
BURST_REQUESTS = 8  # sent one after the other by each of them, on one connection
BURST_TIMEOUT = 20.0  # seconds a request of the burst may wait for its answer
LISTERS, CREATORS, CREATES = 4, 4, 160


@pytest.fixture(scope="module")
def racing(target: Target) -> Iterator[ApiClient]:
    """A client for a live target that lets a few threads send at once, signed in to read."""
    if not target.base_url:
        pytest.skip("races need a live server: --mode sqlite, --mode postgresql or --base-url")
    with http_client(target.base_url, 8) as api:
        yield signed_in(api)


def tally(outcomes: list[str]) -> str:
    """``"200/204: 12, 404/204: 8"``: how often each outcome came up, for a failure message."""
    return ", ".join(f"{outcome}: {count}" for outcome, count in Counter(outcomes).most_common())


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_write_racing_a_delete_answers_200_or_404_and_the_user_stays_deleted(
    racing: ApiClient, method: str
) -> None:
    outcomes, broken, ids = [], [], []
    for _ in range(ROUNDS):
        # Both requests are the owner's, the only one who may write.
        user, owner = sign_up(racing)
        ids.append(user["id"])
        path = f"/api/users/{user['id']}"
        body = {"name": "Racer", "email": unique_email()}
        if method == "PATCH":
            del body["email"]
        write, delete = at_once(
            2,
            lambda number, path=path, body=body, owner=owner: (
                owner.request(method, path, body=body) if number == 0 else owner.delete(path)
            ),
        )
        after = racing.get(path).status_code
        outcomes.append(f"{write.status_code}/{delete.status_code}/then {after}")
        if write.status_code == 200 and write.json() != {**user, **body}:
            broken.append(f"{method} answered {write.json()}, not {user} with {body}")
    # Deleting a user revokes its tokens: a write whose token is checked after the DELETE
    # is 401; one whose token is checked before it, but whose row is gone, 404.
    allowed = {"200/204/then 404", "401/204/then 404", "404/204/then 404"}
    assert set(outcomes) <= allowed, f"{method} vs DELETE: {tally(outcomes)}"
    assert not broken, broken[:3]
    # An id is never handed out again, not even the id of the last user deleted.
    assert create_user(racing)["id"] > max(ids)


def test_updates_of_different_members_at_once_both_take_effect(racing: ApiClient) -> None:
    outcomes = []
    for number in range(ROUNDS):
        user, owner = sign_up(racing)
        path = f"/api/users/{user['id']}"
        changes = [{"name": f"Renamed {number}"}, {"email": unique_email()}]
        answers = at_once(
            2, lambda i, path=path, body=changes, owner=owner: owner.patch(path, body=body[i])
        )
        stored = racing.get(path).json()
        statuses = [answer.status_code for answer in answers]
        if statuses != [200, 200]:
            outcomes.append(f"answered {statuses}")
        elif stored != {**user, **changes[0], **changes[1]}:
            outcomes.append("a change was lost")
        elif not ran_one_after_the_other(user, changes, [answer.json() for answer in answers]):
            outcomes.append("an answer describes a state the database never held")
        else:
            outcomes.append("both kept")
    assert set(outcomes) == {"both kept"}, f"PATCH name vs PATCH email: {tally(outcomes)}"


def ran_one_after_the_other(user: dict, changes: list[dict], answers: list[dict]) -> bool:
    """Whether each answer is a state the database held, in one order of the two PATCHes."""
    both = {**user, **changes[0], **changes[1]}
    for first, second in ((0, 1), (1, 0)):
        # The first to run saw its own change alone (or, read later, both); the second, both.
        if answers[first] in ({**user, **changes[first]}, both) and answers[second] == both:
            return True
    return False


def test_a_page_and_its_total_come_from_one_snapshot(racing: ApiClient) -> None:
    # Only creates run meanwhile, so a page read with its total in one snapshot holds
    # exactly min(limit, total - offset) users. The offset sits near the end of the table,
    # so that the page is never full and every create between two reads would show.
    for _ in range(5):
        create_user(racing)
    offset = list_users(racing)["total"] - 3
    done = threading.Event()
    mismatches: list[str] = []
    pages = 0

    def create(number: int) -> None:
        for _ in range(number, CREATES, CREATORS):
            body = {"name": "Creator", "email": unique_email(), "password": PASSWORD}
            racing.post("/api/users", body=body)

    def read_pages(_: int) -> None:
        nonlocal pages
        while not done.is_set():
            page = list_users(racing, limit=100, offset=offset)
            pages += 1
            expected = max(0, min(100, page["total"] - offset))
            ids = [user["id"] for user in page["items"]]
            if len(ids) != expected or ids != sorted(ids):
                mismatches.append(f"total {page['total']} with {len(ids)} items")

    with ThreadPoolExecutor(LISTERS + CREATORS) as pool:
        readers = [pool.submit(read_pages, number) for number in range(LISTERS)]
        writers = [pool.submit(create, number) for number in range(CREATORS)]
        for writer in writers:
            writer.result(timeout=120)
        done.set()
        for reader in readers:
            reader.result(timeout=60)
    assert pages >= LISTERS
    assert not mismatches, f"{len(mismatches)} of {pages} pages: {mismatches[:5]}"


def test_256_clients_at_once_are_all_answered_and_the_server_recovers(target: Target) -> None:
    if not target.base_url:
        pytest.skip("a burst of clients needs a live server")
    # Four users, each signed in: every get-one of the burst carries one of their tokens, so
    # that each request checks a token as a deployment's would.
    with httpx.Client(base_url=target.base_url, timeout=30) as http:
        users = [create_user(ApiClient(http)) for _ in range(4)]
        tokens = [sign_in(ApiClient(http), user["email"]) for user in users]
    barrier = threading.Barrier(BURST_CLIENTS)

    def client(number: int) -> list[str]:
        """One client on its own connection, signed in as one of the four users: a few
        get-ones of the four, each answered or timed out."""
        outcomes = []
        bearer = {"Authorization": f"Bearer {tokens[number % len(tokens)]}"}
        with httpx.Client(base_url=target.base_url, timeout=BURST_TIMEOUT, headers=bearer) as http:
            barrier.wait(timeout=60)
            previous = time.monotonic()
            for request in range(BURST_REQUESTS):
                user = users[(number + request) % len(users)]
                sent = time.monotonic()
                outcome = answer(lambda user=user: http.get(f"/api/users/{user['id']}"))
                if outcome not in ("200", "503 with Retry-After"):
                    # When a request fails, how long its connection had been idle tells whether
                    # the server closed it at its keep-alive timeout (5 s) as the request left.
                    outcome += (
                        f" (request {request + 1} of its connection, {sent - started:.1f} s into"
                        f" the burst, {sent - previous:.1f} s after the previous answer, failed"
                        f" {time.monotonic() - sent:.1f} s after it was sent)"
                    )
                outcomes.append(outcome)
                previous = time.monotonic()
        return outcomes

    started = time.monotonic()
    with ThreadPoolExecutor(BURST_CLIENTS) as pool:
        outcomes = [outcome for each in pool.map(client, range(BURST_CLIENTS)) for outcome in each]
    elapsed = time.monotonic() - started
    assert len(outcomes) == BURST_CLIENTS * BURST_REQUESTS
    assert set(outcomes) <= {"200", "503 with Retry-After"}, tally(outcomes)
    assert elapsed < 120, f"the burst took {elapsed:.0f} s"
    # When the load stops, the server answers as before: no restart, no stuck worker.
    bearer = {"Authorization": f"Bearer {tokens[0]}"}
    with httpx.Client(base_url=target.base_url, timeout=10, headers=bearer) as http:
        for user in users:
            response = http.get(f"/api/users/{user['id']}")
            check_response(response)
            assert response.status_code == 200, response.text


def answer(send: Callable[[], httpx.Response]) -> str:
    """What one request of the burst got: its status (and Retry-After on a 503), or its error."""
    try:
        response = send()
    except httpx.TimeoutException:
        return f"no answer within {BURST_TIMEOUT:.0f} s"
    except httpx.TransportError as error:
        return type(error).__name__
    check_response(response)
    if response.status_code == 503 and "retry-after" in response.headers:
        return "503 with Retry-After"
    return str(response.status_code)
