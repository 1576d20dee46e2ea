"""The processes behind a server's port, and what each holds after load, read with psutil."""

import contextlib
from typing import Any
from urllib.parse import urlsplit

import psutil

from bench.model import SERVER_ROLES, ServerProcess


def port_of(base_url: str) -> int:
    """The port of http://127.0.0.1:port."""
    port = urlsplit(base_url).port
    if port is None:
        raise ValueError(f"no port in {base_url}")
    return port


def listening(connection: Any, port: int) -> bool:
    """Whether a socket, as psutil lists them (sconn, pconn), listens on port."""
    return connection.status == psutil.CONN_LISTEN and connection.laddr.port == port


def listening_on(process: psutil.Process, port: int) -> bool:
    """Whether a process holds a socket listening on port (False once it has gone)."""
    try:
        return any(listening(connection, port) for connection in process.net_connections("tcp"))
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def holders(port: int) -> list[psutil.Process]:
    """Every process holding the socket that listens on port: a master and its workers.

    psutil.net_connections() names one process per socket, and pre-forked workers share
    their master's: the others are found in that process's family, each asked for its own
    sockets. (Asking every process on the machine would read the kernel's table of TCP
    sockets, thousands of lines after a load, once for each.)
    """
    first = next(
        (
            connection.pid
            for connection in psutil.net_connections("tcp")
            if listening(connection, port) and connection.pid is not None
        ),
        None,
    )
    if first is None:
        return []
    top = psutil.Process(first)
    while (parent := top.parent()) is not None and listening_on(parent, port):
        top = parent
    family = [top, *top.children(recursive=True)]
    return sorted(
        (process for process in family if listening_on(process, port)),
        key=lambda process: process.pid,
    )


def cpu_list(cpus: list[int]) -> str:
    """CPU numbers as Linux lists them: [0, 1, 2, 5] is "0-2,5"."""
    ranges: list[list[int]] = []
    for cpu in sorted(cpus):
        if ranges and cpu == ranges[-1][-1] + 1:
            ranges[-1].append(cpu)
        else:
            ranges.append([cpu])
    return ",".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in ranges)


def server_processes(port: int, roles: tuple[str, str] = SERVER_ROLES) -> list[ServerProcess]:
    """The processes serving port: role (roles: a master's, a worker's), resident memory,
    threads, CPUs and command line."""
    found = holders(port)
    parents = {}  # pid: parent's pid, for the processes still there
    for process in found:
        with contextlib.suppress(psutil.NoSuchProcess):
            parents[process.pid] = process.ppid()
    processes = []
    for process in found:
        if process.pid not in parents:
            continue
        with contextlib.suppress(psutil.NoSuchProcess), process.oneshot():
            has_children = any(parent == process.pid for parent in parents.values())
            # A holder whose parent holds the socket too, or that started none, is a worker.
            is_worker = parents[process.pid] in parents or not has_children
            processes.append(
                ServerProcess(
                    pid=process.pid,
                    role=roles[1] if is_worker else roles[0],
                    rss_kib=process.memory_info().rss // 1024,
                    threads=process.num_threads(),
                    cpus=cpu_list(process.cpu_affinity()),
                    command=" ".join(process.cmdline()),
                )
            )
    return processes


def cpu_seconds(found: list[psutil.Process]) -> float | None:
    """The user and system CPU time of processes so far, in seconds; None if one has gone."""
    try:
        return sum(sum(process.cpu_times()[:2]) for process in found)
    except psutil.NoSuchProcess:
        return None
