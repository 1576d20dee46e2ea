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

    database: str
    target: str
    workload: str
    role: str  # "shipped", "edge" (a shipped target behind the edge) or "variant"
    median_rps: float
    min_rps: float
    max_rps: float
    latency_ms: dict[str, float | None]  # the repetitions' medians of p50, p90, p99, p999, max
    errors: int
    non_2xx: int
    flagged: bool  # a repetition met an error: shown, never averaged away
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

    @classmethod
    def from_json(cls, data: JSONObject) -> Self:
        """Read a whole bench.json."""
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
                "claims": [Claim(**item) for item in data["claims"]] if "claims" in data else None,
            }
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
