"""Run the edge: nginx on PORT in front of one implementation's production server.

``make edge IMPL=x PORT=n`` runs ``python -m edge --impl x --port n``. The
application server (``make server``) listens on a private loopback port; nginx,
from ``edge/edge.conf.template``, listens on PORT once the application answers.
Both run in the foreground, and Ctrl-C or SIGTERM stops both; if either exits,
the other is stopped too.
"""

import argparse
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from string import Template

EDGE = Path(__file__).resolve().parent
ROOT = EDGE.parent
IMPLS = ("flask", "django", "fastapi")
# Debian's nginx, which make installs; /usr/sbin is not on every user's PATH.
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# The main configuration around the shared snippet: compose's nginx image has its own.
MAIN_CONF = """\
$user
worker_processes auto;
pid nginx.pid;
error_log stderr warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    include edge.conf;
}
"""


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def render(folder: Path, app_address: str, edge_port: int) -> Path:
    """Write nginx.conf and edge.conf into ``folder``; return nginx.conf's path."""
    snippet = Template((EDGE / "edge.conf.template").read_text())
    # Only these two names are replaced, as the nginx image's envsubst does: nginx's own
    # $variables stay as they are.
    (folder / "edge.conf").write_text(
        snippet.safe_substitute(APP_ADDRESS=app_address, EDGE_PORT=str(edge_port))
    )
    # Run as root (in CI, in a container), nginx's workers would be "nobody", who may not
    # write the temporary folder; they run as the user who started the edge instead.
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};" if os.geteuid() == 0 else ""
    (folder / "temp").mkdir()
    main = folder / "nginx.conf"
    main.write_text(Template(MAIN_CONF).substitute(user=user))
    return main


def stop_with_this_process() -> None:
    """In a child, before it runs: have Linux send it SIGTERM when this process ends.

    Should this process be killed outright (SIGKILL), nginx and the application server
    (make, which passes the signal on to the server) stop too instead of living on."""
    pr_set_pdeathsig = 1  # prctl(2)
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def nginx_command(nginx: str, folder: str, config: str) -> list[str]:
    """nginx in the foreground, with its files (pid, temporary bodies) in ``folder``."""
    return [nginx, "-p", folder, "-c", config, "-e", "stderr", "-g", "daemon off;"]


def wait_until_listening(port: int, process: subprocess.Popen, timeout: float) -> None:
    """Return once something accepts connections on ``port``; exit if ``process`` ends."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            sys.exit(f"edge: the application server exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"edge: the application server did not listen within {timeout:.0f} s")
            time.sleep(0.2)


def stop(processes: list[subprocess.Popen], grace: float = 10) -> None:
    """Send SIGTERM to each process and its children; SIGKILL what still runs after ``grace``."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    """Start the application server, then nginx; stop both when either stops."""
    parser = argparse.ArgumentParser(prog="python -m edge", description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=IMPLS, required=True)
    parser.add_argument("--port", type=int, default=8000, help="where nginx listens")
    parser.add_argument("--nginx", default=NGINX)
    arguments = parser.parse_args()

    # SIGTERM (from a supervisor, or from the contract suite) ends the run as Ctrl-C does;
    # installed before any child starts, so that none outlives this process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app_port = free_port()
    with tempfile.TemporaryDirectory(prefix="edge-") as folder:
        Path(folder).chmod(0o755)  # nginx's workers read and write inside it
        config = render(Path(folder), f"127.0.0.1:{app_port}", arguments.port)
        make = ["make", "--no-print-directory", "-C", str(ROOT), "server"]
        application = subprocess.Popen(
            [*make, f"IMPL={arguments.impl}", "HOST=127.0.0.1", f"PORT={app_port}"],
            start_new_session=True,
            preexec_fn=stop_with_this_process,
        )
        children = [application]
        try:
            wait_until_listening(app_port, application, timeout=60)
            nginx = subprocess.Popen(
                nginx_command(arguments.nginx, folder, str(config)),
                start_new_session=True,
                preexec_fn=stop_with_this_process,
            )
            children.append(nginx)
            print(
                f"edge: nginx on http://127.0.0.1:{arguments.port} in front of "
                f"{arguments.impl} on 127.0.0.1:{app_port} (Ctrl-C stops both)",
                flush=True,
            )
            while all(child.poll() is None for child in children):
                time.sleep(0.2)
            ended = next(child for child in children if child.poll() is not None)
            return ended.returncode or 1
        except KeyboardInterrupt:
            return 0
        finally:
            # A second signal must not cut the stopping short: make, killed with its process
            # group, passes the signal on to this process too.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            # nginx first: it stops taking requests before the application goes away.
            stop(children[::-1])


if __name__ == "__main__":
    sys.exit(main())
