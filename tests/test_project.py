"""Checks on the project itself that keep its parts in step."""

import re
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


@pytest.mark.parametrize(
    "document", ["README.md", *(str(path.relative_to(ROOT)) for path in ROOT.glob("docs/*.md"))]
)
def test_documentation_links_point_at_files_that_exist(document: str) -> None:
    """Every relative link of the README and the docs names a file of the repository."""
    path = ROOT / document
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)\s]*)?\)", path.read_text())
    missing = [link for link in links if "://" not in link and not (path.parent / link).exists()]
    assert missing == []
