"""The report as a tree of plain blocks, which render_html and render_markdown both write out.

One tree for both formats is what keeps the HTML report and its Markdown twin the same.
Text may hold `code` spans in backquotes; nothing else is markup.
"""

import re
from dataclasses import dataclass, field

NUMBER = re.compile(r"[0-9][0-9.,]*")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text."""

    text: str


@dataclass(frozen=True)
class BulletList:
    """A list of short texts."""

    items: list[str]


@dataclass(frozen=True)
class Table:
    """A table with a header row; a column of numbers is right-aligned."""

    headers: list[str]
    rows: list[list[str]]

    def numeric_columns(self) -> list[bool]:
        """Return, for each column, whether its cells are numbers (or blank, but not all)."""
        return [
            all(NUMBER.fullmatch(row[index]) or not row[index] for row in self.rows)
            and any(row[index] for row in self.rows)
            for index in range(len(self.headers))
        ]


@dataclass(frozen=True)
class Preformatted:
    """Text shown as it is, line by line, such as a test's failure message."""

    text: str


@dataclass(frozen=True)
class CodeBlock:
    """Code, under a caption saying where it comes from, numbered from its first line."""

    caption: str
    code: str
    language: str
    first_line: int = 1


@dataclass(frozen=True)
class Column:
    """What one implementation shows for a concept: notes, then code."""

    title: str
    notes: list[str]
    code: list[CodeBlock]


@dataclass(frozen=True)
class SideBySide:
    """One column per implementation, to be read across."""

    columns: list[Column]


@dataclass(frozen=True)
class Figure:
    """A chart: inline SVG in the HTML, a link to the same SVG file in the Markdown."""

    caption: str
    svg: str
    file: str


Block = Paragraph | BulletList | Table | Preformatted | SideBySide | Figure


@dataclass
class Section:
    """A titled part of the report, with an id that links to it; it may hold sub-sections."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    sections: list["Section"] = field(default_factory=list)


@dataclass
class Document:
    """The whole report."""

    title: str
    introduction: list[Block]
    sections: list[Section]
