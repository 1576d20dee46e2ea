"""The differential mode (``--differential``): every request to every implementation, compared.

In this mode the suite's ``api`` client stands on a ``Fanout`` instead of one
HTTP client: each request a test sends goes to every implementation selected,
the first one's response goes back to the test (whose own assertions run on it
as usual), and the responses are compared field by field: the status, the media
type, the ``Allow`` header (as a set, or absent), the ``Location`` header, the
two security headers, and the JSON body, parsed and compared member by member,
in order, and the ``WWW-Authenticate`` header. When the status differs, only the
status is reported for that request.

Normalised before comparing, and nothing else:

- ``created_at`` of a user becomes ``<created_at>`` if it has the contract's
  form (``YYYY-MM-DDTHH:MM:SS.ffffffZ``); any other value is compared as it is.
- ``detail`` of a Problem Details body and of its ``errors`` items becomes
  ``<detail>``: the contract says that detail texts are for people and tests
  never compare them.
- ``access_token`` in ``create_token``'s answer becomes ``<access token of
  {idN}>`` if it is a JWT with the claims the contract lists, ``sub`` naming
  user ``{idN}``; any other value is compared as it is. Each implementation
  signs its own token, with its own time, ``jti`` and password hash.
- User ids become ``{id1}``, ``{id2}``, ... in the order each implementation
  first returns them (in a body or a ``Location``), and requests that name a
  user get each implementation's own id for it. Ids are normalised rather than
  compared as they are because the implementations do not start from the same
  counter: against live servers they hold whatever they held, and deleting
  users (each database is emptied first, through the API) does not reset the
  counter, which the contract says must never hand an id out again. Numbering
  in order of appearance still tells an id that is reused, or users listed in
  another order, apart.

Tokens are mapped as ids are: the token that the first implementation's
``create_token`` answered stands, in ``Authorization: Bearer <token>``, for the
one that each other implementation answered to the same request. A token that
no ``create_token`` answered (a test's forgery) goes to all of them as it is.

Everything else of a request is sent as the test wrote it, to each
implementation alike: a test's unique emails are drawn once, so every database
gets the same ones (each implementation must have a database of its own).

A difference fails the test that sent the request, unless
``known_differences.toml`` lists it with its reason; an entry there that matches
no difference fails ``test_differential.py::test_every_known_difference_occurs``,
which runs last.
"""

import dataclasses
import fnmatch
import functools
import json
import re
import threading
import tomllib
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest

from contract_tests.client import ApiClient, media_type
from contract_tests.implementations import ROOT
from contract_tests.test_success import CREATED_AT, PASSWORD, sign_up

KNOWN_DIFFERENCES = ROOT / "contract_tests" / "known_differences.toml"
FIELDS = (
    "status",
    "media type",
    "allow",
    "location",
    "x-content-type-options",
    "cache-control",
    "www-authenticate",
    "body",
    # A body that differs only in the order of its 422 ``errors`` items.
    "errors order",
)
USER_PATH = re.compile(r"/api/users/([1-9][0-9]*)(?=/|$)")
SYMBOL = re.compile(r"\{id[0-9]+\}")
# An access token's claims, as the spec lists them ("Sign-in"), and its lifetime (expires_in).
TOKEN_CLAIMS = {"token_type", "exp", "iat", "jti", "sub", "hash_password"}
TOKEN_LIFETIME = 900
# How a failure for differences begins, so that the comparison's report can count them.
DIFFERENCES_FOUND = "between the implementations, not in known_differences.toml"
# The most differences that one failure spells out.
MAX_SHOWN = 40


class UserIds:
    """One implementation's user ids, named ``{id1}``, ``{id2}``, ... as they first appear."""

    def __init__(self) -> None:
        self.symbols: dict[int, str] = {}
        self.ids: dict[str, int] = {}

    def symbol(self, user_id: int) -> str:
        if user_id not in self.symbols:
            symbol = f"{{id{len(self.symbols) + 1}}}"
            self.symbols[user_id] = symbol
            self.ids[symbol] = user_id
        return self.symbols[user_id]

    def symbolic_path(self, path: str) -> str:
        """``path`` with a known user id replaced by its symbol."""

        def replace(match: re.Match) -> str:
            return f"/api/users/{self.symbols.get(int(match[1]), match[1])}"

        return USER_PATH.sub(replace, path, count=1)

    def concrete_path(self, path: str) -> str:
        """``path`` with symbols replaced by this implementation's ids (unknown ones stay)."""
        return SYMBOL.sub(lambda match: str(self.ids.get(match[0], match[0])), path)


def token_shape(token: Any, ids: UserIds) -> Any:
    """``<access token of {idN}>`` for a JWT with the contract's claims, else ``token``.

    The signature is not checked: against live servers the suite does not know the key.
    """
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, TypeError):
        return token
    if not (
        header.get("alg") == "HS256"
        and set(claims) == TOKEN_CLAIMS
        and claims["token_type"] == "access"
        and type(claims["iat"]) is int
        and claims["exp"] == claims["iat"] + TOKEN_LIFETIME
        and re.fullmatch(r"[0-9a-f]{32}", str(claims["jti"]))
        and type(claims["sub"]) is str
        and re.fullmatch(r"[1-9][0-9]*", claims["sub"])
        and re.fullmatch(r"[0-9A-F]{32}", str(claims["hash_password"]))
    ):
        return token
    return f"<access token of {ids.symbol(int(claims['sub']))}>"


def normalise_json(value: Any, ids: UserIds, *, problem: bool) -> Any:
    """``value`` with user ids, ``created_at``, tokens and Problem Details texts replaced."""
    if isinstance(value, list):
        return [normalise_json(item, ids, problem=problem) for item in value]
    if not isinstance(value, dict):
        return value
    normalised = {}
    for key, member in value.items():
        if problem and key == "detail" and isinstance(member, str):
            normalised[key] = "<detail>"
        elif not problem and key == "id" and type(member) is int:
            normalised[key] = ids.symbol(member)
        elif not problem and key == "created_at" and CREATED_AT.fullmatch(str(member)):
            normalised[key] = "<created_at>"
        elif not problem and key == "access_token":
            normalised[key] = token_shape(member, ids)
        else:
            normalised[key] = normalise_json(member, ids, problem=problem)
    return normalised


def normalise(response: httpx.Response | Exception, ids: UserIds) -> dict[str, Any]:
    """The fields of ``response`` that are compared, normalised."""
    if isinstance(response, Exception):
        # An app that crashes in-process, or a server that drops the connection.
        return dict.fromkeys(FIELDS) | {"status": f"{type(response).__name__}: {response}"}
    problem = media_type(response) == "application/problem+json"
    body = unordered = None
    if response.content:
        try:
            parsed = json.loads(response.content)
        except ValueError:
            body = unordered = f"<not JSON> {response.content[:300]!r}"
        else:
            # As text, so that the order of members counts as well.
            normalised = normalise_json(parsed, ids, problem=problem)
            body = unordered = json.dumps(normalised, ensure_ascii=False)
            if (
                problem
                and isinstance(normalised, dict)
                and isinstance(normalised.get("errors"), list)
            ):
                errors = sorted(normalised["errors"], key=json.dumps)
                unordered = json.dumps(normalised | {"errors": errors}, ensure_ascii=False)
    location = response.headers.get("location")
    if location and (match := re.fullmatch(r"/api/users/([1-9][0-9]*)", location)):
        location = f"/api/users/{ids.symbol(int(match[1]))}"
    allow = response.headers.get("allow")
    return {
        "status": response.status_code,
        "media type": media_type(response) or None,
        "allow": None if allow is None else frozenset(m.strip() for m in allow.split(",")),
        "location": location,
        "x-content-type-options": response.headers.get("x-content-type-options"),
        "cache-control": response.headers.get("cache-control"),
        "www-authenticate": response.headers.get("www-authenticate"),
        "body": body,
        "errors order": unordered,
    }


@dataclasses.dataclass(frozen=True)
class Difference:
    """One field of one request's responses that the implementations do not agree on."""

    step: str
    request: str
    request_body: bytes | None
    content_type: str | None
    field: str
    responses: dict[str, dict[str, Any]]

    def values(self) -> dict[str, Any]:
        field = "body" if self.field == "errors order" else self.field
        return {name: response[field] for name, response in self.responses.items()}

    def odd_ones(self) -> list[str]:
        """The implementations that disagree with the largest group that agrees (or all)."""
        values = list(self.values().items())
        groups = [[name for name, other in values if other == value] for _, value in values]
        largest = max(groups, key=len)
        if sum(len(group) == len(largest) for group in groups) > len(largest):
            return [name for name, _ in values]  # no single largest group
        return [name for name, _ in values if name not in largest]

    def __str__(self) -> str:
        lines = [f"{self.step}: {self.request}: {self.field} differs"]
        if self.request_body is not None or self.content_type is not None:
            lines.append(
                f"    request: Content-Type {self.content_type!r}, body {self.request_body!r:.300}"
            )
        for name, response in self.responses.items():
            shown = {
                field: sorted(value) if isinstance(value, frozenset) else value
                for field, value in response.items()
                if value is not None and field != "errors order"
            }
            lines.append(f"    {name}: {shown!s:.600}")
        return "\n".join(lines)


def describe(method: str, path: str, params: Any) -> str:
    """``METHOD path?query``, as known-difference patterns see a request."""
    query = urlencode(params or [], doseq=True)
    return f"{method} {path}" + (f"?{query}" if query else "")


def empty_database(api: ApiClient, name: str) -> None:
    """Delete every user through the API, each with its own token: deletes are owner-only.

    So only the users that sign in with the suite's password can go: not those
    whose password a test changed, nor those that schemathesis signed up in a
    run without this mode (test_generated.py). A database that keeps any fails
    the session, since the mode compares databases that start alike.
    """
    emptier, as_emptier = sign_up(api, name="Emptier")
    kept = []  # the users that do not sign in, which stay where they are in the pages

    def page() -> list[dict]:
        params = {"limit": 100, "offset": len(kept)}
        users = as_emptier.get("/api/users", params=params).json()["items"]
        return [user for user in users if user["id"] != emptier["id"]]

    while users := page():
        for user in users:
            signed_in = api.post("/api/tokens", body={"email": user["email"], "password": PASSWORD})
            if signed_in.status_code != 200:
                kept.append(user["email"])
                continue
            owner = api.as_user(signed_in.json()["access_token"])
            assert owner.delete(f"/api/users/{user['id']}").status_code == 204
    assert as_emptier.delete(f"/api/users/{emptier['id']}").status_code == 204
    if kept:
        pytest.fail(
            f"{name}'s database holds users that do not sign in with the suite's password "
            f"({len(kept)}, {kept[0]} first), whom the suite cannot delete: the differential "
            "mode needs an empty database for each implementation (start it on a new one)",
            pytrace=False,
        )


class Fanout:
    """Stands in for an ApiClient's httpx client: sends every request to every implementation.

    Requests name users by the first implementation's ids, and carry its tokens;
    each implementation gets its own ids and tokens for them. The first
    implementation's response goes back. The differences found are in
    ``differences`` until taken.
    """

    def __init__(self, clients: dict[str, httpx.Client]) -> None:
        self.clients = clients
        self.reference = next(iter(clients))
        self.ids = {name: UserIds() for name in clients}
        # By the token that the first implementation's create_token answered, the token
        # that each implementation answered to the same request.
        self.tokens: dict[str, dict[str, str]] = {}
        self.differences: list[Difference] = []
        self.step = ""
        self.sent = 0
        # Every step that sent a request, across the session.
        self.steps: set[str] = set()
        # Requests from several threads go out one at a time, to every implementation in turn.
        self.lock = threading.Lock()

    def empty_databases(self) -> None:
        """Empty each implementation's database, and check that they are not one database."""
        apis = {name: ApiClient(client) for name, client in self.clients.items()}
        for name, api in apis.items():
            empty_database(api, name)
        probe, as_probe = sign_up(apis[self.reference], name="Probe")
        credentials = {"email": probe["email"], "password": PASSWORD}
        shared = [
            name
            for name, api in apis.items()
            if api.post("/api/tokens", body=credentials).status_code == 200
        ]
        assert as_probe.delete(f"/api/users/{probe['id']}").status_code == 204
        if len(shared) > 1:
            pytest.fail(
                f"{', '.join(shared)} serve one database: the differential mode sends each of "
                "them the same requests, so each needs a database of its own",
                pytrace=False,
            )

    def begin(self, step: str) -> None:
        """Start a case: its requests are named ``step`` and counted anew."""
        self.step = step
        self.sent = 0

    def take_differences(self) -> list[Difference]:
        """The differences found since the last call (a fixture's requests too), forgotten."""
        differences, self.differences = self.differences, []
        return differences

    def request(
        self,
        method: str,
        url: str,
        *,
        content: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        path = self.ids[self.reference].symbolic_path(url)
        response = self.send(method, path, content=content, params=params, headers=headers)[
            self.reference
        ]
        if isinstance(response, Exception):
            raise response
        return response

    get = functools.partialmethod(request, "GET")
    post = functools.partialmethod(request, "POST")
    put = functools.partialmethod(request, "PUT")
    patch = functools.partialmethod(request, "PATCH")
    delete = functools.partialmethod(request, "DELETE")

    def send(
        self,
        method: str,
        path: str,
        *,
        content: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, httpx.Response | Exception]:
        """Send to each implementation, ``{idN}`` in ``path`` being its own id; compare."""
        if content is not None and not isinstance(content, bytes | str):
            content = list(content)  # a stream: the same chunks, streamed to each
        with self.lock:
            responses: dict[str, httpx.Response | Exception] = {}
            for name, client in self.clients.items():
                try:
                    responses[name] = client.request(
                        method,
                        self.ids[name].concrete_path(path),
                        content=iter(content) if isinstance(content, list) else content,
                        params=params,
                        headers=self.own_headers(name, headers),
                    )
                except Exception as error:  # a crash is compared like any response
                    responses[name] = error
            if method == "POST" and path == "/api/tokens":
                self.remember_tokens(responses)
            self.sent += 1
            self.steps.add(self.step)
            self.compare(method, path, content, params, headers, responses)
        return responses

    def own_headers(self, name: str, headers: dict[str, str] | None) -> dict[str, str] | None:
        """``headers`` with each token that the first implementation issued made ``name``'s."""
        if not headers:
            return headers

        def own(word: re.Match) -> str:
            return self.tokens.get(word[0], {}).get(name, word[0])

        return {
            key: re.sub(r"\S+", own, value)
            if key.lower() == "authorization" and isinstance(value, str)
            else value
            for key, value in headers.items()
        }

    def remember_tokens(self, responses: dict[str, httpx.Response | Exception]) -> None:
        """Map the token that the first implementation issued to each one's, from their answers."""
        tokens = {}
        for name, response in responses.items():
            if isinstance(response, Exception) or response.status_code != 200:
                continue
            try:
                token = response.json()["access_token"]
            except (ValueError, TypeError, KeyError):
                continue  # compared, and so reported, as any other body
            if isinstance(token, str):
                tokens[name] = token
        if self.reference in tokens:
            self.tokens[tokens[self.reference]] = tokens

    def compare(
        self,
        method: str,
        path: str,
        content: Any,
        params: Any,
        headers: dict[str, str] | None,
        responses: dict[str, httpx.Response | Exception],
    ) -> None:
        normalised = {
            name: normalise(response, self.ids[name]) for name, response in responses.items()
        }
        first, *others = normalised.values()
        fields = FIELDS
        if any(other["status"] != first["status"] for other in others):
            fields = ("status",)
        content_type = next(
            (value for key, value in (headers or {}).items() if key.lower() == "content-type"), None
        )
        raw = b"".join(content) if isinstance(content, list) else content
        for field in fields:
            if field == "errors order" or all(other[field] == first[field] for other in others):
                continue
            if field == "body" and all(o["errors order"] == first["errors order"] for o in others):
                field = "errors order"  # the only way in which they differ
            self.differences.append(
                Difference(
                    self.step,
                    describe(method, path, params),
                    raw.encode() if isinstance(raw, str) else raw,
                    content_type,
                    field,
                    normalised,
                )
            )


# -- Known differences -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class KnownDifference:
    """An entry of known_differences.toml."""

    request: str
    field: str
    implementations: frozenset[str]
    reason: str
    step: str = "*"
    modes: frozenset[str] | None = None

    def names_step(self, step: str) -> bool:
        """Whether ``step`` matches the entry's, whose brackets are literal, as in test ids."""
        return fnmatch.fnmatchcase(step, self.step.replace("[", "[[]"))

    def __str__(self) -> str:
        names = ", ".join(sorted(self.implementations))
        return f"{self.request!r}, step {self.step!r}: {self.field} ({names})"

    def applies_to(self, names: set[str], mode: str) -> bool:
        """Whether a run of ``names`` in ``mode`` can show this difference."""
        in_mode = self.modes is None or mode in self.modes
        return in_mode and bool(names & self.implementations) and bool(names - self.implementations)

    def explains(self, difference: Difference, mode: str) -> bool:
        if self.modes is not None and mode not in self.modes:
            return False
        if difference.field != self.field:
            return False
        if not fnmatch.fnmatchcase(difference.request, self.request):
            return False
        if not self.names_step(difference.step):
            return False
        values = {
            target_id.partition("-")[0]: value for target_id, value in difference.values().items()
        }
        odd = [value for name, value in values.items() if name in self.implementations]
        rest = [value for name, value in values.items() if name not in self.implementations]
        if not odd:
            return False
        if not rest:
            return True  # all of them are named, and they differ
        # The others agree with each other, and each named one differs from them.
        return all(value == rest[0] for value in rest) and all(value != rest[0] for value in odd)


def load_known_differences() -> list[KnownDifference]:
    """The entries of known_differences.toml, checked."""
    data = tomllib.loads(KNOWN_DIFFERENCES.read_text(encoding="utf-8"))
    assert set(data) <= {"difference"}, f"{KNOWN_DIFFERENCES.name}: unknown tables {set(data)}"
    entries = []
    for entry in data.get("difference", []):
        where = f"{KNOWN_DIFFERENCES.name}: {entry}"
        required = {"request", "field", "implementations", "reason"}
        assert required <= set(entry) <= required | {"step", "modes"}, where
        assert entry["field"] in FIELDS, where
        assert entry["implementations"], where
        assert entry["reason"].strip(), where
        modes = entry.get("modes")
        entries.append(
            KnownDifference(
                request=entry["request"],
                field=entry["field"],
                implementations=frozenset(entry["implementations"]),
                reason=entry["reason"],
                step=entry.get("step", "*"),
                modes=None if modes is None else frozenset(modes),
            )
        )
    return entries


# -- One comparison across the session -------------------------------------------


@dataclasses.dataclass
class Comparison:
    """The implementations of one group (``flask,django,fastapi``) compared in one mode."""

    group: str
    mode: str
    fanout: Fanout
    known: list[KnownDifference]
    # The entries that explained a difference.
    explained: set[KnownDifference] = dataclasses.field(default_factory=set)

    @property
    def names(self) -> set[str]:
        """The implementations compared, without their modes."""
        return {target_id.partition("-")[0] for target_id in self.group.split(",")}

    def begin(self, case: str) -> None:
        """Start a case, named as known differences' steps name it."""
        self.fanout.begin(case)

    def finish(self, failure: BaseException | None = None) -> None:
        """End a case: fail it for each difference that no known difference explains."""
        unexplained = []
        for difference in self.fanout.take_differences():
            entry = next((e for e in self.known if e.explains(difference, self.mode)), None)
            if entry is None:
                unexplained.append(difference)
            else:
                self.explained.add(entry)
        if not unexplained:
            return
        count, sent = len(unexplained), self.fanout.sent
        report = [
            f"{count} difference{'' if count == 1 else 's'} {DIFFERENCES_FOUND}, in {sent} "
            f"request{'' if sent == 1 else 's'} to {', '.join(self.fanout.clients)}:"
        ]
        kinds = Counter(f"{d.field} ({', '.join(d.odd_ones())})" for d in unexplained)
        report += [f"    {n} x {kind}" for kind, n in kinds.most_common()]
        report += [str(difference) for difference in unexplained[:MAX_SHOWN]]
        if failure is not None:
            report.append(
                f"The test itself ended on {self.fanout.reference}'s responses with "
                f"{type(failure).__name__}: {failure!s:.500}"
            )
        pytest.fail("\n".join(report), pytrace=False)

    def stale(self) -> list[KnownDifference]:
        """The entries that could have matched a difference of this run, and matched none."""
        return [
            entry
            for entry in self.known
            if entry.applies_to(self.names, self.mode)
            and entry not in self.explained
            and any(entry.names_step(step) for step in self.fanout.steps)
        ]
