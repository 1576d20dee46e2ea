"""A pytest plugin for the comparison's run: only the tests that talk to the servers compared.

With ``--base-url``, the contract suite still collects the tests that start servers
of their own or only read the repository's files (those run in ``make test``). The
comparison keeps the tests of the ``target`` fixture, which talk to the servers it
gave, and the differential test, which compares those servers with each other.
"""

import pytest

from comparison.results import DIFFERENTIAL_MODULE


def talks_to_the_servers(item: pytest.Item) -> bool:
    """Return whether a test is aimed at the servers given with --base-url."""
    module = getattr(item, "module", None)
    if module is not None and module.__name__.rpartition(".")[2] == DIFFERENTIAL_MODULE:
        return True
    return "target" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect every other test, as -k would, so that the report counts only these."""
    deselected = [item for item in items if not talks_to_the_servers(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if talks_to_the_servers(item)]
