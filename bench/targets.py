"""What the benchmark loads: the implementations, their bare baselines, each of them behind the
edge, and the implementations' variants."""

from dataclasses import dataclass, replace

from bench import servers
from bench.databases import DATABASES
from bench.model import TargetDescription, VariantDescription
from bench.servers import Target
from bench.workloads import WORKLOADS

GTHREAD = "--worker-class gthread --threads 4"


def targets() -> list[Target]:
    """The implementations, each after its stack's bare baseline."""
    return [
        Target("bare-wsgi", "bare WSGI", "wsgi",
               command=servers.server_command_for("flask", "bench.bare_wsgi:application")),
        Target("flask", "Flask", "wsgi", impl="flask"),
        Target("django", "Django + DRF", "wsgi", impl="django"),
        Target("bare-asgi", "bare ASGI", "asgi",
               command=servers.server_command_for("fastapi", "bench.bare_asgi:app")),
        Target("fastapi", "FastAPI", "asgi", impl="fastapi"),
    ]  # fmt: skip


def behind_the_edge(target: Target, name: str | None = None, title: str | None = None) -> Target:
    """target with the edge in front of its server: nginx, as `make edge` configures it."""
    return Target(name or f"{target.name}-edge", title or f"{target.title}, behind the edge",
                  target.stack, upstream=target)  # fmt: skip


def as_make_edge_runs_it(target: Target) -> Target:
    """An implementation's server as `make edge` starts it, with BEHIND_EDGE set (gunicorn's
    gthread workers); a bare baseline's server is the same with or without the edge."""
    if target.impl is None:
        return target
    return replace(target, name=f"{target.name}-behind-edge", env=(("BEHIND_EDGE", "1"),))


def edge_targets() -> list[Target]:
    """Every target above behind the edge: the implementations as `make edge` runs them, to
    show what the edge costs each, and each stack's bare baseline, to show nginx's own cost."""
    return [
        behind_the_edge(as_make_edge_runs_it(target), f"{target.name}-edge",
                        f"{target.title}, behind the edge")
        for target in targets()
    ]  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """An implementation with one setting changed, measured beside the shipped one."""

    implementation: str
    target: Target
    what: str
    framework_default: bool  # the changed setting is the framework's or server's default
    databases: tuple[str, ...] = tuple(DATABASES)
    workloads: tuple[str, ...] = ("get",)
    against: str | None = None  # the target it is set beside, when not the implementation

    def description(self) -> VariantDescription:
        """What the report says of it."""
        return VariantDescription(
            implementation=self.implementation,
            target=self.target.name,
            title=self.target.title,
            what=self.what,
            framework_default=self.framework_default,
            workloads=list(self.workloads),
            against=self.against,
        )


def variants() -> list[Variant]:
    """Settings other than the shipped ones, each on its implementation's usual workloads."""
    uvicorn_default = servers.without_http_option(servers.makefile_server_command("fastapi"))
    fastapi_async = servers.server_command_for("fastapi", "bench.fastapi_async:app")
    gthread = (
        f"gunicorn `{GTHREAD}` (GUNICORN_CMD_ARGS) instead of the shipped sync workers, "
        "which are also gunicorn's default"
    )
    sync_edge = (
        "behind the edge, gunicorn's sync workers, as `make serve` runs it, instead of the "
        "shipped gthread workers, 4 threads (BEHIND_EDGE=1), which nginx's buffering allows"
    )
    rollback = (
        "SQLite's default rollback journal (SQLITE_JOURNAL_MODE=DELETE) instead of the shipped "
        "write-ahead log (WAL)"
    )
    found: list[Variant] = []
    for impl, title in (("flask", "Flask"), ("django", "Django")):
        threads = Target(f"{impl}-gthread", f"{title}, gunicorn gthread", "wsgi", impl=impl,
                         env=(("GUNICORN_CMD_ARGS", GTHREAD),))  # fmt: skip
        found.append(Variant(impl, threads, gthread, framework_default=False))
        sync = next(target for target in targets() if target.impl == impl)
        found.append(Variant(impl, behind_the_edge(sync, f"{impl}-sync-edge",
                                                   f"{title}, gunicorn sync, behind the edge"),
                             sync_edge, framework_default=True, workloads=tuple(WORKLOADS),
                             against=f"{impl}-edge"))  # fmt: skip
    found += [
        Variant("django", Target("django-conn-max-age-0", "Django, CONN_MAX_AGE 0", "wsgi",
                                 impl="django", env=(("DJANGO_CONN_MAX_AGE", "0"),)),
                "`CONN_MAX_AGE = 0` (DJANGO_CONN_MAX_AGE=0), Django's default: a new database "
                "connection for every request, instead of the shipped 60 s",
                framework_default=True),
        Variant("fastapi", Target("fastapi-default-http", "FastAPI, uvicorn's default protocol",
                                  "asgi", command=uvicorn_default, init_impl="fastapi"),
                "the Makefile's uvicorn flags without `--http impl_fastapi.server:"
                "H11NoDelayProtocol` (uvicorn's own h11, TCP_NODELAY left off with several "
                "workers)", framework_default=True),
        Variant("fastapi", Target("fastapi-async", "FastAPI, async def", "asgi",
                                  command=fastapi_async, init_impl="fastapi"),
                "get-one as an `async def` path operation on SQLAlchemy's asyncio extension "
                "(bench/fastapi_async.py; psycopg's async connections, so PostgreSQL only) "
                "instead of the shipped `def` run in FastAPI's thread pool",
                framework_default=False, databases=("postgresql",)),
    ]  # fmt: skip
    for shipped in targets():
        if shipped.impl is None:  # a bare baseline
            continue
        journal = replace(
            shipped,
            name=f"{shipped.impl}-rollback-journal",
            title=f"{shipped.title}, SQLite rollback journal",
            env=(("SQLITE_JOURNAL_MODE", "DELETE"),),
        )
        found.append(
            Variant(
                shipped.impl,
                journal,
                rollback,
                framework_default=True,
                databases=("sqlite",),
                workloads=("get", "create", "update", "mix"),
            )
        )
    return found


def descriptions() -> dict[str, TargetDescription]:
    """Every target and variant, as the report names and groups them."""
    return {
        target.name: TargetDescription(
            target.title,
            target.stack,
            target.name.startswith("bare-") and target.upstream is None,
            upstream=None if target.upstream is None else target.upstream.name,
        )
        for target in [*every_target(), *servers_behind_the_edge()]
    }


def servers_behind_the_edge() -> list[Target]:
    """The servers that the implementations behind the edge run, where they differ from the
    servers measured alone (gunicorn's, with BEHIND_EDGE): named in the report, never run
    without nginx in front."""
    return [target.server for target in edge_targets() if target.server.name.endswith("-edge")]


def every_target() -> list[Target]:
    """The targets, behind the edge too, and the variants' targets."""
    return [*targets(), *edge_targets(), *(variant.target for variant in variants())]
