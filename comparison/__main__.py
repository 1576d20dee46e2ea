"""`python -m comparison`: measure the code, run the suite live, write the two reports."""

import sys

from contract_tests.implementations import IMPLEMENTATIONS
from tooling.progress import Progress

from .measurements import measure
from .report import REPORTS, benchmark_results, build_document, write_reports
from .results import read_junit_xml
from .source import SelectionNotFoundError
from .suite import ServerStartError, SuiteRunError, run_contract_suite


def main() -> int:
    """Run every step; return the exit status."""
    progress = Progress()
    progress.step("reading the code through comparison/concepts.toml, counting lines with pygount")
    try:
        measured = measure()
    except (SelectionNotFoundError, ValueError) as error:
        print(f"comparison: the concept map does not match the code: {error}", file=sys.stderr)
        return 1
    for name in measured.names:
        progress.step(
            f"{name}: {len(measured.sizes[name])} files, {len(measured.packages[name])} packages"
        )

    # Kept beside the reports, for whoever wants every test's details.
    junit_xml = REPORTS / "contract-suite.xml"
    REPORTS.mkdir(exist_ok=True)
    junit_xml.unlink(missing_ok=True)  # a stale one would pass for this run's
    try:
        run_contract_suite(junit_xml, progress)
    except (ServerStartError, SuiteRunError) as error:
        print(f"comparison: {error}", file=sys.stderr)
        return 1
    names = [implementation.name for implementation in IMPLEMENTATIONS]
    results = read_junit_xml(junit_xml.read_text(encoding="utf-8"), names)

    for name in names:
        counts = results.counts(name)
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
        progress.step(f"{name}: {summary}")
    progress.step("writing the report")
    document = build_document(measured, results, *benchmark_results())
    for path in [*write_reports(document), junit_xml]:
        progress.step(f"wrote {path.relative_to(REPORTS.parent)}")
    progress.step("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
