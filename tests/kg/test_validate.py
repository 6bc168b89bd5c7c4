"""The SPARQL quality checks: each one catches what it is written for, and none fires on the real data."""

from __future__ import annotations

import pytest

from kg.build import validated
from kg.load import Dataset, Inputs, ParsedFile, load_rules, parse_turtle
from kg.settings import CANONICAL_BASE
from kg.terms import graph_iri
from kg.validate import check_problems


@pytest.fixture(scope="module")
def checks(root) -> list:
    """The files of the project's checks."""
    return sorted((root / "ontology" / "checks").glob("*.rq"))


@pytest.fixture(scope="module")
def problems(root, project_settings, stored):
    """Every check run over the ontology plus the deliberately broken fixtures."""
    data = root / "tests" / "data"
    ontology = [(path, "ontology") for path in sorted((root / "ontology").glob("*.ttl")) if path.name != "shapes.ttl"]
    files = [*ontology, (data / "check-violations-ontology.ttl", "ontology"),
             (data / "check-violations.ttl", "source-graph-described")]
    dataset = Dataset(CANONICAL_BASE, [ParsedFile(path, graph_iri(CANONICAL_BASE, graph), parse_turtle(path))
                                       for path, graph in files])
    return check_problems(stored(dataset.quads()), Inputs(dataset, load_rules(project_settings)))


CHECKS = ["asymmetric-irreflexive", "chair-handover", "disjoint-classes", "disjoint-with", "event-times-agree",
          "functional-property", "instant-precision", "interval-order", "nothing", "object-property-value",
          "objective-positions", "owl2rl-profile", "revision-order", "same-and-different", "source-graph-described",
          "succeeds-itself", "term-documentation", "undeclared-term", "unlabelled-resource"]


@pytest.mark.parametrize("name", CHECKS)
def test_check_catches_its_violation(problems, name):
    """Each check reports the fixture resource made to break it, naming the fixture file."""
    mine = [p for p in problems if p.rule.endswith(f"{name}.rq")]
    assert mine, f"{name}.rq found nothing"
    assert any(name in " ".join(p.resources) for p in mine)
    if name != "term-documentation":  # its fixture is the ontology's own graph, which many files describe
        assert any("check-violations" in f for p in mine for f in p.files)


def test_every_check_is_in_the_table(checks):
    """The table above names every check there is, so none goes untried."""
    assert [c.stem for c in checks] == CHECKS


def test_checks_pass_on_the_project_data(project_settings):
    """The project's own data, reasoned, passes every shape and check."""
    report = validated(project_settings)
    assert sum(report.triples.values()) > 9000


def test_check_reason_is_its_opening_comment(problems):
    """A reported problem carries the check's opening comment as its reason."""
    p = next(p for p in problems if p.rule.endswith("succeeds-itself.rq"))
    assert p.why.startswith("No organisation succeeds itself")
