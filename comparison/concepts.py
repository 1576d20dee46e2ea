"""The concept map (concepts.toml): which code of each implementation shows each concept."""

import tomllib
from dataclasses import dataclass
from pathlib import Path

CONCEPT_MAP = Path(__file__).with_name("concepts.toml")
# Every concept belongs to one layer; the application layer comes first in the map.
CONCEPT_LAYERS = {
    "application": "The application layer: the app as its framework's tutorial writes it",
    "contract": "The contract layer: the framework's defaults switched off for the strict contract",
}


@dataclass(frozen=True)
class Selection:
    """One entry of the map: a whole file, or a named definition or variable in it."""

    path: str
    name: str | None = None

    @classmethod
    def parse(cls, entry: str) -> "Selection":
        """Read an entry written "path" or "path::name"."""
        path, _, name = entry.partition("::")
        return cls(path, name or None)

    def __str__(self) -> str:
        return self.path if self.name is None else f"{self.path}::{self.name}"


@dataclass(frozen=True)
class Concept:
    """One concept, and what each implementation names for it."""

    id: str
    title: str
    about: str
    layer: str
    selections: dict[str, list[Selection]]
    notes: dict[str, str]


@dataclass(frozen=True)
class ConceptMap:
    """Every concept in the map's order, and each implementation's display title."""

    titles: dict[str, str]
    concepts: list[Concept]


def load_concept_map(path: Path = CONCEPT_MAP) -> ConceptMap:
    """Read the concept map; the implementations are the keys of its [implementations] table."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    titles = document["implementations"]
    concepts = []
    for entry in document["concepts"]:
        # A misspelt implementation name would otherwise hide its entries without a word.
        unknown = set(entry) - {"id", "title", "about", "layer", "notes", *titles}
        unknown |= set(entry.get("notes", {})) - set(titles)
        if unknown:
            raise ValueError(
                f"{path.name}, concept {entry['id']!r}: unknown keys {sorted(unknown)}"
            )
        selections = {
            name: [Selection.parse(item) for item in entry.get(name, [])] for name in titles
        }
        notes = entry.get("notes", {})
        layer = entry["layer"]
        if layer not in CONCEPT_LAYERS:
            raise ValueError(f"{path.name}, concept {entry['id']!r}: unknown layer {layer!r}")
        if concepts and list(CONCEPT_LAYERS).index(layer) < list(CONCEPT_LAYERS).index(
            concepts[-1].layer
        ):
            raise ValueError(f"{path.name}, concept {entry['id']!r}: application concepts first")
        concepts.append(
            Concept(entry["id"], entry["title"], entry["about"], layer, selections, notes)
        )
    return ConceptMap(titles=titles, concepts=concepts)
