"""Write the report as GitHub-flavoured Markdown, the HTML page's twin."""

import re

from .document import (
    Block,
    BulletList,
    CodeBlock,
    Document,
    Figure,
    Paragraph,
    Preformatted,
    Section,
    SideBySide,
    Table,
)

CODE_SPAN = re.compile(r"(`[^`]+`)")
# Outside code spans, what Markdown would take for markup or HTML. An underscore inside a
# word (known_differences) is no emphasis in GitHub's Markdown, so it stays as it is.
SPECIAL = re.compile(r"([\\*<>\[\]]|(?<!\w)_|_(?!\w))")


def render(document: Document) -> str:
    """Return the whole document."""
    parts = [f"# {text(document.title)}"]
    parts += [block(item) for item in document.introduction]
    parts += ["## Contents", contents(document.sections)]
    parts += [section(item, level=2) for item in document.sections]
    return "\n\n".join(parts) + "\n"


def text(value: str) -> str:
    """Escape markup characters outside `code` spans."""
    pieces = CODE_SPAN.split(value)
    # split() with a group puts the code spans at the odd positions.
    return "".join(
        piece if index % 2 else SPECIAL.sub(r"\\\1", piece) for index, piece in enumerate(pieces)
    )


def anchor(title: str) -> str:
    """Return the anchor GitHub gives a heading: lower case, punctuation dropped, - for spaces."""
    slug = re.sub(r"[^\w\- ]", "", title.lower())
    return slug.replace(" ", "-")


def contents(sections: list[Section], depth: int = 0) -> str:
    """Return the table of contents as nested lists of links to the headings."""
    lines = []
    for item in sections:
        lines.append(f"{'  ' * depth}- [{text(item.title)}](#{anchor(item.title)})")
        if item.sections:
            lines.append(contents(item.sections, depth + 1))
    return "\n".join(lines)


def section(item: Section, level: int) -> str:
    """Return a section: its heading, its blocks and its sub-sections."""
    parts = [f"{'#' * level} {text(item.title)}"]
    parts += [block(child) for child in item.blocks]
    parts += [section(child, level + 1) for child in item.sections]
    return "\n\n".join(parts)


def block(item: Block) -> str:
    """Return one block; the columns of a SideBySide follow each other."""
    match item:
        case Paragraph(text=value):
            return text(value)
        case BulletList(items=items):
            return "\n".join(f"- {text(entry)}" for entry in items)
        case Table():
            return table(item)
        case Preformatted(text=value):
            return fenced(value, "text")
        case SideBySide(columns=columns):
            parts = []
            for column in columns:
                parts.append(f"##### {text(column.title)}")
                parts += [f"> {text(note)}" for note in column.notes]
                parts += [code_block(code) for code in column.code]
            return "\n\n".join(parts)
        case Figure(caption=caption, file=file):
            return f"![{text(caption)}]({file})"
    raise TypeError(f"not a block: {item!r}")


def table(item: Table) -> str:
    """Return a table; a column of numbers is right-aligned."""

    def row(values: list[str]) -> str:
        # A | ends a cell even inside a code span, unless it is escaped.
        return "| " + " | ".join(text(value).replace("|", "\\|") for value in values) + " |"

    alignments = ["---:" if numeric else "---" for numeric in item.numeric_columns()]
    lines = [row(item.headers), "| " + " | ".join(alignments) + " |"]
    lines += [row(values) for values in item.rows]
    return "\n".join(lines)


def code_block(item: CodeBlock) -> str:
    """Return a caption, then the code."""
    return f"{text(item.caption)}\n\n{fenced(item.code, item.language)}"


def fenced(value: str, language: str) -> str:
    """Return text in a fence longer than any run of backquotes in it."""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{value}\n{fence}"
