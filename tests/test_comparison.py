"""The comparison (`python -m comparison`, `make compare`): its concept map and its report.

The concept map must follow the code: every entry found, every implementation's code
under some concept. The report, built here from a small fake run of the suite (no
servers), must hold every section, escape what it shows, and render in headless
Chromium without an error and without fetching anything.
"""

import ast
import dataclasses
import os
import re
from pathlib import Path

import pytest

from comparison.browser import check_page, find_chromium
from comparison.concepts import CONCEPT_LAYERS, load_concept_map
from comparison.measurements import Measurements, measure
from comparison.report import build_document, write_reports
from comparison.results import read_junit_xml
from comparison.source import SelectionNotFoundError, excerpts
from contract_tests.implementations import IMPLEMENTATIONS, ROOT

NAMES = [implementation.name for implementation in IMPLEMENTATIONS]
SECTIONS = {
    "summary": "Summary",
    "contract-results": "Contract results",
    "differences": "Differences",
    "code-size": "Code size",
    "dependencies": "Dependencies",
    "concepts": "Concepts",
    "benchmark": "Benchmark",
    "versions": "Versions",
}

# A run of the suite as pytest's JUnit XML reports it: a pass for each implementation,
# a failure whose message holds markup, a skip, and the differential test's case.
FAKE_RUN = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="6">
<testcase classname="contract_tests.test_success" name="test_health[flask]" time="0.01"/>
<testcase classname="contract_tests.test_success" name="test_health[django]" time="0.01"/>
<testcase classname="contract_tests.test_success" name="test_health[fastapi]" time="0.01"/>
<testcase classname="contract_tests.test_bad_input" name="test_body_over_64_kib_is_413[django-PUT]"
  time="0.2"><failure message="assert 400 == 413 &lt;script&gt;alert(1)&lt;/script&gt;">
  traceback</failure></testcase>
<testcase classname="contract_tests.test_generated" name="test_stateful[fastapi]" time="0">
  <skipped type="pytest.skip" message="no time for it today">skipped</skipped></testcase>
<testcase classname="contract_tests.test_differential"
  name="test_differential[flask,django,fastapi]" time="9.5"/>
</testsuite></testsuites>
"""


def test_the_concept_map_names_code_of_every_implementation() -> None:
    concept_map = load_concept_map()
    assert list(concept_map.titles) == NAMES
    ids = [concept.id for concept in concept_map.concepts]
    assert len(ids) == len(set(ids)), "concept ids must be unique"
    problems = []
    for concept in concept_map.concepts:
        for name in NAMES:
            if not concept.selections[name]:
                problems.append(f"{concept.id}: names nothing for {name}")
            for selection in concept.selections[name]:
                # An implementation's own files, or its own variables of the Makefile.
                if not (
                    selection.path.startswith(f"impl_{name}/")
                    or (selection.path == "Makefile" and str(selection.name).endswith(f"_{name}"))
                ):
                    problems.append(f"{concept.id}: {selection} is not {name}'s")
                try:
                    excerpts([selection])
                except SelectionNotFoundError as error:
                    problems.append(f"{concept.id}: {error}")
    assert not problems, "\n".join(problems)


def test_every_file_and_definition_is_under_a_concept() -> None:
    """A module, function or class that no concept shows would be missing from the report."""
    named = [
        selection
        for concept in load_concept_map().concepts
        for selections in concept.selections.values()
        for selection in selections
    ]
    whole_files = {selection.path for selection in named if selection.name is None}
    definitions = {
        (selection.path, selection.name.split(".")[0]) for selection in named if selection.name
    }
    missing = []
    for name in NAMES:
        for path in sorted((ROOT / f"impl_{name}").rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "var" in path.parts or relative in whole_files:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if ast.get_docstring(tree) is not None:
                tree.body = tree.body[1:]
            if tree.body and not any(named_path == relative for named_path, _ in definitions):
                missing.append(relative)
            missing += [
                f"{relative}::{node.name}"
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and (relative, node.name) not in definitions
            ]
    assert not missing, "not in comparison/concepts.toml:\n" + "\n".join(missing)


def test_junit_results_are_counted_per_implementation() -> None:
    results = read_junit_xml(FAKE_RUN, NAMES)
    assert results.counts("flask") == {"passed": 1}
    assert results.counts("django") == {"passed": 1, "failed": 1}
    assert results.counts("fastapi") == {"passed": 1, "skipped": 1}
    (differential,) = results.differential
    assert (differential.implementation, differential.outcome) == (None, "passed")
    (skipped,) = [test for test in results.of("fastapi") if test.outcome == "skipped"]
    assert skipped.message == "no time for it today"


@pytest.fixture(scope="module")
def measured() -> Measurements:
    """The repository, measured as `python -m comparison` measures it (no servers)."""
    return measure()


@pytest.fixture(scope="module")
def report(measured: Measurements, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder where the report of the fake run is written, as `reports/` would be."""
    folder = tmp_path_factory.mktemp("reports")
    write_reports(build_document(measured, read_junit_xml(FAKE_RUN, NAMES)), folder)
    return folder


def concept_ids() -> list[str]:
    """Return the ids of the concept sub-sections."""
    return [f"concept-{concept.id}" for concept in load_concept_map().concepts]


def test_the_html_report_has_every_section(report: Path) -> None:
    html = (report / "comparison.html").read_text(encoding="utf-8")
    for section_id in [*SECTIONS, *concept_ids()]:
        assert f'<section id="{section_id}">' in html, section_id
        assert f'href="#{section_id}"' in html, f"{section_id} is not in the contents"


def test_the_markdown_report_has_every_heading(report: Path) -> None:
    lines = (report / "comparison.md").read_text(encoding="utf-8").splitlines()
    expected = []
    for section_id, title in SECTIONS.items():
        expected.append(f"## {title}")
        if section_id == "concepts":
            # One sub-section per layer, and the layer's concepts under it.
            concepts = load_concept_map().concepts
            for layer, layer_title in CONCEPT_LAYERS.items():
                expected.append(f"### {layer_title}")
                expected += [f"#### {c.title}" for c in concepts if c.layer == layer]
    assert [line for line in lines if line in expected] == expected


def test_the_reports_show_the_results_and_escape_them(report: Path) -> None:
    html = (report / "comparison.html").read_text(encoding="utf-8")
    markdown = (report / "comparison.md").read_text(encoding="utf-8")
    for text in (html, markdown):
        assert "test_body_over_64_kib_is_413[django-PUT]" in text
        assert "no time for it today" in text
    assert "&lt;script&gt;alert(1)" in html
    assert "<script" not in html
    # Self-contained: nothing to load, no link that leaves the page.
    assert not re.findall(r'(?:src|href)="(?!#)', html)


def test_the_reports_show_the_known_differences(measured: Measurements, tmp_path: Path) -> None:
    entry = {"request": "GET /api/users?*", "field": "body", "reason": "Tracked as issue 42."}
    document = build_document(
        dataclasses.replace(measured, known_differences=[entry]), read_junit_xml(FAKE_RUN, NAMES)
    )
    for path in write_reports(document, tmp_path):
        assert "Tracked as issue 42." in path.read_text(encoding="utf-8"), path.name


def test_the_html_report_renders_in_chromium(report: Path) -> None:
    if find_chromium() is None:
        reason = "Chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    page = report / "comparison.html"
    check = check_page(page)
    assert not check.errors, check.errors
    assert set(SECTIONS) | set(concept_ids()) <= set(check.ids)
    assert check.requests == [page.resolve().as_uri()], "the page loaded something else"
