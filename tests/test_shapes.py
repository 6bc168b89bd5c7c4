"""SHACL shapes as SPARQL (kg.shapes) find exactly what pySHACL finds, on good and on broken data."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import with_default_graph
from kg.load import Dataset, ParsedFile, load, parse_turtle
from kg.namespaces import graph_iri
from kg.settings import CANONICAL_BASE, Settings
from kg import shapes
from kg.shapes import UnsupportedShape, compile_shapes
from kg.validate import check_shapes, check_shapes_in_store

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings(ontology_dir=str(ROOT / "ontology"), data_dir=str(ROOT / "data"))


def both(dataset: Dataset) -> tuple[set, set]:
    """(shape, focus node) pairs reported by pySHACL and by the SPARQL evaluation."""
    store = ox.Store()
    store.bulk_extend(with_default_graph(list(dataset.quads())))
    reference = {(p.rule, p.resources) for p in check_shapes(dataset)}
    compiled = {(p.rule, p.resources) for p in check_shapes_in_store(store, dataset)}
    return reference, compiled


def test_the_project_data_conforms_both_ways():
    """The project's data conforms, for pySHACL and for the SPARQL evaluation alike."""
    assert both(load(SETTINGS)) == (set(), set())


def broken() -> Dataset:
    dataset = Dataset(SETTINGS)
    ontology = ROOT / "ontology" / "spacecoord.ttl"
    dataset.files.append(ParsedFile(ontology, graph_iri(CANONICAL_BASE, "ontology"), parse_turtle(ontology)))
    path = ROOT / "tests" / "data" / "shape-violations.ttl"
    dataset.files.append(ParsedFile(path, graph_iri(CANONICAL_BASE, "broken"), parse_turtle(path)))
    return dataset


def test_broken_data_gives_the_same_violations():
    """On data that breaks many constraints, both report the same shapes and focus nodes."""
    reference, compiled = both(broken())
    assert len(reference) == 11
    assert compiled == reference


def test_scans_find_what_lookups_find(monkeypatch):
    """The scan form of every constraint, used for large targets, reports the same as pySHACL."""
    monkeypatch.setattr(shapes, "SCAN_FROM", 1)
    reference, compiled = both(broken())
    assert compiled == reference


def test_unsupported_feature_is_refused():
    """A shape using SHACL beyond the supported subset is refused by name, not ignored."""
    shape = ox.parse(b"""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:property [ sh:path <urn:p> ; sh:pattern "^x" ] .""",
                     format=ox.RdfFormat.TURTLE)
    with pytest.raises(UnsupportedShape, match="shacl#pattern.*not supported"):
        compile_shapes([q.triple for q in shape])
