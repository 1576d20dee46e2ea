"""Loading the targets of one database in turns (PostgreSQL's, direct and behind the delay
proxy, together), and what that measured."""

import argparse
import dataclasses
import statistics
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from itertools import groupby

import psutil

from bench import authentication, cpus, databases, latency, processes, servers, workloads, wrk
from bench.authentication import Tokens
from bench.databases import (
    connections_in_use,
    delay_of,
    fresh_database,
    held,
    reset,
    seed,
    server_of,
)
from bench.model import EDGE_ROLES, MemoryReading, WorkloadResult, WrkRun
from bench.servers import Target
from tooling.progress import Progress

SUMMARY_PERCENTILES = ("p50", "p90", "p99", "p999", "max")
# PostgreSQL connections left free while targets are added to a group: the bench's own,
# a connection per request of a variant that keeps none, whatever else uses the server.
HEADROOM = 10


@dataclass(frozen=True)
class Entry:
    """A target on one database, with the workloads it takes part in."""

    target: Target
    workloads: tuple[str, ...]
    role: str  # "shipped", "edge" or "variant"
    database: str  # "sqlite", "postgresql", "postgresql-1ms" (behind the delay proxy)

    @property
    def key(self) -> tuple[str, str]:
        """Its database and target's name: what tells it apart in a run."""
        return self.database, self.target.name

    @property
    def label(self) -> str:
        """Its database and target's name, for the progress lines."""
        return f"{self.database} {self.target.name}"


def bundles(entries: list[Entry]) -> list[list[Entry]]:
    """The entries in runs of one server's (in_admission_order puts them side by side)."""
    return [list(run) for _, run in groupby(entries, key=lambda entry: entry.target.server.name)]


def in_admission_order(entries: list[Entry]) -> list[Entry]:
    """The entries with a target's direct and delayed runs side by side, and a target behind
    the edge beside its server alone, so that they start in the same group and take turns
    together: by their servers' first appearance, alone before behind the edge, then by
    database."""
    servers = list(dict.fromkeys(entry.target.server.name for entry in entries))
    kinds = list(dict.fromkeys(entry.database for entry in entries))
    return sorted(entries, key=lambda entry: (servers.index(entry.target.server.name),
                                              entry.target.upstream is not None,
                                              kinds.index(entry.database)))  # fmt: skip


@dataclass(frozen=True)
class Running:
    """A started target: where it is loaded, its database, behind the edge its server's own
    URL (the server that the target without the edge is loaded on, when both run), and the
    delay proxy in front of its database, if any (database_url is the database's own)."""

    base_url: str
    database_url: str
    server_url: str | None = None
    proxy: latency.Proxy | None = None

    @property
    def addresses(self) -> tuple[str, str]:
        """Where it is loaded, and its database."""
        return self.base_url, self.database_url

    @property
    def ports(self) -> list[int]:
        """The ports whose processes serve it: nginx's behind the edge, and its server's."""
        urls = [self.base_url, *([self.server_url] if self.server_url else [])]
        return [processes.port_of(url) for url in urls]


def median_or_none(values: list[float | None], digits: int) -> float | None:
    """The median of values, or None when one is missing."""
    if not values or None in values:
        return None
    return round(statistics.median(values), digits)  # type: ignore[type-var]


def per_request(
    runs: list[WrkRun], count: Callable[[WrkRun], int | None], per: int = 1
) -> float | None:
    """A count summed over the repetitions, per (per) requests they made, to the hundredth;
    None where not counted."""
    counted = [count(run) for run in runs]
    requests = sum(run.requests for run in runs)
    if not runs or None in counted or not requests:
        return None
    return round(sum(counted) / requests * per, 2)  # type: ignore[arg-type]


def summarize(
    entry: Entry,
    workload: str,
    runs: list[WrkRun],
    connections: int | None = None,
    group: int | None = None,
) -> WorkloadResult:
    """Median and spread of the repetitions; a run with any error is flagged. CPU time is
    the median per 1,000 requests; the database's round trips and new connections, the
    repetitions' totals per request."""
    rates = [run.requests_per_s for run in runs]

    def median_of(name: str) -> float | None:
        values = [run.latency_ms[name] for run in runs if name in run.latency_ms]
        return round(statistics.median(values), 3) if values else None

    cpu = [None if run.server_cpu_s is None or not run.requests
           else run.server_cpu_s / run.requests * 1000 for run in runs]  # fmt: skip
    errors = sum(run.errors for run in runs)
    return WorkloadResult(
        database=entry.database,
        target=entry.target.name,
        workload=workload,
        role=entry.role,
        connections=connections,
        group=group,
        median_rps=round(statistics.median(rates), 1),
        min_rps=round(min(rates), 1),
        max_rps=round(max(rates), 1),
        latency_ms={name: median_of(name) for name in SUMMARY_PERCENTILES},
        errors=errors,
        non_2xx=sum(run.non_2xx for run in runs),
        flagged=errors > 0,
        server_cpu_s_per_1000=median_or_none(cpu, 3),
        db_round_trips_per_request=per_request(runs, lambda run: run.db_round_trips),
        db_connections_per_1000=per_request(runs, lambda run: run.db_connections, per=1000),
        repetitions=runs,
    )


def levels(options: argparse.Namespace, database: str, workload: str) -> list[int]:
    """The connection levels a workload runs at on a database: every workload at the first
    level; the levels beyond it (many clients) on PostgreSQL only, with the workloads chosen
    for the delay proxy; behind the proxy, only those levels when there are any. A workload
    that hashes a password runs at the first level, HASHING_CONNECTIONS at most: a server's
    threads share its one core among the hashes in flight, and with 8 of them, none ended
    within a run of 1 s on a busy machine (wrk counts what ended)."""
    first, *more = options.connections
    if workload in workloads.HASHING:
        return [min(first, workloads.HASHING_CONNECTIONS)]
    if server_of(database) != "postgresql" or workload not in options.delayed_workloads:
        more = []
    if delay_of(database) is not None:
        return more or [first]
    return [first, *more]


def difference(before: float | None, after: float | None) -> float | None:
    """after - before, rounded to the millisecond; None if either is missing."""
    return None if before is None or after is None else round(after - before, 3)


class Measurement:
    """One benchmark run's loading, and every result and memory reading it took."""

    def __init__(self, options: argparse.Namespace, progress: Progress) -> None:
        self.options = options
        self.progress = progress
        self.results: list[WorkloadResult] = []
        self.memory: list[MemoryReading] = []
        self.watched: dict[tuple[int, ...], list[psutil.Process]] = {}  # by Running.ports
        self.tokens: dict[str, Tokens] = {}  # the seeded users' tokens, by database URL
        # The argon2id parameters (m, t, p) read from the hashes each target's server stored.
        self.hashing: dict[str, tuple[int, int, int]] = {}

    def load(self, running: Running, workload: str, seconds: int, connections: int) -> WrkRun:
        """One wrk run, with the users' tokens (a new email prefix for every run, so that
        creates never collide)."""
        tokens = self.tokens_for(running, seconds)
        requests = workloads.lua_script(
            workload, self.options.users, uuid.uuid4().hex[:8], tokens.values
        )
        return wrk.run(running.base_url, requests, seconds=seconds, connections=connections)

    def tokens_for(self, running: Running, seconds: int) -> Tokens:
        """The seeded users' tokens for a target's database: minted the first time, and again
        when one would expire before a run of seconds ends (a target can wait longer than
        their 15 minutes for its next turn)."""
        url = running.database_url
        tokens = self.tokens.get(url)
        if tokens is None or tokens.expire_within(seconds + authentication.MARGIN_S):
            self.tokens[url] = tokens = authentication.mint_tokens(url, self.options.users)
        return tokens

    def server_processes(self, running: Running) -> list[psutil.Process]:
        """The processes serving a target (nginx's too behind the edge), found once."""
        key = tuple(running.ports)
        if key not in self.watched:
            self.watched[key] = [found for port in key for found in processes.holders(port)]
        return self.watched[key]

    def measured_load(self, running: Running, workload: str, connections: int) -> WrkRun:
        """One repetition: wrk, the CPU time its server's processes used meanwhile, and behind
        the delay proxy, the round trips and new connections it counted meanwhile (reset just
        before wrk starts, read just after it ends)."""
        found = self.server_processes(running)
        proxy = running.proxy
        self.tokens_for(running, self.options.duration)  # before the run, not during it
        cpu_before = processes.cpu_seconds(found)
        proxy_before = proxy.cpu_seconds() if proxy else None
        if proxy:
            proxy.counters(reset=True)
        run = self.load(running, workload, self.options.duration, connections)
        counted = proxy.counters() if proxy else {}
        cpu_after = processes.cpu_seconds(found)
        if cpu_after is None:  # a process went away: find them again for the next run
            del self.watched[tuple(running.ports)]
        return dataclasses.replace(
            run,
            server_cpu_s=difference(cpu_before, cpu_after),
            db_round_trips=counted.get("round_trips"),
            db_connections=counted.get("connections"),
            proxy_cpu_s=difference(proxy_before, proxy.cpu_seconds() if proxy else None),
        )

    def measure(self, entries: list[Entry]) -> None:
        """Start the targets on a fresh database each (behind the edge, nginx in front of the
        same server; behind the delay proxy, a proxy of its own in front of each database),
        seed and warm each up, then load them in turns (one repetition of each before the
        next), then read their memory.

        Taking turns spreads a slowdown of the machine over every target instead of
        charging it to whichever ran at that moment: the ratios stay comparable, and so
        does a target direct and behind the delay proxy, given together. On PostgreSQL,
        the targets whose pools do not fit beside the others' under the server's
        max_connections take turns in a group of their own, after.
        """
        remaining = in_admission_order(entries)
        on_postgresql = any(server_of(entry.database) == "postgresql" for entry in entries)
        with held(databases.SERVER_URL) if on_postgresql else nullcontext():  # the bench's own
            group = 0
            while remaining:
                group += 1
                remaining = remaining[len(self.measure_group(remaining, group)) :]

    def measure_group(self, entries: list[Entry], group: int) -> list[Entry]:
        """Start the first entries that fit (start_group), load them in turns, read their
        memory, stop them; return them."""
        with ExitStack() as stack:
            urls: dict[tuple[str, str], Running] = {}
            taken = self.start_group(stack, entries, urls)
            names = ", ".join(entry.label for entry in taken)
            self.progress.step(f"group {group}, taking turns: {names}")
            stack.enter_context(cpus.off_server_cpu())
            self.load_in_turns(taken, urls, group)
            for entry in taken:
                self.read_memory(entry, urls[entry.key])
        self.watched.clear()
        self.tokens.clear()  # their databases are dropped
        return taken

    def start_group(
        self, stack: ExitStack, entries: list[Entry], urls: dict[tuple[str, str], Running]
    ) -> list[Entry]:
        """Start, seed and warm up the first entries, a server's at a time (alone and behind
        the edge, direct and behind the delay proxy: bundles), as long as they fit (always
        the first bundle); return them, with urls filled in by Entry.key."""
        started: dict[tuple[str, str], Running] = {}  # the servers behind the edge too
        prepared: set[str] = set()  # the databases of the servers seeded and warmed up
        taken: list[Entry] = []
        for bundle in bundles(entries):
            attempt = ExitStack()
            before = dict(started)
            found: dict[tuple[str, str], Running] = {}
            fits = True
            try:
                for entry in bundle:
                    found[entry.key] = self.start(attempt, entry.database, entry.target, started)
                    fits = self.prepare(entry, found[entry.key], prepared) or not taken
                    if not fits:
                        break
            except BaseException:
                attempt.close()
                raise
            if not fits:
                attempt.close()  # stopped, their databases dropped: first of the next group
                self.progress.step(f"{bundle[0].target.server.name}: stopped, for a next group")
                prepared -= {running.database_url for running in found.values()}
                started.clear()
                started.update(before)
                break
            stack.enter_context(attempt)
            urls.update(found)
            taken += bundle
        return taken

    def prepare(self, entry: Entry, running: Running, prepared: set[str]) -> bool:
        """Seed a target's server, check that it issues the tokens the bench mints and accepts
        them, mint a token for each seeded user and warm it up, unless done already (behind
        the edge, a server seeded and warmed up alone); the warm-up, at the highest
        connection level, fills its pools. Whether it fits beside the targets started before
        it: on PostgreSQL, no error in its warm-up and the server's connections still under
        the limit."""
        options = self.options
        base_url, url = running.addresses
        if url in prepared:
            return True
        prepared.add(url)
        say = self.progress.step
        on_postgresql = server_of(entry.database) == "postgresql"
        warmup = max(options.warmup, 1) if on_postgresql else options.warmup
        with cpus.off_server_cpu():
            say(f"{entry.label}: seeding {options.users} users")
            started = time.monotonic()
            try:
                seed(base_url, url, options.users)
                memory_cost, time_cost, parallelism = self.check_hashing(entry, url)
                authentication.check_issued(base_url, url)
                say(f"{entry.label}: seeded and its token checked in "
                    f"{time.monotonic() - started:.1f} s, hashed with argon2id m={memory_cost}, "
                    f"t={time_cost}, p={parallelism}")  # fmt: skip
                self.tokens.pop(url, None)  # a database of the same URL before: other users
                self.tokens_for(running, warmup)
            except RuntimeError as error:  # a 503: no database connection to be had
                say(f"{entry.label}: {error}")
                return False
            warmed = None
            if warmup:
                say(f"{entry.label}: warm-up, mix, {warmup}s, "
                    f"{options.connections[-1]} connections")  # fmt: skip
                warmed = self.load(running, "mix", warmup, options.connections[-1])
                reset(url, options.users)
        if not on_postgresql:
            return True
        used, limit = connections_in_use()
        errors = warmed.errors if warmed else 0
        say(f"{entry.label}: {used} of PostgreSQL's {limit} connections in use, "
            f"{errors} errors in the warm-up")  # fmt: skip
        return used <= limit - HEADROOM and not errors

    def check_hashing(self, entry: Entry, url: str) -> tuple[int, int, int]:
        """The argon2id parameters of the hashes a target's server stored; a run whose servers
        hashed with different ones stops (ValueError): sign-up and sign-in would not compare."""
        found = authentication.stored_parameters(url)
        self.hashing[entry.label] = found
        if len(set(self.hashing.values())) > 1:
            raise ValueError(f"the servers hashed with different parameters: {self.hashing}")
        return found

    def load_in_turns(
        self, entries: list[Entry], urls: dict[tuple[str, str], Running], group: int
    ) -> None:
        """Every workload at every connection level: the repetitions in turns; a summary of
        each target's."""
        options = self.options
        for workload in workloads.WORKLOADS:
            taking_part = [entry for entry in entries if workload in entry.workloads]
            for entry in taking_part if options.workload_warmup else []:
                running = urls[entry.key]
                warm = options.connections[-1]
                if workload in workloads.HASHING:  # at its own level (levels())
                    warm = levels(options, entry.database, workload)[-1]
                self.load(running, workload, options.workload_warmup, warm)
                if workload in workloads.WRITES:
                    reset(running.database_url, options.users)
            every_level = {level for entry in taking_part
                           for level in levels(options, entry.database, workload)}  # fmt: skip
            for connections in sorted(every_level):
                at_level = [
                    entry
                    for entry in taking_part
                    if connections in levels(options, entry.database, workload)
                ]
                runs: dict[tuple[str, str], list[WrkRun]] = {e.key: [] for e in at_level}
                for repetition in range(1, options.repetitions + 1 if at_level else 1):
                    for entry in at_level:
                        running = urls[entry.key]
                        run = self.measured_load(running, workload, connections)
                        runs[entry.key].append(run)
                        self.progress.step(
                            f"{entry.label} {workload}, {connections} connections, "
                            f"rep {repetition}/{options.repetitions}: {describe(run)}"
                        )
                        if workload in workloads.WRITES:
                            reset(running.database_url, options.users)
                self.results += [
                    summarize(entry, workload, runs[entry.key], connections, group)
                    for entry in at_level
                ]

    def start(
        self,
        stack: ExitStack,
        database: str,
        target: Target,
        started: dict[tuple[str, str], Running],
    ) -> Running:
        """Start target once, on a fresh database (behind the delay proxy: with a proxy of
        its own in front); behind the edge, nginx in front of its server, which a target
        without the edge shares: the same processes, with and without nginx in front, on
        the same database."""
        if (database, target.name) in started:
            return started[database, target.name]
        if target.upstream is None:
            url = stack.enter_context(fresh_database(database))
            delay = delay_of(database)
            proxy = None
            if delay is not None:
                self.progress.step(f"{database} {target.name}: starting a delay proxy, "
                                   f"{delay:g} ms each way")  # fmt: skip
                proxy = stack.enter_context(latency.proxy_in_front(url, delay))
            self.progress.step(f"{database} {target.name}: starting")
            server_url = proxy.url(url) if proxy else url
            base_url = stack.enter_context(
                servers.started(target, server_url, self.options.workers)
            )
            running = Running(base_url, url, proxy=proxy)
        else:
            server = self.start(stack, database, target.upstream, started)
            self.progress.step(f"{database} {target.name}: starting nginx in front")
            base_url = stack.enter_context(servers.edge_in_front(server.base_url))
            running = Running(base_url, server.database_url, server.base_url, server.proxy)
        started[database, target.name] = running
        return running

    def read_memory(self, entry: Entry, running: Running) -> None:
        """Record the RSS and threads of a target's processes after load: behind the edge,
        nginx's and its server's."""
        found = []
        if running.server_url is not None:
            edge_port = processes.port_of(running.base_url)
            found += processes.server_processes(edge_port, EDGE_ROLES)
        server_url = running.server_url or running.base_url
        found += processes.server_processes(processes.port_of(server_url))
        self.memory.append(MemoryReading(entry.database, entry.target.name, entry.role, found))
        for process in found:
            self.progress.step(
                f"{entry.label}: {process.role} {process.pid} "
                f"RSS {process.rss_kib / 1024:.1f} MiB, "
                f"{process.threads} threads, CPUs {process.cpus}"
            )


def describe(run: WrkRun) -> str:
    """One repetition's figures, for the progress line."""
    parts = [f"{run.requests_per_s:.0f} req/s", f"p99 {run.latency_ms.get('p99', 0):.1f} ms"]
    if run.server_cpu_s is not None and run.requests:
        parts.append(f"{run.server_cpu_s / run.requests * 1000:.2f} CPU ms/req")
    if run.db_round_trips is not None and run.requests:
        parts.append(f"{run.db_round_trips / run.requests:.2f} round trips/req, "
                     f"{run.db_connections} new connections")  # fmt: skip
    if run.errors:
        parts.append(f"{run.errors} ERRORS")
    return ", ".join(parts)
