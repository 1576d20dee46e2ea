"""Cut the code that the concept map names out of the repository's files."""

import ast
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from contract_tests.implementations import ROOT

from .concepts import Selection

# How an excerpt names a selection of a whole file.
WHOLE_FILE = "the whole file"


class SelectionNotFoundError(LookupError):
    """The concept map names a file, a definition or a variable that is not there."""


@dataclass(frozen=True)
class Excerpt:
    """Consecutive whole lines of one file, and the names of the map's entries they show."""

    path: str
    names: tuple[str, ...]
    first_line: int
    last_line: int
    text: str

    @property
    def language(self) -> str:
        """The language of the file, as Markdown fences and Pygments name it."""
        if self.path.endswith(".py"):
            return "python"
        if Path(self.path).name == "Makefile":
            return "make"
        return "text"


def excerpts(selections: Iterable[Selection], root: Path = ROOT) -> list[Excerpt]:
    """Return the code of the selections, in their order, each file's adjacent ones joined."""
    # Definitions listed one after the other in the map and in the file read best as one
    # block: the constants of a module, or the attributes of a class.
    spans: list[tuple[str, list[str], int, int]] = []
    files: dict[str, list[str]] = {}
    for selection in selections:
        lines = files.setdefault(selection.path, read_lines(root, selection.path))
        first, last = line_span(selection, lines)
        name = selection.name or WHOLE_FILE
        if spans and spans[-1][0] == selection.path and continues(lines, spans[-1][2:], first):
            path, names, previous_first, previous_last = spans[-1]
            spans[-1] = (path, [*names, name], previous_first, max(previous_last, last))
        else:
            spans.append((selection.path, [name], first, last))
    return [
        Excerpt(path, tuple(names), first, last, cut(files[path], first, last))
        for path, names, first, last in spans
    ]


def read_lines(root: Path, path: str) -> list[str]:
    """Return the lines of a file of the repository, or raise SelectionNotFoundError."""
    try:
        return (root / path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SelectionNotFoundError(f"{path}: no such file") from None


def continues(lines: list[str], previous: tuple[int, int], first: int) -> bool:
    """Return whether a span starting at line first goes on from the previous span."""
    previous_first, previous_last = previous
    if first < previous_first:
        return False
    # Overlapping, adjacent, or apart by blank lines only.
    return all(not line.strip() for line in lines[previous_last : first - 1])


def cut(lines: list[str], first: int, last: int) -> str:
    """Return lines first to last (from 1), without the indentation they share."""
    return textwrap.dedent("\n".join(lines[first - 1 : last]))


def line_span(selection: Selection, lines: list[str]) -> tuple[int, int]:
    """Return the first and last line (from 1) of what a selection names."""
    if selection.name is None:
        return 1, len(lines)
    if selection.path.endswith(".py"):
        first, last = python_definition_span(lines, selection)
    elif Path(selection.path).name == "Makefile":
        first, last = makefile_variable_span(lines, selection)
    else:
        raise SelectionNotFoundError(f"{selection}: only Python files and the Makefile have names")
    return with_leading_comments(lines, first), last


def python_definition_span(lines: list[str], selection: Selection) -> tuple[int, int]:
    """Return the lines of a definition, decorators included, found with ast."""
    # Whole lines from ast's positions rather than ast.get_source_segment(), which starts
    # at `def` (after the decorators) and stops before a comment that ends the last line.
    tree = ast.parse("\n".join(lines), filename=selection.path)
    body: list[ast.stmt] = tree.body
    node: ast.stmt | None = None
    for part in selection.name.split("."):
        node = next((statement for statement in body if part in defined_names(statement)), None)
        if node is None:
            raise SelectionNotFoundError(f"{selection}: no definition of {part!r}")
        body = getattr(node, "body", [])
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(decorator.lineno for decorator in decorators)])
    return first, node.end_lineno


def defined_names(statement: ast.stmt) -> set[str]:
    """Return the names a statement defines: a function's, a class's or an assignment's."""
    match statement:
        case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name) | ast.ClassDef(name=name):
            return {name}
        case ast.Assign(targets=targets):
            return {target.id for target in targets if isinstance(target, ast.Name)}
        case ast.AnnAssign(target=ast.Name(id=name)):
            return {name}
    return set()


def makefile_variable_span(lines: list[str], selection: Selection) -> tuple[int, int]:
    """Return the lines of a Makefile variable's definition, continuation lines included."""
    assignment = re.compile(rf"{re.escape(selection.name)}\s*(?::{{1,3}}|\?|\+|!)?=")
    for index, line in enumerate(lines):
        if assignment.match(line):
            last = index
            while lines[last].endswith("\\") and last + 1 < len(lines):
                last += 1
            return index + 1, last + 1
    raise SelectionNotFoundError(f"{selection}: no such variable")


def with_leading_comments(lines: list[str], first: int) -> int:
    """Move first up over the comment lines right above it: they explain what follows."""
    while first > 1 and lines[first - 2].lstrip().startswith("#"):
        first -= 1
    return first
