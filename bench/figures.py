"""The figures the report reads from bench results: what ran, one result, a share of a baseline."""

from bench.claims import CLAIMS
from bench.model import BenchResults, Claim, ServerProcess, VariantDescription, WorkloadResult

IMPLEMENTATIONS = ["flask", "django", "fastapi"]
BASELINE = {"wsgi": "bare-wsgi", "asgi": "bare-asgi"}
DATABASE_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
WORKLOAD_TITLES = {
    "get": "get one",
    "list": "list 20",
    "create": "create",
    "update": "update",
    "mix": "mix",
}

# The benchmark issue's two goals, on get-one.
GOAL_SHARE = 0.40  # of the stack's bare baseline
GOAL_TUNED = 1.5  # shipped against the framework's defaults


def title(data: BenchResults, target: str) -> str:
    """A target's display name."""
    description = data.targets.get(target)
    return description.title if description is not None else target


def result(data: BenchResults, database: str, target: str, workload: str) -> WorkloadResult | None:
    """The summary of one target on one workload and database."""
    return next(
        (
            item
            for item in data.results
            if (item.database, item.target, item.workload) == (database, target, workload)
        ),
        None,
    )


def ratio(data: BenchResults, database: str, target: str, workload: str) -> float | None:
    """A target's median as a fraction of its stack's bare baseline."""
    stack = data.targets[target].stack
    measured = result(data, database, target, workload)
    baseline = result(data, database, BASELINE[stack], workload)
    if measured is None or baseline is None or not baseline.median_rps:
        return None
    return measured.median_rps / baseline.median_rps


def databases(data: BenchResults) -> list[str]:
    """The databases measured, in a fixed order."""
    found = {item.database for item in data.results}
    return [name for name in DATABASE_TITLES if name in found]


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
    `make edge` runs it) for every pair measured, in the order they ran."""
    pairs = []
    for item in data.results:
        if item.role != "edge":
            continue
        alone_name = item.target.removesuffix("-edge")
        alone = result(data, item.database, alone_name, item.workload)
        if alone is not None:
            pairs.append((alone_name, alone, item))
    return pairs


def variant_pairs(
    data: BenchResults,
) -> list[tuple[VariantDescription, str, str, WorkloadResult, WorkloadResult]]:
    """(variant, database, workload, shipped result, variant result) for every pair measured."""
    pairs = []
    for variant in data.variants:
        for database in databases(data):
            for workload in variant.workloads:
                changed = result(data, database, variant.target, workload)
                shipped = result(data, database, against(variant), workload)
                if changed is not None and shipped is not None:
                    pairs.append((variant, database, workload, shipped, changed))
    return pairs


def against(variant: VariantDescription) -> str:
    """The target a variant is set beside: its implementation as shipped, unless it says."""
    return variant.against or variant.implementation


def claims(data: BenchResults) -> list[Claim]:
    """The claims the run recorded; today's for a file from before they were recorded."""
    return CLAIMS if data.claims is None else data.claims
