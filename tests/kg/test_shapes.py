"""SHACL shapes as SPARQL (kg.shapes) find exactly what pySHACL finds, on good and on broken data."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg import shapes
from kg.errors import InvalidInput
from kg.load import Dataset, Inputs, ParsedFile, load, parse_turtle
from kg.settings import CANONICAL_BASE
from kg.shapes import compile_shapes
from kg.terms import graph_iri
from kg.validate import pyshacl_problems, shape_problems


@pytest.fixture
def both(stored):
    """A function: the (shape, focus node) pairs pySHACL reports on ``inputs``, and those the SPARQL evaluation
    reports on a store of them."""
    def judge(inputs: Inputs) -> tuple[set, set]:
        reference = {(p.rule, p.resources) for p in pyshacl_problems(inputs)}
        compiled = {(p.rule, p.resources) for p in shape_problems(stored(inputs.dataset.quads()), inputs)}
        return reference, compiled
    return judge


@pytest.fixture(scope="module")
def broken(root, project_settings) -> Inputs:
    """The ontology with the shapes, and tests/data/shape-violations.ttl, which breaks many constraints."""
    inputs = load(project_settings)
    violations = root / "tests" / "data" / "shape-violations.ttl"
    ontology = [f for f in inputs.dataset.files if f.graph == graph_iri(CANONICAL_BASE, "ontology")]
    dataset = Dataset(CANONICAL_BASE, [
        *ontology, ParsedFile(violations, graph_iri(CANONICAL_BASE, "broken"), parse_turtle(violations))])
    return Inputs(dataset, inputs.rules)


def test_the_project_data_conforms_both_ways(both, project_settings):
    """The project's data conforms, for pySHACL and for the SPARQL evaluation alike."""
    assert both(load(project_settings)) == (set(), set())


def test_broken_data_gives_the_same_violations(both, broken):
    """On data that breaks many constraints, both report the same shapes and focus nodes."""
    reference, compiled = both(broken)
    assert len(reference) == 11
    assert compiled == reference


def test_scans_find_what_lookups_find(both, broken, monkeypatch):
    """The scan form of every constraint, used for large targets, reports the same as pySHACL."""
    monkeypatch.setattr(shapes, "SCAN_FROM", 1)
    reference, compiled = both(broken)
    assert compiled == reference


def test_unsupported_feature_is_refused():
    """A shape using SHACL beyond the supported subset is refused by name, not ignored."""
    shape = ox.parse(b"""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:property [ sh:path <urn:p> ; sh:pattern "^x" ] .""",
                     format=ox.RdfFormat.TURTLE)
    with pytest.raises(InvalidInput, match="shacl#pattern.*not supported"):
        compile_shapes([q.triple for q in shape])
