"""compose.yaml, the Dockerfile and .dockerignore, checked without a Docker engine.

compose.yaml must be valid Compose Specification, and run the demo the README promises:
the three servers, each behind its edge (nginx with edge/edge.conf.template, as `make edge`
runs it) on ports 8001-8003, and ONE PostgreSQL database whose schema one one-shot service
creates, each server a `make` target that CI runs too, and the contract suite as a service
of its own that `docker compose up` leaves out, testing through the edges.
"""

import fnmatch
import importlib.metadata
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from contract_tests.implementations import IMPLEMENTATIONS, ROOT
from edge.__main__ import render

# The port each implementation's server listens on in its container, and its edge on the
# host and in the edge's container.
SERVERS = {"flask": 8001, "django": 8002, "fastapi": 8003}

# The edge's configuration, and where the nginx image renders it from: at start, its
# /docker-entrypoint.d/20-envsubst-on-templates.sh writes /etc/nginx/templates/X.template to
# /etc/nginx/conf.d/X with envsubst, replacing each variable set in the container's
# environment, ${NAME} or $NAME, and leaving any other as it is.
EDGE_TEMPLATE = ROOT / "edge" / "edge.conf.template"
TEMPLATE_MOUNT = "/etc/nginx/templates/default.conf.template"

# The Compose Specification's schema, as vendored (with its sha256 and licence) by
# check-jsonschema for its check-compose-spec hook, from compose-spec/compose-spec.
SCHEMA_DISTRIBUTION = "check-jsonschema"
SCHEMA_PATH = "check_jsonschema/builtin_schemas/vendor/compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """compose.yaml as Compose reads it (YAML anchors and merge keys resolved)."""
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def compose_spec_schema() -> dict[str, Any]:
    """The schema, from the pinned check-jsonschema; skipped without it, except in CI."""
    try:
        distribution = importlib.metadata.distribution(SCHEMA_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        reason = f"{SCHEMA_DISTRIBUTION} is not installed (run `make install`)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return json.loads(Path(distribution.locate_file(SCHEMA_PATH)).read_text())


def makefile_targets() -> set[str]:
    """The names of the Makefile's rules (`name:`, not variables `NAME :=`)."""
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w.-]*):(?!=)", text, re.MULTILINE))


def makefile_implementations() -> list[str]:
    """The Makefile's IMPLS: the values `IMPL=` accepts."""
    match = re.search(r"^IMPLS\s*:?=\s*(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "Makefile defines no IMPLS"
    return match.group(1).split()


def make_command(service: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Split a service's `make TARGET NAME=value ...` command into its target and variables."""
    command = service.get("command")
    words = shlex.split(command) if isinstance(command, str) else list(command or [])
    assert words[:1] == ["make"], f"not a make command: {command!r}"
    targets = [word for word in words[1:] if "=" not in word]
    assert len(targets) == 1, f"expected one make target in {command!r}"
    variables = dict(word.split("=", 1) for word in words[1:] if "=" in word)
    return targets[0], variables


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, written as a mapping or as a list of NAME=value."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: str(value) for name, value in env.items()}


def conditions(service: dict[str, Any]) -> dict[str, str]:
    """What a service waits for: {service: condition}; the short list form waits for nothing."""
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in depends_on.items()}


def published_ports(service: dict[str, Any]) -> set[tuple[int, int]]:
    """(host port, container port) pairs, from `[ip:]host:container` or the long form."""
    pairs = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            pairs.add((int(port["published"]), int(port["target"])))
        else:
            # A lone container port is published on a random host port: no pair.
            *_, host, container = ["", *str(port).rsplit(":", 2)]
            if host:
                pairs.add((int(host), int(container.split("/")[0])))
    return pairs


def host_address(port: str | dict[str, Any]) -> str | None:
    """Where a port is published: `ip:host:container` or host_ip; None for every interface."""
    if isinstance(port, dict):
        return port.get("host_ip")
    parts = str(port).rsplit(":", 2)
    return parts[0] if len(parts) == 3 else None


def healthcheck_command(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test") or []
    return test if isinstance(test, str) else shlex.join(test)


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(source, target, read-only) of each volume, from `source:target[:ro]` or the long form."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts.append((volume["source"], volume["target"], volume.get("read_only", False)))
        else:
            source, target, *options = volume.split(":")
            mounts.append((source, target, "ro" in ",".join(options).split(",")))
    return mounts


def template_variables() -> set[str]:
    """The ${NAME}s of edge/edge.conf.template: what the environment must fill in."""
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", EDGE_TEMPLATE.read_text()))


def nginx_variables() -> set[str]:
    """The template's other $variables, $status or ${status}: nginx's own, at run time."""
    names = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", EDGE_TEMPLATE.read_text())
    return set(names) - template_variables()


def edges(services: dict[str, Any]) -> dict[str, str]:
    """{server: its edge}: the services that run nginx, by the host named in APP_ADDRESS."""
    found: dict[str, str] = {}
    for name, service in services.items():
        if str(service.get("image", "")).partition(":")[0] == "nginx":
            server = environment(service).get("APP_ADDRESS", "").rpartition(":")[0]
            assert server not in found, f"{server} has two edges: {found[server]} and {name}"
            found[server] = name
    return found


def test_every_implementation_has_a_server_in_compose() -> None:
    assert sorted(SERVERS) == sorted(impl.name for impl in IMPLEMENTATIONS)


def test_compose_file_is_valid_compose_specification(compose: dict[str, Any]) -> None:
    schema = compose_spec_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator_class(schema).iter_errors(compose)
    ]
    assert errors == []


def test_compose_file_has_no_obsolete_version(compose: dict[str, Any]) -> None:
    assert "version" not in compose


def test_every_built_service_runs_a_make_target(services: dict[str, Any]) -> None:
    targets = makefile_targets()
    built = {name: service for name, service in services.items() if "build" in service}
    assert set(built) == {*SERVERS, "migrate", "contract-tests"}
    for name, service in built.items():
        target, variables = make_command(service)
        assert target in targets, f"{name}: no `{target}` target in the Makefile"
        if name in SERVERS or name == "migrate":
            assert variables.get("IMPL") in makefile_implementations(), name
            assert variables["IMPL"] in SERVERS, name


@pytest.mark.parametrize(("name", "port"), SERVERS.items())
def test_server(services: dict[str, Any], name: str, port: int) -> None:
    service = services[name]
    target, variables = make_command(service)
    # The server alone: the schema is migrate's, and `make serve` would create it again.
    assert target == "server"
    assert variables == {"IMPL": name, "HOST": "0.0.0.0", "PORT": str(port)}
    # Reached through its edge only: nothing from the host bypasses nginx.
    assert "ports" not in service
    assert re.search(rf"http://127\.0\.0\.1:{port}/health\b(?![/-])", healthcheck_command(service))
    assert int(environment(service)["WEB_CONCURRENCY"]) >= 1
    assert conditions(service) == {
        "db": "service_healthy",
        "migrate": "service_completed_successfully",
    }


def test_one_postgresql_database_for_all(services: dict[str, Any]) -> None:
    urls = {environment(services[name]).get("DATABASE_URL") for name in [*SERVERS, "migrate"]}
    assert len(urls) == 1, urls
    url = urlsplit(urls.pop())
    db = environment(services["db"])
    assert url.scheme == "postgresql"
    assert (url.hostname, url.port, url.path) == ("db", 5432, "/users")
    assert (url.username, url.password) == (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"])
    assert db["POSTGRES_DB"] == "users"


def test_one_signing_key_for_the_servers_and_the_tests(services: dict[str, Any]) -> None:
    # Tokens from any server work on the others (docs/sign-in.md), and the contract tests
    # decode them to check their claims; an HS256 key is at least 32 bytes (RFC 7518 3.2).
    keys = {environment(services[name]).get("JWT_SECRET") for name in [*SERVERS, "contract-tests"]}
    assert len(keys) == 1, keys
    key = keys.pop()
    assert key is not None
    assert len(key.encode()) >= 32


def test_database_is_pinned_persistent_and_checked(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    db = services["db"]
    # An official image, its major version pinned: a volume is readable by that major only.
    assert re.fullmatch(r"postgres:\d+(\.\d+)?(-\w+)?", db["image"]), db["image"]
    volume, _, mount = db["volumes"][0].partition(":")
    assert volume in compose["volumes"]
    assert mount == "/var/lib/postgresql/data"
    assert "pg_isready" in healthcheck_command(db)


def test_schema_is_created_once_before_the_servers(services: dict[str, Any]) -> None:
    creators = [
        name
        for name, service in services.items()
        if "build" in service and make_command(service)[0] in ("init-db", "serve")
    ]
    assert creators == ["migrate"]
    assert make_command(services["migrate"]) == ("init-db", {"IMPL": "django"})
    assert conditions(services["migrate"]) == {"db": "service_healthy"}
    # Restarted, it would run again and again; it must run once and stay exited.
    assert services["migrate"].get("restart", "no") == "no"


def test_django_admits_the_host_names_it_is_called_by(services: dict[str, Any]) -> None:
    env = environment(services["django"])
    # nginx passes the client's Host on: the test service calls http://django-edge:8002, the
    # healthchecks http://127.0.0.1:..., the host http://localhost:8002.
    arguments = shlex.split(make_command(services["contract-tests"])[1]["PYTEST_ARGS"])
    tested_as = {
        urlsplit(argument.removeprefix("django=")).hostname
        for argument in arguments
        if argument.startswith("django=")
    }
    assert tested_as, "the test service does not call django"
    allowed = set(env["DJANGO_ALLOWED_HOSTS"].split(","))
    assert {*tested_as, "127.0.0.1", "localhost"} <= allowed
    assert env["DJANGO_SECRET_KEY"]


def test_contract_tests_service(pytestconfig: pytest.Config, services: dict[str, Any]) -> None:
    service = services["contract-tests"]
    # Only `docker compose run contract-tests` or `--profile test` runs it.
    assert service["profiles"] == ["test"]
    assert [name for name, other in services.items() if "profiles" in other] == ["contract-tests"]
    target, variables = make_command(service)
    assert target == "test"
    # `--base-url NAME=URL`, once for each server, at its edge's host name and port (plugin.py).
    pytestconfig.getoption("base_url")  # ValueError if the plugin had no --base-url
    arguments = shlex.split(variables["PYTEST_ARGS"])
    assert arguments[0::2] == ["--base-url"] * len(SERVERS)
    edge_of = edges(services)
    urls = {
        f"{name}=http://{edge_of[name]}:{environment(services[edge_of[name]])['EDGE_PORT']}"
        for name in SERVERS
    }
    assert sorted(arguments[1::2]) == sorted(urls)
    assert conditions(service) == dict.fromkeys(edge_of.values(), "service_healthy")


def test_every_server_has_an_edge_in_front(services: dict[str, Any]) -> None:
    assert sorted(edges(services)) == sorted(SERVERS)


@pytest.mark.parametrize(("name", "port"), SERVERS.items())
def test_edge(services: dict[str, Any], name: str, port: int) -> None:
    edge = services[edges(services)[name]]
    env = environment(edge)
    # The official image, pinned to a release (and optionally a Debian suite, a digest).
    assert re.fullmatch(r"nginx:\d+\.\d+\.\d+(-\w+)?(@sha256:[0-9a-f]{64})?", edge["image"])
    # The repository's template, read-only, in place of the image's default server.
    [(source, target, read_only)] = bind_mounts(edge)
    assert (ROOT / source).resolve() == EDGE_TEMPLATE.resolve()
    assert EDGE_TEMPLATE.is_file()
    assert (target, read_only) == (TEMPLATE_MOUNT, True)
    # In front of the server, at the port its command listens on.
    assert env["APP_ADDRESS"] == f"{name}:{make_command(services[name])[1]['PORT']}"
    # Listening where it is published: the implementation's port on the host.
    assert published_ports(edge) == {(port, int(env["EDGE_PORT"]))}
    assert conditions(edge) == {name: "service_healthy"}
    # nginx resolves APP_ADDRESS once: restarted with its server, it finds the new container.
    assert edge["depends_on"][name].get("restart") is True
    # Healthy once nginx passes /health on to a server that answers it.
    health = rf"http://127\.0\.0\.1:{env['EDGE_PORT']}/health\b(?![/-])"
    assert re.search(health, healthcheck_command(edge))


@pytest.mark.parametrize("name", SERVERS)
def test_edge_sets_every_variable_of_the_template(services: dict[str, Any], name: str) -> None:
    # envsubst leaves a ${NAME} that is not set as it is, and nginx would not start.
    env = environment(services[edges(services)[name]])
    assert template_variables() <= {variable for variable, value in env.items() if value}
    # And it replaces every variable that is set, nginx's own included: none must be.
    assert not nginx_variables() & set(env)


def test_template_variables_are_not_nginx_variables() -> None:
    assert template_variables() >= {"APP_ADDRESS", "EDGE_PORT"}
    # nginx's variables are lower-case: the image's own environment (PATH, NGINX_VERSION, ...)
    # is not, so its envsubst leaves them to nginx.
    assert {"status", "request_uri", "http_host"} <= nginx_variables()
    assert [name for name in nginx_variables() if name != name.lower()] == []


def test_make_edge_fills_in_every_variable_of_the_template(tmp_path: Path) -> None:
    # `make edge` (edge/__main__.py) renders the same file without the image: all of it.
    render(tmp_path, "flask:8001", 8001)
    rendered = (tmp_path / "edge.conf").read_text()
    assert [name for name in template_variables() if f"${{{name}}}" in rendered] == []
    assert "server flask:8001 " in rendered
    assert re.search(r"^\s*listen 8001\b", rendered, re.MULTILINE)


def test_only_the_edges_are_published_and_on_loopback_only(services: dict[str, Any]) -> None:
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert sorted(published) == sorted(edges(services).values())
    for name, ports in published.items():
        assert [host_address(port) for port in ports] == ["127.0.0.1"] * len(ports), name


def test_dockerfile() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    instructions = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]
    # Python 3.11 slim, pinned to a release (and optionally a digest).
    froms = [argument for instruction, argument in instructions if instruction == "FROM"]
    assert len(froms) == 1
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", froms[0])
    runs = [argument for instruction, argument in instructions if instruction == "RUN"]
    assert any(re.search(r"apt-get install .*\bmake\b", run) for run in runs)
    # `make test` checks for nginx (its edge mode), which the image's user could not install.
    assert any(re.search(r"apt-get install .*\bnginx\b", run) for run in runs)
    # Every package comes from requirements.lock through `make install`, as in CI.
    assert any(re.search(r"\bmake install\b", run) for run in runs)
    assert not [run for run in runs if re.search(r"\bpip3? install\b", run)]
    assert ("COPY", ". .") in instructions
    # The last install runs after the whole repository is copied, as root; then a user.
    last_install = max(i for i, (kind, arg) in enumerate(instructions) if "make install" in arg)
    assert instructions.index(("COPY", ". .")) < last_install
    users = [(i, argument) for i, (kind, argument) in enumerate(instructions) if kind == "USER"]
    assert users, "the image runs as root"
    assert users[-1][0] > last_install
    assert users[-1][1].split(":")[0] not in ("root", "0")
    exposed = {
        int(port.split("/")[0])
        for instruction, argument in instructions
        if instruction == "EXPOSE"
        for port in argument.split()
    }
    assert set(SERVERS.values()) <= exposed


def test_dockerignore_keeps_host_state_out() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "node_modules", "**/var", ".pytest_cache", ".hypothesis"} <= patterns
    # What the image needs, this test included.
    needed_files = ("Makefile", "requirements.lock", "pyproject.toml", "compose.yaml", "Dockerfile")
    for needed in (*needed_files, "edge/edge.conf.template"):
        ignored_by = [p for p in patterns if fnmatch.fnmatch(needed, p.removeprefix("**/"))]
        assert ignored_by == [], needed
