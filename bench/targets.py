"""What the benchmark loads: the implementations, their bare baselines, each of them behind the
edge, and the implementations' variants."""

from dataclasses import dataclass, replace

from bench import servers
from bench.databases import DATABASES
from bench.model import TargetDescription, VariantDescription
from bench.servers import Target

# Where the server and pool variants run: where the database is a network hop away.
POSTGRESQL = ("postgresql",)

# Variants of the gunicorn settings, as GUNICORN_CMD_ARGS, which overrides gunicorn.conf.py.
# (gunicorn runs gthread workers for "sync" when threads is over 1: gunicorn.conf.py sets 8.)
SYNC = "--worker-class sync --threads 1"
OTHER_THREADS = (4, 16)  # beside the shipped 8 (gunicorn.conf.py)


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


def edge_targets() -> list[Target]:
    """Every target above behind the edge, in front of the very server measured alone: the
    implementations, to show what the edge costs each, and each stack's bare baseline, to
    show nginx's own cost."""
    return [behind_the_edge(target) for target in targets()]


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


def gunicorn_variants(impl: str, title: str) -> list[Variant]:
    """Flask's or Django's gunicorn with its sync workers, and with other thread counts."""
    sync = Target(f"{impl}-sync", f"{title}, gunicorn sync", "wsgi", impl=impl,
                  env=(("GUNICORN_CMD_ARGS", SYNC),))  # fmt: skip
    found = [
        Variant(impl, sync, f"gunicorn's default sync workers (`GUNICORN_CMD_ARGS='{SYNC}'`, "
                "one request at a time per process) instead of the shipped gthread workers, "
                "8 threads", framework_default=True, workloads=("get", "mix"),
                databases=POSTGRESQL)
    ]  # fmt: skip
    for threads in OTHER_THREADS:
        changed = f"--threads {threads}"
        found.append(
            Variant(impl, Target(f"{impl}-threads-{threads}", f"{title}, {threads} threads",
                                 "wsgi", impl=impl, env=(("GUNICORN_CMD_ARGS", changed),)),
                    f"{threads} threads per gthread worker (`GUNICORN_CMD_ARGS='{changed}'`) "
                    "instead of the shipped 8", framework_default=False, databases=POSTGRESQL)
        )  # fmt: skip
    return found


def uvicorn_variant(name: str, title: str, option: str, value: str, what: str) -> Variant:
    """FastAPI's uvicorn with one option's value changed, a default of uvicorn's."""
    command = servers.with_option(servers.makefile_server_command("fastapi"), option, value)
    target = Target(f"fastapi-{name}", f"FastAPI, {title}", "asgi", command=command,
                    init_impl="fastapi")  # fmt: skip
    return Variant("fastapi", target, what, framework_default=True, databases=POSTGRESQL)


def variants() -> list[Variant]:
    """Settings other than the shipped ones, each on its implementation's usual workloads."""
    fastapi_async = servers.server_command_for("fastapi", "bench.fastapi_async:app")
    rollback = (
        "SQLite's default rollback journal (SQLITE_JOURNAL_MODE=DELETE) instead of the shipped "
        "write-ahead log (WAL)"
    )
    found = [*gunicorn_variants("flask", "Flask"), *gunicorn_variants("django", "Django")]
    found += [
        Variant("django", Target("django-conn-max-age-0", "Django, CONN_MAX_AGE 0", "wsgi",
                                 impl="django", env=(("DJANGO_CONN_MAX_AGE", "0"),)),
                "`CONN_MAX_AGE = 0` (DJANGO_CONN_MAX_AGE=0), Django's default: a new database "
                "connection for every request, instead of the shipped 60 s",
                framework_default=True, databases=POSTGRESQL),
        uvicorn_variant("httptools", "uvicorn's httptools", "--http", "httptools",
                        "uvicorn's httptools protocol (`--http httptools`, its default with the "
                        "standard extra) instead of the shipped h11 protocol, which answers 405 "
                        "to a method httptools refuses with 400"),
        uvicorn_variant("asyncio", "asyncio's event loop", "--loop", "asyncio",
                        "asyncio's own event loop (`--loop asyncio`, all that `pip install "
                        "uvicorn` brings) instead of uvloop: with several workers it leaves "
                        "TCP_NODELAY off (uvicorn issue #3149)"),
        Variant("fastapi", Target("fastapi-async", "FastAPI, async def", "asgi",
                                  command=fastapi_async, init_impl="fastapi"),
                "get-one as an `async def` path operation on SQLAlchemy's asyncio extension "
                "(bench/fastapi_async.py; psycopg's async connections, the same pool, so "
                "PostgreSQL only) instead of the shipped `def` run in FastAPI's thread pool",
                framework_default=False, databases=POSTGRESQL),
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
        for target in every_target()
    }


def every_target() -> list[Target]:
    """The targets, behind the edge too, and the variants' targets."""
    return [*targets(), *edge_targets(), *(variant.target for variant in variants())]
