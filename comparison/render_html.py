"""Write the report as one self-contained HTML page: inline CSS, no script, nothing to fetch.

The page is the Jinja templates in templates/; this module gives them the filters they use.
"""

import re
from collections.abc import Iterator

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from .document import Block, CodeBlock, Document

CODE_SPAN = re.compile(r"`([^`]+)`")


def render(document: Document) -> str:
    """Return the whole page."""
    template = environment().get_template("report.html")
    code_style = Markup(HtmlFormatter().get_style_defs(".code"))
    return template.render(document=document, code_style=code_style)


def environment() -> Environment:
    """Return the Jinja environment of the report's templates, escaping every value."""
    templates = Environment(
        loader=PackageLoader("comparison"),
        autoescape=select_autoescape(),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    templates.filters.update(text=text, kind=kind, highlight=code_block)
    return templates


def text(value: str) -> Markup:
    """Escape text for HTML, turning `code` spans into <code> elements."""
    # Escaped first, so that a code span's content is escaped too (escape leaves `); made a
    # plain str again, or re.sub would join its pieces with Markup's join and escape <code>.
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", str(escape(value))))


def kind(item: object) -> str:
    """Return the name of a block's class, which the templates choose its markup by."""
    if not isinstance(item, Block):
        raise TypeError(f"not a block: {item!r}")
    return type(item).__name__


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


def code_block(item: CodeBlock) -> Markup:
    """Return code, highlighted by Pygments (which escapes it), with its file's line numbers."""
    formatter = LineFormatter(
        item.code, linenos="inline", linenostart=item.first_line, cssclass="code"
    )
    lexer = get_lexer_by_name(item.language, stripnl=False)
    return Markup(highlight(item.code, lexer, formatter))
