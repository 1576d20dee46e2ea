"""Build the report from the measurements and the suite's results, and write it out."""

from pathlib import Path

from bench import report as bench_report
from bench.model import BenchResults
from contract_tests.implementations import ROOT

from . import render_html, render_markdown
from .document import Document, Figure, Paragraph, Section
from .measurements import Measurements
from .results import SuiteResults
from .sections import (
    benchmark_section,
    code_size_section,
    concepts_section,
    contract_section,
    dependencies_section,
    differences_section,
    summary_section,
    versions_section,
)

REPORTS = ROOT / "reports"
# `make bench` writes reports/bench.json; the full run's results are kept in docs/benchmark/.
BENCH_RESULTS = [REPORTS / "bench.json", ROOT / "docs" / "benchmark" / "bench.json"]


def benchmark_results() -> tuple[BenchResults | None, str]:
    """The newest benchmark results there are, and where they come from."""
    for path in BENCH_RESULTS:
        if path.exists():
            return bench_report.load(path), str(path.relative_to(ROOT))
    return None, ""


def build_document(
    measured: Measurements,
    results: SuiteResults,
    bench: BenchResults | None = None,
    bench_source: str = "",
) -> Document:
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
            benchmark_section(bench, bench_source),
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
    charts = []
    for figure in figures(document.sections):  # the Markdown links to them
        charts.append(directory / figure.file)
        charts[-1].write_text(figure.svg + "\n", encoding="utf-8")
    return [html_path, markdown_path, *charts]


def figures(sections: list[Section]) -> list[Figure]:
    """Every Figure of these sections and their sub-sections."""
    found = []
    for section in sections:
        found += [block for block in section.blocks if isinstance(block, Figure)]
        found += figures(section.sections)
    return found
