"""Loading the targets of one database in turns, and what that measured."""

import argparse
import statistics
import uuid
from contextlib import ExitStack
from dataclasses import dataclass

from bench import cpus, processes, servers, workloads, wrk
from bench.databases import fresh_database, reset, seed
from bench.model import EDGE_ROLES, MemoryReading, WorkloadResult, WrkRun
from bench.servers import Target
from tooling.progress import Progress

SUMMARY_PERCENTILES = ("p50", "p90", "p99", "p999", "max")


@dataclass(frozen=True)
class Entry:
    """A target in one database's run, with the workloads it takes part in."""

    target: Target
    workloads: tuple[str, ...]
    role: str  # "shipped", "edge" or "variant"


@dataclass(frozen=True)
class Running:
    """A started target: where it is loaded, its database, and behind the edge, its server's
    own URL (the server that the target without the edge is loaded on, when both run)."""

    base_url: str
    database_url: str
    server_url: str | None = None

    @property
    def addresses(self) -> tuple[str, str]:
        """Where it is loaded, and its database."""
        return self.base_url, self.database_url


def summarize(database: str, entry: Entry, workload: str, runs: list[WrkRun]) -> WorkloadResult:
    """Median and spread of the repetitions; a run with any error is flagged."""
    rates = [run.requests_per_s for run in runs]

    def median_of(name: str) -> float | None:
        values = [run.latency_ms[name] for run in runs if name in run.latency_ms]
        return round(statistics.median(values), 3) if values else None

    errors = sum(run.errors for run in runs)
    return WorkloadResult(
        database=database,
        target=entry.target.name,
        workload=workload,
        role=entry.role,
        median_rps=round(statistics.median(rates), 1),
        min_rps=round(min(rates), 1),
        max_rps=round(max(rates), 1),
        latency_ms={name: median_of(name) for name in SUMMARY_PERCENTILES},
        errors=errors,
        non_2xx=sum(run.non_2xx for run in runs),
        flagged=errors > 0,
        repetitions=runs,
    )


class Measurement:
    """One benchmark run's loading, and every result and memory reading it took."""

    def __init__(self, options: argparse.Namespace, progress: Progress) -> None:
        self.options = options
        self.progress = progress
        self.results: list[WorkloadResult] = []
        self.memory: list[MemoryReading] = []

    def load(self, base_url: str, workload: str, seconds: int) -> WrkRun:
        """One wrk run (a new email prefix for every run, so that creates never collide)."""
        requests = workloads.lua_script(workload, self.options.users, uuid.uuid4().hex[:8])
        return wrk.run(base_url, requests, seconds=seconds, connections=self.options.connections)

    def measure(self, database: str, entries: list[Entry]) -> None:
        """Start every target on a fresh database of its own (behind the edge, nginx in front
        of the same server), seed and warm each up, then load them in turns (one repetition
        of each before the next), then read their memory.

        Taking turns spreads a slowdown of the machine over every target instead of
        charging it to whichever ran at that moment: the ratios stay comparable.
        """
        options = self.options
        say = self.progress.step
        with ExitStack() as stack:
            started: dict[str, Running] = {}  # by target name, the servers behind the edge too
            for entry in entries:
                self.start(stack, database, entry.target, started)
            urls = {entry.target.name: started[entry.target.name] for entry in entries}
            stack.enter_context(cpus.off_server_cpu())
            prepared: set[str] = set()  # the databases of the servers seeded and warmed up
            for entry in entries:
                base_url, url = urls[entry.target.name].addresses
                if url in prepared:  # behind the edge, a server seeded and warmed up alone
                    continue
                prepared.add(url)
                say(f"{database} {entry.target.name}: seeding {options.users} users")
                seed(base_url, url, options.users)
                if options.warmup:
                    say(f"{database} {entry.target.name}: warm-up, mix, {options.warmup}s")
                    self.load(base_url, "mix", options.warmup)
                    reset(url, options.users)
            for workload in workloads.WORKLOADS:
                taking_part = [entry for entry in entries if workload in entry.workloads]
                runs: dict[str, list[WrkRun]] = {e.target.name: [] for e in taking_part}
                for entry in taking_part if options.workload_warmup else []:
                    base_url, url = urls[entry.target.name].addresses
                    self.load(base_url, workload, options.workload_warmup)
                    if workload in workloads.WRITES:
                        reset(url, options.users)
                for repetition in range(1, options.repetitions + 1):
                    for entry in taking_part:
                        base_url, url = urls[entry.target.name].addresses
                        run = self.load(base_url, workload, options.duration)
                        runs[entry.target.name].append(run)
                        flag = f", {run.errors} ERRORS" if run.errors else ""
                        say(
                            f"{database} {entry.target.name} {workload} "
                            f"rep {repetition}/{options.repetitions}: "
                            f"{run.requests_per_s:.0f} req/s, "
                            f"p99 {run.latency_ms.get('p99', 0):.1f} ms{flag}"
                        )
                        if workload in workloads.WRITES:
                            reset(url, options.users)
                for entry in taking_part:
                    self.results.append(
                        summarize(database, entry, workload, runs[entry.target.name])
                    )
            for entry in entries:
                self.read_memory(database, entry, urls[entry.target.name])

    def start(
        self, stack: ExitStack, database: str, target: Target, started: dict[str, Running]
    ) -> Running:
        """Start target once, on a fresh database; behind the edge, nginx in front of its
        server, which a target without the edge shares: the same processes, with and
        without nginx in front, on the same database."""
        if target.name in started:
            return started[target.name]
        if target.upstream is None:
            url = stack.enter_context(fresh_database(database))
            self.progress.step(f"{database} {target.name}: starting")
            base_url = stack.enter_context(servers.started(target, url, self.options.workers))
            running = Running(base_url, url)
        else:
            server = self.start(stack, database, target.upstream, started)
            self.progress.step(f"{database} {target.name}: starting nginx in front")
            base_url = stack.enter_context(servers.edge_in_front(server.base_url))
            running = Running(base_url, server.database_url, server.base_url)
        started[target.name] = running
        return running

    def read_memory(self, database: str, entry: Entry, running: Running) -> None:
        """Record the RSS and threads of a target's processes after load: behind the edge,
        nginx's and its server's."""
        found = []
        if running.server_url is not None:
            edge_port = processes.port_of(running.base_url)
            found += processes.server_processes(edge_port, EDGE_ROLES)
        server_url = running.server_url or running.base_url
        found += processes.server_processes(processes.port_of(server_url))
        self.memory.append(MemoryReading(database, entry.target.name, entry.role, found))
        for process in found:
            self.progress.step(
                f"{database} {entry.target.name}: {process.role} {process.pid} "
                f"RSS {process.rss_kib / 1024:.1f} MiB, "
                f"{process.threads} threads, CPUs {process.cpus}"
            )
