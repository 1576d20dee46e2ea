"""Build the report from the measurements and the suite's results, and write it out."""

from pathlib import Path

from contract_tests.implementations import ROOT

from . import render_html, render_markdown
from .document import Document, Paragraph
from .measurements import Measurements
from .results import SuiteResults
from .sections import (
    code_size_section,
    concepts_section,
    contract_section,
    dependencies_section,
    differences_section,
    summary_section,
    versions_section,
)

REPORTS = ROOT / "reports"


def build_document(measured: Measurements, results: SuiteResults) -> Document:
    """Build the whole report."""
    *others, last = [measured.title(name) for name in measured.names]
    titles = f"{', '.join(others)} and {last}" if others else last
    return Document(
        title="Users API, three ways: the comparison",
        introduction=[
            Paragraph(
                f"One contract (`spec/openapi.yaml`), implemented with {titles}: their size, "
                "structure and behaviour, read from the code and from one run of the contract "
                "suite against each implementation under its production server."
            )
        ],
        sections=[
            summary_section(measured, results),
            contract_section(measured, results),
            differences_section(measured, results),
            code_size_section(measured),
            dependencies_section(measured),
            concepts_section(measured),
            versions_section(measured),
        ],
    )


def write_reports(document: Document, directory: Path = REPORTS) -> list[Path]:
    """Write comparison.html and comparison.md into directory; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    html_path = directory / "comparison.html"
    markdown_path = directory / "comparison.md"
    html_path.write_text(render_html.render(document), encoding="utf-8")
    markdown_path.write_text(render_markdown.render(document), encoding="utf-8")
    return [html_path, markdown_path]
