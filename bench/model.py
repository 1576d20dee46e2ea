"""bench.json as typed dataclasses: what `python -m bench` writes and the report reads.

Each class's fields are its JSON object's keys, in the file's order. `from_json` reads an
object and fails on a key missing or unknown; `to_json` writes it back. A field left at None
is left out of the file: files written before it existed lack it.
"""

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

JSONObject = dict[str, Any]

# Fields that bench.json spells otherwise, as the environment variable they record.
JSON_NAMES = {"web_concurrency": "WEB_CONCURRENCY"}
PYTHON_NAMES = {spelling: name for name, spelling in JSON_NAMES.items()}


def json_object(pairs: list[tuple[str, Any]]) -> JSONObject:
    """One dataclass as a JSON object (asdict's dict_factory): keys respelled, None left out."""
    return {JSON_NAMES.get(name, name): value for name, value in pairs if value is not None}


def fields_of(data: JSONObject) -> JSONObject:
    """A JSON object's keys as field names."""
    return {PYTHON_NAMES.get(key, key): value for key, value in data.items()}


@dataclass(frozen=True)
class Machine:
    """The machine that ran the benchmark, and its load around the run."""

    cpu_model: str
    cpus: int
    kernel: str
    load_average_at_start: list[float]
    commit: str | None = None
    load_average_at_end: list[float] | None = None  # set once the run is over


@dataclass(frozen=True)
class Method:
    """How the targets were loaded."""

    load_generator: str
    duration_s: int
    warmup_s: int
    workload_warmup_s: int
    repetitions: int
    connections: int
    timeout_s: int
    users: int
    mix_percent: dict[str, int]
    workloads: dict[str, str]  # what each workload requests
    reset: str
    order: str
    web_concurrency: int
    # Files from before the connection levels and the delayed database lack these: one
    # level (connections), no delay proxy, no CPU time or database counts.
    connection_levels: list[int] | None = None  # every level run; connections is the first
    delayed_workloads: list[str] | None = None  # the workloads run behind the delay proxy
    server_cpu: str | None = None  # how each run's server CPU time was read
    database_counts: str | None = None  # how the delay proxy counted round trips
    postgresql_server: str | None = None  # a private cluster's settings, or the shared server
    # Files from before sign-in lack it: how the load signed in, and what it signed.
    authentication: str | None = None


@dataclass(frozen=True)
class ServerSettings:
    """How each target was started."""

    web_concurrency: int
    commands: dict[str, str]  # target or implementation: its command line
    variant_env: dict[str, dict[str, str]]
    gunicorn_config: dict[str, str]  # implementation: its gunicorn.conf.py
    server_cpu: int
    wrk_cpu: int
    postgresql: str
    # Behind the edge, nginx's configuration: nginx.conf (edge/__main__.py) and edge.conf.
    edge_config: dict[str, str] | None = None
    delay_proxy: str | None = None  # its command line, where a database was behind it


@dataclass(frozen=True)
class TargetDescription:
    """What a target is, for the report."""

    title: str
    stack: str  # "wsgi" or "asgi": which bare baseline it compares with
    baseline: bool
    upstream: str | None = None  # behind the edge: the target that nginx is in front of


@dataclass(frozen=True)
class WrkRun:
    """One wrk run: one repetition of one workload against one target."""

    requests: int
    duration_s: float
    requests_per_s: float
    non_2xx: int  # responses of status 400 and above, as wrk counts them
    socket_errors: dict[str, int]  # connect, read, write, timeout
    latency_ms: dict[str, float]  # p50, p75, p90, p99, p999, max, mean
    errors: int = field(init=False)  # every response that was not 2xx, every socket error
    # User and system CPU seconds of the server's processes during the run (behind the
    # edge, nginx's too); None where one of them went away meanwhile.
    server_cpu_s: float | None = None
    # Behind the delay proxy, what it counted during the run; None without one.
    db_round_trips: int | None = None
    db_connections: int | None = None  # connections opened to the database
    proxy_cpu_s: float | None = None  # the proxy's own CPU seconds

    def __post_init__(self) -> None:
        # Derived, never passed in; frozen, hence object.__setattr__.
        object.__setattr__(self, "errors", self.non_2xx + sum(self.socket_errors.values()))

    @classmethod
    def from_json(cls, data: JSONObject) -> Self:
        """Read one run."""
        return cls(**{name: value for name, value in data.items() if name != "errors"})


@dataclass(frozen=True)
class WorkloadResult:
    """One target on one workload and database: the median of its repetitions, their spread."""

    database: str  # "sqlite", "postgresql", or behind the delay proxy "postgresql-1ms"
    target: str
    workload: str
    role: str  # "shipped", "edge" (a shipped target behind the edge) or "variant"
    # wrk's connections; None in files from before the levels: the method's connections.
    connections: int | None = field(default=None, kw_only=True)
    # The targets that took turns together, numbered from 1 (PostgreSQL's connection limit
    # can split a database's targets); None in files from before the groups.
    group: int | None = field(default=None, kw_only=True)
    median_rps: float
    min_rps: float
    max_rps: float
    latency_ms: dict[str, float | None]  # the repetitions' medians of p50, p90, p99, p999, max
    errors: int
    non_2xx: int
    flagged: bool  # a repetition met an error: shown, never averaged away
    # The repetitions' median of server CPU seconds per 1,000 requests (= CPU ms a request).
    server_cpu_s_per_1000: float | None = field(default=None, kw_only=True)
    # Behind the delay proxy, from the repetitions' totals: what it counted per request.
    db_round_trips_per_request: float | None = field(default=None, kw_only=True)
    db_connections_per_1000: float | None = field(default=None, kw_only=True)
    repetitions: list[WrkRun]

    @classmethod
    def from_json(cls, data: JSONObject) -> Self:
        """Read one result and its repetitions."""
        return cls(**data | {"repetitions": list(map(WrkRun.from_json, data["repetitions"]))})


# The roles of a server's processes (a master's, a worker's), and of nginx's behind the edge.
SERVER_ROLES = ("master", "worker")
EDGE_ROLES = ("edge master", "edge worker")


@dataclass(frozen=True)
class ServerProcess:
    """One process of a server, as read after load."""

    pid: int
    role: str  # "master" or "worker"; nginx's, behind the edge: "edge master", "edge worker"
    rss_kib: int
    threads: int
    cpus: str  # the CPUs it may run on, as Linux lists them: "0", "0-1"
    command: str


@dataclass(frozen=True)
class MemoryReading:
    """A target's processes after its last workload on one database."""

    database: str
    target: str
    role: str  # "shipped", "edge" (a shipped target behind the edge) or "variant"
    processes: list[ServerProcess]

    @classmethod
    def from_json(cls, data: JSONObject) -> Self:
        """Read one reading and its processes."""
        return cls(**data | {"processes": [ServerProcess(**item) for item in data["processes"]]})


@dataclass(frozen=True)
class VariantDescription:
    """An implementation with one setting changed, as the report describes it."""

    implementation: str
    target: str
    title: str
    what: str
    framework_default: bool = False  # the changed setting is the framework's or server's default
    workloads: list[str] = field(default_factory=lambda: ["get"])
    against: str | None = None  # the target it is set beside, when not the implementation


@dataclass(frozen=True)
class Claim:
    """A figure from articles, set beside the measured ones; not measured here."""

    framework: str
    scenario: str
    low: int
    high: int
    latency_ms: float | None = None


@dataclass(frozen=True)
class Quote:
    """A claim from articles in their words, with no figure: shown apart from measurements."""

    framework: str
    text: str
    about: str  # what it speaks of, in the report's words


@dataclass(frozen=True)
class ProxyOverhead:
    """The delay proxy's own cost, read as a run starts: the median time of `SELECT 1` on
    one connection, direct, through the proxy without a delay, and with its delay."""

    database: str  # the database kind it stands in front of: "postgresql-1ms"
    delay_ms: float  # each way
    queries: int  # behind each median
    direct_ms: float
    proxy_no_delay_ms: float  # the proxy's own cost: direct_ms plus what it adds
    proxy_delayed_ms: float  # at least direct_ms plus 2 x delay_ms


@dataclass(frozen=True)
class PasswordHashing:
    """The argon2id parameters the servers hashed the seeded users' passwords with, read from
    every stored hash, and what one hash with them costs alone (argon2-cffi, in the bench's
    process on the servers' CPU, once no server runs): what sign-up and sign-in pay."""

    memory_cost_kib: int  # m
    time_cost: int  # t
    parallelism: int  # p
    read_from: str  # where the parameters were read
    hashes: int  # behind each median
    hash_ms: float  # the median wall time of one hash
    hash_cpu_ms: float  # the median CPU time of one hash


@dataclass(frozen=True)
class BenchResults:
    """One benchmark run: how, where and what it measured."""

    mode: str  # "quick" or "full"
    started: str
    machine: Machine
    versions: dict[str, str]
    finished: str
    elapsed_s: float
    method: Method
    server_settings: ServerSettings
    targets: dict[str, TargetDescription]
    results: list[WorkloadResult]
    memory: list[MemoryReading]
    variants: list[VariantDescription] = field(default_factory=list)
    claims: list[Claim] | None = None  # None in older files: the report shows today's claims
    delay_proxy: list[ProxyOverhead] | None = None  # None without a database behind it
    latency_claims: list[Quote] | None = None  # None in older files: today's, if shown
    password_hashing: PasswordHashing | None = None  # None in files from before sign-in

    @classmethod
    def from_json(cls, data: JSONObject) -> Self:
        """Read a whole bench.json."""
        optional = {
            name: [kind(**item) for item in data[name]]
            for name, kind in (
                ("claims", Claim),
                ("delay_proxy", ProxyOverhead),
                ("latency_claims", Quote),
            )
            if name in data
        }
        return cls(
            **data
            | {
                "machine": Machine(**data["machine"]),
                "method": Method(**fields_of(data["method"])),
                "server_settings": ServerSettings(**fields_of(data["server_settings"])),
                "targets": {
                    name: TargetDescription(**target) for name, target in data["targets"].items()
                },
                "results": list(map(WorkloadResult.from_json, data["results"])),
                "memory": list(map(MemoryReading.from_json, data["memory"])),
                "variants": [VariantDescription(**item) for item in data.get("variants", [])],
            }
            | optional
            | (
                {"password_hashing": PasswordHashing(**data["password_hashing"])}
                if "password_hashing" in data
                else {}
            )
        )

    def to_json(self) -> JSONObject:
        """The run as bench.json stores it."""
        return dataclasses.asdict(self, dict_factory=json_object)


def load(path: Path) -> BenchResults:
    """Read a bench.json file."""
    return BenchResults.from_json(json.loads(path.read_text()))


def save(results: BenchResults, path: Path) -> None:
    """Write a bench.json file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results.to_json(), indent=1) + "\n")
