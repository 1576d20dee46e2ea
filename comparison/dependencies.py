"""The third-party packages each implementation needs: its requirements.txt and all they require."""

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from contract_tests.implementations import ROOT


@dataclass(frozen=True)
class Package:
    """An installed distribution, and whether the implementation names it itself."""

    name: str
    version: str
    direct: bool


def direct_requirements(name: str, root: Path = ROOT) -> list[Requirement]:
    """Return the requirements of impl_<name>/requirements.txt."""
    lines = (root / f"impl_{name}" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in (line.split("#")[0].strip() for line in lines) if line]


def required_packages(requirements: list[Requirement]) -> list[Package]:
    """Return the requirements and everything they require, as installed here, sorted by name."""
    # The installed metadata, with markers evaluated for this machine: what pip installed
    # from the lock for this Python on this platform.
    direct = {canonicalize_name(requirement.name) for requirement in requirements}
    found: dict[str, Package] = {}
    # A package reached again with other extras may need more: (name, extras) pairs seen.
    followed: set[tuple[str, frozenset[str]]] = set()
    pending = list(requirements)
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in followed:
            continue
        followed.add(key)
        distribution = importlib.metadata.distribution(requirement.name)
        found[name] = Package(name, distribution.version, name in direct)
        for text in distribution.requires or []:
            dependency = Requirement(text)
            if applies(dependency, requirement.extras):
                pending.append(dependency)
    return sorted(found.values(), key=lambda package: package.name)


def applies(dependency: Requirement, extras: set[str]) -> bool:
    """Return whether a dependency is needed here, with these extras of its dependent."""
    if dependency.marker is None:
        return True
    return any(dependency.marker.evaluate({"extra": extra}) for extra in {"", *extras})
