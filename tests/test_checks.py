"""The SPARQL quality checks: each one catches what it is written for, and none fires on the real data."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import with_default_graph

from kg.build import validated
from kg.load import Dataset, ParsedFile, parse_turtle
from kg.namespaces import graph_iri
from kg.settings import CANONICAL_BASE, Settings
from kg.validate import run_checks

ROOT = Path(__file__).resolve().parent.parent

DATA = Path(__file__).parent / "data"
CHECKS = sorted((ROOT / "ontology" / "checks").glob("*.rq"))
SETTINGS = Settings(ontology_dir=str(ROOT / "ontology"), data_dir=str(ROOT / "data"))


@pytest.fixture(scope="module")
def problems():
    """Run every check over the ontology plus the deliberately broken fixture."""
    dataset = Dataset(SETTINGS)
    dataset.files.append(ParsedFile(ROOT / "ontology" / "spacecoord.ttl", graph_iri(CANONICAL_BASE, "ontology"),
                                    parse_turtle(ROOT / "ontology" / "spacecoord.ttl")))
    dataset.files.append(ParsedFile(DATA / "check-violations-ontology.ttl", graph_iri(CANONICAL_BASE, "ontology"),
                                    parse_turtle(DATA / "check-violations-ontology.ttl")))
    dataset.files.append(ParsedFile(DATA / "check-violations.ttl",
                                    graph_iri(CANONICAL_BASE, "source-graph-described"),
                                    parse_turtle(DATA / "check-violations.ttl")))
    store = ox.Store()
    store.bulk_extend(with_default_graph(list(dataset.quads())))
    return run_checks(store, dataset)


def test_there_are_checks():
    """The project has its nineteen checks (a suite that shrinks must say so)."""
    assert len(CHECKS) == 19


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_catches_its_violation(problems, check):
    """Each check reports the fixture resource made to break it, naming the fixture file."""
    mine = [p for p in problems if p.rule.endswith(check.name)]
    assert mine, f"{check.name} found nothing"
    assert any(check.stem in " ".join(p.resources) for p in mine)
    assert any("check-violations" in f for p in mine for f in p.files) or check.stem == "term-documentation"


def test_checks_pass_on_the_project_data():
    """The project's own data, reasoned, passes every check."""
    _, _, report = validated(SETTINGS)
    assert report.triples


def test_check_reason_is_its_opening_comment(problems):
    """A reported problem carries the check's opening comment as its reason."""
    p = next(p for p in problems if p.rule.endswith("succeeds-itself.rq"))
    assert p.why.startswith("No organisation succeeds itself")
