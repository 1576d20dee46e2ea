"""Checks on the project itself that keep its parts in step."""

import tomllib

import pytest

from contract_tests.implementations import IMPLEMENTATIONS, ROOT


@pytest.mark.parametrize("name", [impl.name for impl in IMPLEMENTATIONS])
def test_implementation_requirements_match_the_pins(name: str) -> None:
    """Each impl_*/requirements.txt lists exactly its pyproject extra's pins."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    lines = (ROOT / f"impl_{name}" / "requirements.txt").read_text().splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert sorted(pins) == sorted(extras[name])
