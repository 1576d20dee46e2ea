"""The machine, the checkout and the installed versions that a report's figures come from."""

import datetime
import importlib.metadata
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

from contract_tests.implementations import ROOT


@dataclass(frozen=True)
class Environment:
    """Where and when a run happened, and with which versions."""

    python: str
    operating_system: str
    cpu: str
    cores: int
    date: str
    commit: str
    packages: dict[str, str]


def describe_environment(packages: list[str]) -> Environment:
    """Describe this machine, this checkout, and the installed versions of packages, in order."""
    return Environment(
        python=f"{platform.python_implementation()} {platform.python_version()}",
        operating_system=operating_system(),
        cpu=cpu_model(),
        cores=os.cpu_count() or 0,
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=git_commit(),
        packages={name: installed_version(name) for name in packages},
    )


def installed_version(name: str) -> str:
    """Return the installed version of a distribution, or "not installed"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def operating_system() -> str:
    """Return the distribution's name (from os-release) and the kernel."""
    try:
        release = platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:  # not a Linux with os-release
        release = ""
    kernel = f"{platform.system()} {platform.release()} ({platform.machine()})"
    return f"{release}, {kernel}" if release else kernel


def cpu_model() -> str:
    """Return the CPU's model name, from /proc/cpuinfo where there is one."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def git_commit(root: Path = ROOT) -> str:
    """Return the checked-out commit, and whether the work tree has changes on top of it."""

    def git(*arguments: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(root), *arguments],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no")
    except FileNotFoundError:  # no git on this machine
        return "unknown"
    if not commit:
        return "unknown (not a git checkout)"
    return f"{commit} (with uncommitted changes)" if changed else commit
