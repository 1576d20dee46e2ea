"""The figures the report reads from bench results: what ran, one result, a share of a baseline."""

from bench.claims import CLAIMS, LATENCY_CLAIMS
from bench.databases import delay_of
from bench.model import (
    BenchResults,
    Claim,
    Quote,
    ServerProcess,
    VariantDescription,
    WorkloadResult,
)

IMPLEMENTATIONS = ["flask", "django", "fastapi"]
BASELINE = {"wsgi": "bare-wsgi", "asgi": "bare-asgi"}
DATABASE_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
WORKLOAD_TITLES = {
    "get": "get one",
    "list": "list 20",
    "create": "create",
    "update": "update",
    "mix": "mix",
    "token": "sign in",
}

# The benchmark issue's two goals, on get-one.
GOAL_SHARE = 0.40  # of the stack's bare baseline
GOAL_TUNED = 1.5  # shipped against the framework's defaults


ROLES = ("shipped", "edge", "variant")


def database_title(kind: str) -> str:
    """A database kind's display name: 'PostgreSQL +1 ms each way' behind the delay proxy."""
    delay = delay_of(kind)
    return (
        DATABASE_TITLES.get(kind, kind) if delay is None else f"PostgreSQL +{delay:g} ms each way"
    )


def level_of(data: BenchResults, item: WorkloadResult) -> int:
    """A result's wrk connections (in files from before the levels, the method's)."""
    return item.connections or data.method.connections


def levels(data: BenchResults) -> list[int]:
    """The connection levels measured, lowest first."""
    return sorted({level_of(data, item) for item in data.results})


def main_level(data: BenchResults) -> int:
    """The level the report's tables show where they show one: the first, the lowest."""
    return data.method.connections


def at_level(data: BenchResults, level: int | None = None) -> str:
    """', 64 connections' for a heading, in files that record their levels; else nothing."""
    if data.method.connection_levels is None:
        return ""
    return f", {level or main_level(data)} connections"


def several_levels(data: BenchResults) -> bool:
    """Whether the run measured more than one connection level."""
    return len(levels(data)) > 1


def title(data: BenchResults, target: str) -> str:
    """A target's display name."""
    description = data.targets.get(target)
    return description.title if description is not None else target


def result(
    data: BenchResults, database: str, target: str, workload: str, connections: int | None = None
) -> WorkloadResult | None:
    """The summary of one target on one workload and database, at a connection level (by
    default the main one)."""
    wanted = (database, target, workload, connections or main_level(data))
    return next(
        (
            item
            for item in data.results
            if (item.database, item.target, item.workload, level_of(data, item)) == wanted
        ),
        None,
    )


def ratio(
    data: BenchResults, database: str, target: str, workload: str, connections: int | None = None
) -> float | None:
    """A target's median as a fraction of its stack's bare baseline."""
    stack = data.targets[target].stack
    measured = result(data, database, target, workload, connections)
    baseline = result(data, database, BASELINE[stack], workload, connections)
    if measured is None or baseline is None or not baseline.median_rps:
        return None
    return measured.median_rps / baseline.median_rps


def databases(data: BenchResults) -> list[str]:
    """The databases measured, in a fixed order: on loopback, then behind the delay proxy by
    delay."""
    found = {item.database for item in data.results}
    delayed = sorted((kind for kind in found if delay_of(kind) is not None), key=delay_of)
    return [name for name in DATABASE_TITLES if name in found] + delayed


def workloads(data: BenchResults) -> list[str]:
    """The workloads measured, in a fixed order."""
    found = {item.workload for item in data.results if item.role == "shipped"}
    return [name for name in WORKLOAD_TITLES if name in found]


def shipped_targets(data: BenchResults) -> list[str]:
    """Baselines and implementations, in the order they ran."""
    seen: list[str] = []
    for item in data.results:
        if item.role == "shipped" and item.target not in seen:
            seen.append(item.target)
    return seen


def shipped_at(data: BenchResults, database: str, level: int) -> bool:
    """Whether a baseline or an implementation ran on database at that connection level."""
    return any(
        item.role == "shipped" and item.database == database and level_of(data, item) == level
        for item in data.results
    )


def workers(
    data: BenchResults, database: str, target: str, roles: tuple[str, ...] = ("worker",)
) -> list[ServerProcess]:
    """The worker processes of a target (or its processes of other roles), as read after load."""
    for reading in data.memory:
        if (reading.database, reading.target) == (database, target):
            return [process for process in reading.processes if process.role in roles]
    return []


def edge_pairs(data: BenchResults) -> list[tuple[str, WorkloadResult, WorkloadResult]]:
    """(target, its result alone as `make serve` runs it, its result behind the edge as
    `make edge` runs it) for every pair measured: by database, then workload, in the order
    they ran."""
    pairs = []
    for item in data.results:
        if item.role != "edge":
            continue
        alone_name = item.target.removesuffix("-edge")
        alone = result(data, item.database, alone_name, item.workload, level_of(data, item))
        if alone is not None:
            pairs.append((alone_name, alone, item))
    kinds, order = databases(data), list(WORKLOAD_TITLES)
    return sorted(pairs, key=lambda pair: (kinds.index(pair[2].database),
                                           order.index(pair[2].workload)))  # fmt: skip


def variant_pairs(
    data: BenchResults,
) -> list[tuple[VariantDescription, str, str, WorkloadResult, WorkloadResult]]:
    """(variant, database, workload, shipped result, variant result) for every pair measured."""
    pairs = []
    for variant in data.variants:
        for database in databases(data):
            for workload in variant.workloads:
                for level in levels(data):
                    changed = result(data, database, variant.target, workload, level)
                    shipped = result(data, database, against(variant), workload, level)
                    if changed is not None and shipped is not None:
                        pairs.append((variant, database, workload, shipped, changed))
    return pairs


def against(variant: VariantDescription) -> str:
    """The target a variant is set beside: its implementation as shipped, unless it says."""
    return variant.against or variant.implementation


def claims(data: BenchResults) -> list[Claim]:
    """The claims the run recorded; today's for a file from before they were recorded."""
    return CLAIMS if data.claims is None else data.claims


def latency_claims(data: BenchResults) -> list[Quote]:
    """The quoted claims the run recorded; today's for a file from before they were."""
    return LATENCY_CLAIMS if data.latency_claims is None else data.latency_claims


def latency_level(data: BenchResults) -> int | None:
    """The connection level the latency section shows: the highest run behind the proxy."""
    found = [level_of(data, item) for item in data.results if delay_of(item.database) is not None]
    return max(found, default=None)


def latency_pairs(data: BenchResults, kind: str) -> list[tuple[WorkloadResult, WorkloadResult]]:
    """(direct, behind the delay proxy) for every target and workload run both ways at the
    latency level: by workload, then shipped, behind the edge, variants, in the order run."""
    level = latency_level(data)
    pairs = []
    for item in data.results:
        if item.database != kind or level_of(data, item) != level:
            continue
        direct = result(data, "postgresql", item.target, item.workload, level)
        if direct is not None:
            pairs.append((direct, item))
    order = list(WORKLOAD_TITLES)
    return sorted(pairs, key=lambda pair: (order.index(pair[1].workload),
                                           ROLES.index(pair[1].role)))  # fmt: skip


def delayed_kinds(data: BenchResults) -> list[str]:
    """The databases behind the delay proxy that have results to set beside direct ones."""
    return [kind for kind in databases(data)
            if delay_of(kind) is not None and latency_pairs(data, kind)]  # fmt: skip
