"""Count lines with pygount: per file of each implementation, and per excerpt of a concept."""

import io
from dataclasses import dataclass
from pathlib import Path

from pygount import SourceAnalysis

from contract_tests.implementations import ROOT

# What an implementation's folder holds that is not its code: the SQLite file of
# `make serve` (var/), and Python's caches.
NOT_CODE = {"var", "__pycache__"}


# The layers of an implementation: the app as its framework's tutorial writes it; the
# contract layer beside it (impl_*/contract/), which switches the framework's defaults off;
# the contract layer's framework-neutral modules, identical in the three (tests/test_project.py
# says so), counted apart because no framework costs them; and the own tests.
LAYERS = {
    "application": "application layer",
    "contract": "contract layer",
    "shared": "contract layer, framework-neutral (the same in all three)",
    "tests": "own tests",
}
SHARED_FILES = ("rules.py", "strict_json.py")


@dataclass(frozen=True)
class LineCount:
    """Lines by kind, as pygount tells them apart."""

    source: int = 0  # code, and lines of strings that are not docstrings
    comments: int = 0  # comments and docstrings
    blank: int = 0

    def __add__(self, other: "LineCount") -> "LineCount":
        return LineCount(
            self.source + other.source, self.comments + other.comments, self.blank + other.blank
        )


@dataclass(frozen=True)
class FileSize:
    """One file of an implementation, its language and its lines."""

    path: str
    language: str
    lines: LineCount

    @property
    def is_test(self) -> bool:
        """Whether the file is one of the implementation's own tests."""
        path = Path(self.path)
        return (
            "tests" in path.parts[:-1]
            or path.name in ("tests.py", "conftest.py")
            or path.name.startswith("test_")
        )

    @property
    def layer(self) -> str:
        """The layer the file belongs to: one of LAYERS."""
        path = Path(self.path)
        if self.is_test:
            return "tests"
        if "contract" not in path.parts[:-1]:
            return "application"
        return "shared" if path.name in SHARED_FILES else "contract"


def line_count(analysis: SourceAnalysis) -> LineCount:
    """Return pygount's counts as a LineCount."""
    return LineCount(analysis.source_count, analysis.documentation_count, analysis.empty_count)


def implementation_files(name: str, root: Path = ROOT) -> list[Path]:
    """Return every file of an implementation's folder, sorted, without var/ and caches."""
    folder = root / f"impl_{name}"
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not NOT_CODE & set(path.relative_to(folder).parts)
        and path.suffix != ".pyc"
    )


def measure_implementation(name: str, root: Path = ROOT) -> list[FileSize]:
    """Return the size of every file of an implementation."""
    sizes = []
    for path in implementation_files(name, root):
        # Every file here is UTF-8: pygount's guess ("automatic") takes a file whose first
        # non-ASCII character comes late for cp1252, and then fails to read it.
        analysis = SourceAnalysis.from_file(str(path), group=name, encoding="utf-8")
        relative = path.relative_to(root).as_posix()
        # pygount names files without a language __empty__, __binary__ and so on.
        language = analysis.language.strip("_")
        sizes.append(FileSize(relative, language, line_count(analysis)))
    return sizes


def measure_text(text: str, path: str) -> LineCount:
    """Return the lines of an excerpt, counted as if it were a file named like path."""
    # pygount reads a file handle as it reads a file; the name picks the language.
    handle = io.BytesIO(text.encode("utf-8"))
    return line_count(SourceAnalysis.from_file(path, group="excerpt", file_handle=handle))


def by_layer(sizes: list[FileSize]) -> dict[str, list[FileSize]]:
    """Return an implementation's files by layer, every layer of LAYERS present."""
    return {layer: [size for size in sizes if size.layer == layer] for layer in LAYERS}


def total(sizes: list[FileSize]) -> LineCount:
    """Return the sum of the lines of files."""
    return sum((size.lines for size in sizes), LineCount())
