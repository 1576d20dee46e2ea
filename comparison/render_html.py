"""Write the report as one self-contained HTML page: inline CSS, no script, nothing to fetch."""

import html
import re
from collections.abc import Iterator

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

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

CODE_SPAN = re.compile(r"`([^`]+)`")

# System fonts only: the page must look right from disk, offline, with nothing to download.
STYLE = """
:root {
  color-scheme: light;
  --text: #1f2328;
  --muted: #59636e;
  --border: #d1d9e0;
  --panel: #f6f8fa;
  --link: #0969da;
}
* { box-sizing: border-box; }
body {
  margin: 0;
  color: var(--text);
  background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans",
    Arial, sans-serif;
}
header, main { padding: 0 1.5rem; }
header { border-bottom: 1px solid var(--border); padding-bottom: 1rem; }
main { padding-bottom: 3rem; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 1.9rem; margin: 1.5rem 0 0.5rem; }
h2 {
  font-size: 1.45rem;
  margin: 2.5rem 0 0.75rem;
  padding-bottom: 0.3rem;
  border-bottom: 1px solid var(--border);
}
h3 { font-size: 1.2rem; margin: 2.25rem 0 0.5rem; }
h5 { font-size: 1rem; margin: 0 0 0.5rem; }
p, li { max-width: 80rem; }
nav h2 { margin-top: 1rem; font-size: 1.1rem; border: none; }
nav > ol { margin: 0; }
/* The concepts flow along lines under their section: seventeen of them, short names. */
nav ol ol {
  display: flex;
  flex-wrap: wrap;
  gap: 0.1rem 1.25rem;
  list-style: none;
  margin: 0.1rem 0 0.2rem;
  padding-left: 0;
}
code {
  font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", "Liberation Mono", Menlo,
    Consolas, monospace;
  font-size: 0.88em;
  background: var(--panel);
  padding: 0.1em 0.3em;
  border-radius: 4px;
}
.table { overflow-x: auto; margin: 0.75rem 0 1.25rem; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td {
  border: 1px solid var(--border);
  padding: 0.3rem 0.65rem;
  text-align: left;
  vertical-align: top;
}
th { background: var(--panel); }
.number { text-align: right; }
.side-by-side {
  display: grid;
  grid-template-columns: repeat(var(--columns), minmax(0, 1fr));
  gap: 0.75rem;
  align-items: start;
}
.column { min-width: 0; border: 1px solid var(--border); border-radius: 6px; padding: 0.6rem; }
.note { color: var(--muted); font-size: 0.92rem; margin: 0 0 0.75rem; }
figure { margin: 0 0 0.9rem; }
figcaption { color: var(--muted); font-size: 0.85rem; margin-bottom: 0.3rem; }
/* Wrapped rather than scrolled: every line stays in view beside the other two columns. */
.code pre {
  margin: 0;
  padding: 0.5rem 0.6rem;
  border-radius: 4px;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  font-size: 12px;
  line-height: 1.45;
}
pre.message {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  font-size: 12px;
  background: var(--panel);
  border: 1px solid var(--border);
  border-radius: 4px;
  padding: 0.5rem 0.6rem;
}
.code pre code { background: none; padding: 0; font-size: inherit; }
.code .linenos { color: #8c959f; user-select: none; padding: 0 1ch 0 0; }
/* A long line wraps with a hanging indent: its own indent (--indent, in characters), past
   the line numbers (4 characters), and 4 more, as a Python continuation line would be. */
.code .line {
  --hang: calc((var(--indent, 0) + 8) * 1ch);
  display: block;
  padding-left: var(--hang);
  text-indent: calc(-1 * var(--hang));
}
@media (max-width: 60rem) {
  .side-by-side { grid-template-columns: minmax(0, 1fr); }
}
"""


def render(document: Document) -> str:
    """Return the whole page."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(document.title)}</title>",
            f"<style>{STYLE}\n{HtmlFormatter().get_style_defs('.code')}\n</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{text(document.title)}</h1>",
            *(block(item) for item in document.introduction),
            contents(document.sections),
            "</header>",
            "<main>",
            *(section(item, level=2) for item in document.sections),
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def text(value: str) -> str:
    """Escape text for HTML, turning `code` spans into <code> elements."""
    # Escaped first, so that a code span's content is escaped too (html.escape leaves `).
    return CODE_SPAN.sub(r"<code>\1</code>", html.escape(value))


def contents(sections: list[Section]) -> str:
    """Return the table of contents: every section, and its sub-sections."""

    def entries(items: list[Section]) -> str:
        return "".join(
            f'<li><a href="#{item.id}">{text(item.title)}</a>'
            + (f"<ol>{entries(item.sections)}</ol>" if item.sections else "")
            + "</li>"
            for item in items
        )

    heading = '<h2 id="contents">Contents</h2>'
    return f'<nav aria-labelledby="contents">{heading}<ol>{entries(sections)}</ol></nav>'


def section(item: Section, level: int) -> str:
    """Return a section, its heading at level, its blocks and its sub-sections."""
    return "\n".join(
        [
            f'<section id="{html.escape(item.id)}">',
            f"<h{level}>{text(item.title)}</h{level}>",
            *(block(child) for child in item.blocks),
            *(section(child, level + 1) for child in item.sections),
            "</section>",
        ]
    )


def block(item: Block) -> str:
    """Return one block of a section."""
    match item:
        case Paragraph(text=value):
            return f"<p>{text(value)}</p>"
        case BulletList(items=items):
            return "<ul>" + "".join(f"<li>{text(entry)}</li>" for entry in items) + "</ul>"
        case Table():
            return table(item)
        case Preformatted(text=value):
            return f'<pre class="message">{html.escape(value)}</pre>'
        case SideBySide(columns=columns):
            rendered = []
            for column in columns:
                notes = "".join(f'<p class="note">{text(note)}</p>' for note in column.notes)
                code = "".join(code_block(code) for code in column.code)
                rendered.append(
                    f'<div class="column"><h5>{text(column.title)}</h5>{notes}{code}</div>'
                )
            return (
                f'<div class="side-by-side" style="--columns: {len(columns)}">'
                + "".join(rendered)
                + "</div>"
            )
        case Figure(caption=caption, svg=svg):
            # Our own SVG (bench/svg.py), inline so that the page needs no other file.
            return f'<figure class="chart">{svg}<figcaption>{text(caption)}</figcaption></figure>'
    raise TypeError(f"not a block: {item!r}")


def table(item: Table) -> str:
    """Return a table, its columns of numbers right-aligned."""
    numeric = item.numeric_columns()

    def cells(values: list[str], tag: str) -> str:
        return "".join(
            f'<{tag} class="number">{text(value)}</{tag}>'
            if numeric[index]
            else f"<{tag}>{text(value)}</{tag}>"
            for index, value in enumerate(values)
        )

    head = f"<thead><tr>{cells(item.headers, 'th')}</tr></thead>"
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in item.rows)
    return f'<div class="table"><table>{head}<tbody>{body}</tbody></table></div>'


class LineFormatter(HtmlFormatter):
    """Pygments' HTML with every line in an element of its own, so that it can wrap hanging."""

    def __init__(self, code: str, **options: object) -> None:
        super().__init__(**options)
        self.indents = [len(line) - len(line.lstrip(" ")) for line in code.split("\n")]

    def wrap(self, source: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        """Put each line (marked 1 by Pygments) in a span, and all of them in <pre><code>."""
        yield 0, "<pre><code>"
        indents = iter(self.indents)
        for is_line, value in source:
            if is_line:
                value = f'<span class="line" style="--indent: {next(indents, 0)}">{value}</span>'
            yield is_line, value
        yield 0, "</code></pre>"


def code_block(item: CodeBlock) -> str:
    """Return code, highlighted by Pygments (which escapes it), with its file's line numbers."""
    formatter = LineFormatter(
        item.code, linenos="inline", linenostart=item.first_line, cssclass="code"
    )
    code = highlight(item.code, get_lexer_by_name(item.language, stripnl=False), formatter)
    return f"<figure><figcaption>{text(item.caption)}</figcaption>{code}</figure>"
