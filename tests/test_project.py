"""Checks on the project itself that keep its parts in step."""

import re
import tomllib

import pytest

from comparison.size import LAYERS, by_layer, measure_implementation, total
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


LINE_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<path>[^)#\s]+)#L(?P<line>\d+)\)")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CODE_SPAN = re.compile(r"`([^`]+)`")


def named_code(text: str, before: str) -> str | None:
    """The code a line link names: its own code text, or for "L52" the code span before it."""
    if re.fullmatch(r"L\d+(-\d+)?", text):
        spans = CODE_SPAN.findall(before)
        return spans[-1] if spans else None
    spans = CODE_SPAN.findall(text)
    # A link named after a file or in words ("test", "conf") names the file, not a line.
    if not spans or any(span.endswith(".py") or "/" in span for span in spans):
        return None
    return " ".join(spans)


@pytest.mark.parametrize(
    "document", ["README.md", *(str(path.relative_to(ROOT)) for path in ROOT.glob("docs/*.md"))]
)
def test_line_links_point_at_the_code_they_name(document: str) -> None:
    """A link to `file#Lnn` lands on the code its text, or the code span before it, names."""
    path = ROOT / document
    text = path.read_text()
    wrong = []
    for match in LINE_LINK.finditer(text):
        lines = (path.parent / match["path"]).read_text().splitlines()
        line = int(match["line"])
        cell_start = max(text.rfind("|", 0, match.start()), text.rfind("\n", 0, match.start()))
        code = named_code(match["text"], text[cell_start + 1 : match.start()])
        # "L25-40" names a range; otherwise the line, the one before and the three after it
        # (a decorator, a docstring, a statement over several lines).
        last = re.fullmatch(r"L\d+-(\d+)", match["text"])
        end = int(last[1]) if last else line + 3
        window = set(IDENTIFIER.findall(" ".join(lines[max(line - 2, 0) : end])))
        names = {word for word in IDENTIFIER.findall(code or "") if len(word) > 2}
        if line > len(lines) or (names and not names & window):
            wrong.append(f"{match['text']} -> {match['path']}#L{line}")
    assert wrong == []


@pytest.mark.parametrize("module", ["rules.py", "strict_json.py"])
def test_framework_neutral_modules_are_the_same_in_all_three(module: str) -> None:
    """The contract layer's framework-neutral modules are one text, copied into each."""
    copies = {impl.name: (ROOT / f"impl_{impl.name}" / "contract" / module).read_text()
              for impl in IMPLEMENTATIONS}  # fmt: skip
    assert len(set(copies.values())) == 1, f"{module} differs between {sorted(copies)}"


def test_the_readme_gives_the_source_lines_of_each_layer() -> None:
    """The README's lines-per-layer table holds what pygount counts today."""
    readme = (ROOT / "README.md").read_text()
    titles = {"flask": "Flask", "django": "Django + DRF", "fastapi": "FastAPI"}
    for impl in IMPLEMENTATIONS:
        layers = by_layer(measure_implementation(impl.name))
        counts = " | ".join(str(total(layers[layer]).source) for layer in LAYERS)
        assert f"| {titles[impl.name]} | {counts} |" in readme, impl.name
