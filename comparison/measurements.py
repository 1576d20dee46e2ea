"""What the report shows that is read from the repository itself, without running anything."""

from dataclasses import dataclass
from pathlib import Path

from contract_tests.implementations import IMPLEMENTATIONS, ROOT
from tooling.environment import Environment, describe_environment

from .concepts import ConceptMap, Selection, load_concept_map
from .dependencies import Package, direct_requirements, required_packages
from .results import load_known_differences
from .size import FileSize, LineCount, measure_implementation, measure_text
from .source import Excerpt, excerpts

# The tools of the comparison itself, whose versions shape its figures too.
TOOLS = ("pytest", "schemathesis", "hypothesis", "httpx", "pygount", "pygments")


@dataclass(frozen=True)
class Measurements:
    """Everything the report shows that is read from the repository, without running it."""

    names: list[str]
    concept_map: ConceptMap
    excerpts: dict[str, dict[str, list[Excerpt]]]
    concept_lines: dict[str, dict[str, LineCount]]
    sizes: dict[str, list[FileSize]]
    requirements: dict[str, list[str]]
    packages: dict[str, list[Package]]
    servers: dict[str, str]
    known_differences: list[dict[str, object]]
    environment: Environment

    def title(self, name: str) -> str:
        """Return an implementation's display title, such as "Django + DRF"."""
        return self.concept_map.titles.get(name, name)


def measure(root: Path = ROOT) -> Measurements:
    """Read the code, the concept map and the dependencies of every implementation."""
    names = [implementation.name for implementation in IMPLEMENTATIONS]
    concept_map = load_concept_map()
    packages = {name: required_packages(direct_requirements(name, root)) for name in names}
    measured_packages = {package.name for listed in packages.values() for package in listed}
    code = {
        concept.id: {name: excerpts(concept.selections[name], root) for name in names}
        for concept in concept_map.concepts
    }
    return Measurements(
        names=names,
        concept_map=concept_map,
        excerpts=code,
        concept_lines={
            concept_id: {name: excerpts_lines(found[name]) for name in names}
            for concept_id, found in code.items()
        },
        sizes={name: measure_implementation(name, root) for name in names},
        requirements={
            name: [str(requirement) for requirement in direct_requirements(name, root)]
            for name in names
        },
        packages=packages,
        servers={name: server_program(name, root) for name in names},
        known_differences=load_known_differences(),
        environment=describe_environment(sorted({*measured_packages, *TOOLS})),
    )


def server_program(name: str, root: Path = ROOT) -> str:
    """Return the program that `make serve` runs for an implementation, such as gunicorn."""
    (excerpt,) = excerpts([Selection("Makefile", f"SERVER_{name}")], root)
    command = excerpt.text.partition("=")[2].split()
    return Path(command[0]).name if command else "unknown"


def excerpts_lines(found: list[Excerpt]) -> LineCount:
    """Return the lines of the code an implementation shows for a concept."""
    return sum((measure_text(excerpt.text, excerpt.path) for excerpt in found), LineCount())
