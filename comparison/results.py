"""The contract suite's results, read from the JUnit XML report that pytest writes."""

import re
import tomllib
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from contract_tests.differential import DIFFERENCES_FOUND
from contract_tests.implementations import ROOT

# The suite's run with --differential compares the implementations with each other: its
# test ids name the group compared, as in test_health[flask,django,fastapi], and this
# module holds the tests of the mode itself. Then the differences between them that the
# project accepts, each with its reason.
DIFFERENTIAL_MODULE = "test_differential"
KNOWN_DIFFERENCES = ROOT / "contract_tests" / "known_differences.toml"

OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed")

# The parameters of a test id: test_bad_name_is_422[flask-123] -> "flask-123".
PARAMETERS = re.compile(r"\[(.*)\]$", re.DOTALL)
# How a differential case that failed for differences says how many it found.
DIFFERENCES = re.compile(r"(\d+) differences? " + re.escape(DIFFERENCES_FOUND))


@dataclass(frozen=True)
class TestResult:
    """One test case of the run: where it is, whom it tested, and how it ended."""

    __test__ = False  # not a pytest test class, despite its name

    module: str
    name: str
    implementation: str | None
    outcome: str
    message: str
    seconds: float
    # In the differential run: the implementations whose answers the case compared.
    compared: tuple[str, ...] = ()

    @property
    def differential(self) -> bool:
        """Return whether the case belongs to the differential run."""
        return bool(self.compared) or self.module == DIFFERENTIAL_MODULE

    @property
    def differences(self) -> int:
        """Return how many differences between the implementations the case failed for."""
        match = DIFFERENCES.search(self.message)
        return int(match[1]) if match and self.outcome in ("failed", "error") else 0

    @property
    def comparison(self) -> str:
        """Return how a differential case ended: alike, differed, failed otherwise, not compared."""
        if self.outcome in ("skipped", "xfailed"):
            return "not compared"
        if self.differences:
            return "differed"
        return "alike" if self.outcome == "passed" else "failed otherwise"


@dataclass(frozen=True)
class SuiteResults:
    """Every test case of one run of the contract suite."""

    tests: list[TestResult]

    def of(self, implementation: str) -> list[TestResult]:
        """Return the tests of one implementation, the differential run's aside."""
        return [
            test
            for test in self.tests
            if test.implementation == implementation and not test.differential
        ]

    def counts(self, implementation: str) -> Counter[str]:
        """Return how many tests of one implementation ended in each outcome."""
        return Counter(test.outcome for test in self.of(implementation))

    @property
    def differential(self) -> list[TestResult]:
        """Return the cases of the differential run: every test that compared, or was not."""
        return [test for test in self.tests if test.differential]


def read_junit_xml(text: str, implementations: list[str]) -> SuiteResults:
    """Read pytest's JUnit XML; an implementation's name in a test id's brackets says whose."""
    tests = []
    for case in ElementTree.fromstring(text).iter("testcase"):
        name = case.get("name", "")
        outcome, message = outcome_of(case)
        compared = compared_in(name, implementations)
        tests.append(
            TestResult(
                module=case.get("classname", "").rpartition(".")[2],
                name=name,
                implementation=None if compared else implementation_of(name, implementations),
                outcome=outcome,
                message=message,
                seconds=float(case.get("time") or 0),
                compared=compared,
            )
        )
    return SuiteResults(tests)


def compared_in(test_name: str, implementations: list[str]) -> tuple[str, ...]:
    """Return the implementations a differential case's id names: [flask,django,fastapi-PUT]."""
    match = PARAMETERS.search(test_name)
    if match is None:
        return ()
    # The group comes first: flask,django,fastapi or flask-sqlite,django-sqlite,...
    names = "|".join(re.escape(name) for name in implementations)
    group = re.match(rf"(?:{names})(?:-\w+)?(?:,(?:{names})(?:-\w+)?)+(?=-|$)", match.group(1))
    if group is None:
        return ()
    return tuple(target_id.partition("-")[0] for target_id in group.group(0).split(","))


def implementation_of(test_name: str, implementations: list[str]) -> str | None:
    """Return the implementation a test id names, as in [flask], [flask-sqlite] or [flask-PUT]."""
    match = PARAMETERS.search(test_name)
    if match is None:
        return None
    for part in match.group(1).split("-"):
        if part in implementations:
            return part
    return None


def outcome_of(case: ElementTree.Element) -> tuple[str, str]:
    """Return how a test case ended, and pytest's message for anything but a pass."""
    for tag in ("failure", "error", "skipped"):
        element = case.find(tag)
        if element is not None:
            message = element.get("message") or (element.text or "").strip()
            if tag == "skipped" and element.get("type") == "pytest.xfail":
                return "xfailed", message
            return {"failure": "failed"}.get(tag, tag), message
    return "passed", ""


def load_known_differences(path: Path = KNOWN_DIFFERENCES) -> list[dict[str, object]]:
    """Return the entries of the known differences file, each a table; none if it is missing."""
    if not path.exists():
        return []
    entries: list[dict[str, object]] = []
    # Whatever the file's layout, its entries are its tables: in arrays of tables
    # ([[difference]]), or named ([difference.some-name]), the name then becoming "id".
    for key, value in tomllib.loads(path.read_text(encoding="utf-8")).items():
        if isinstance(value, list):
            entries += [item for item in value if isinstance(item, dict)]
        elif isinstance(value, dict) and all(isinstance(item, dict) for item in value.values()):
            entries += [{"id": name, **item} for name, item in value.items()]
        elif isinstance(value, dict):
            entries.append({"id": key, **value})
    return entries
