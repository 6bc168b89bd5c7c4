"""Reasoning: the fast path equals owlrl, every kind of entailment is there, and the noise is not."""

from __future__ import annotations

import importlib.util

import pyoxigraph as ox
import pytest

from kg import reason
from kg.errors import InvalidInput
from kg.load import load_graphs, parse_turtle
from kg.terms import SAME_AS, parse_term


@pytest.fixture(scope="module")
def ontology(project_settings) -> list[ox.Triple]:
    """The triples of the project's ontology (graph/ontology)."""
    return load_graphs(project_settings).triples_of("ontology")


@pytest.fixture(scope="module")
def entailments(root) -> list[ox.Triple]:
    """The small graph of tests/data/entailments.ttl, one case of each kind of entailment."""
    return parse_turtle(root / "tests" / "data" / "entailments.ttl")


def synthetic(root, size: int, seed: int) -> list[ox.Triple]:
    spec = importlib.util.spec_from_file_location("synthetic", root / "bench" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.generate(size, seed).encode()
    return [q.triple for q in ox.parse(text, format=ox.RdfFormat.TURTLE)]


def test_fast_path_equals_owlrl_on_the_project_data(project_settings):
    """On the project's own graph, the fast path infers exactly owlrl's triples (after the noise filter)."""
    quads = list(load_graphs(project_settings).quads())
    fast = reason.infer(quads)
    assert fast == reason.reference(quads)
    assert len(fast) > 1000


@pytest.mark.parametrize("size, seed", [(800, 1), (1500, 7)])
def test_fast_path_equals_owlrl_on_synthetic_graphs(root, ontology, size, seed):
    """On synthetic ORG-style graphs with chains, memberships and sameAs links, both paths infer the same triples."""
    triples = ontology + synthetic(root, size, seed)
    fast = reason.infer(triples)
    assert fast == reason.reference(triples)
    assert any(t.predicate == SAME_AS for t in fast), "the graph exercises equality"


@pytest.fixture(scope="module")
def entailed(ontology, entailments):
    """What the fast path infers from the ontology and the graph of entailments."""
    return reason.infer(ontology + entailments)


ENTAILMENTS = [
    ("subclass up to ORG (cax-sco)", "body:x", "rdf:type", "org:FormalOrganization"),
    ("subclass up to ORG, two steps (cax-sco)", "body:x", "rdf:type", "org:Organization"),
    ("ORG's equivalence with FOAF (cax-eqc)", "body:x", "rdf:type", "foaf:Organization"),
    ("subproperty up to RDFS, from SKOS (prp-spo1)", "body:x", "rdfs:label", '"X"@en'),
    ("subproperty up to PROV (prp-spo1)", "doc:v2", "prov:wasDerivedFrom", "doc:v1"),
    ("subproperty up to DCTERMS (prp-spo1)", "doc:plan", "dcterms:creator", "body:x"),
    ("inverse in ORG (prp-inv1)", "body:x", "org:hasMembership", "membership:m"),
    ("inverse in OWL-Time (prp-inv1)", "membership:n-period", "time:after", "membership:m-period"),
    ("n-ary membership yields org:memberOf (prp-spo2, prp-spo1)", "body:x", "org:memberOf", "body:g"),
    ("and its inverse org:hasMember (prp-inv1)", "body:g", "org:hasMember", "body:x"),
    ("a renaming event yields sc:renamedFrom (prp-spo2)", "body:x", "sc:renamedFrom", "body:old"),
    ("and sc:renamedTo (prp-inv1)", "body:old", "sc:renamedTo", "body:x"),
    ("ORG change events linked back (prp-inv1)", "body:x", "org:resultedFrom", "change:r"),
    ("transitive lineage (prp-trp)", "body:x", "sc:succeeds", "body:older"),
    ("inverse transitive lineage (prp-trp)", "body:older", "sc:succeededBy", "body:x"),
    ("charter objectives are org:purpose (prp-spo2)", "body:g", "org:purpose", "doc:v1-objective"),
    ("domain typing (prp-dom)", "body:y", "rdf:type", "org:Organization"),
    ("range typing (prp-rng)", "place:p", "rdf:type", "sc:Jurisdiction"),
    ("range typing into PROV (prp-rng)", "body:x", "rdf:type", "prov:Agent"),
    ("sameAs is symmetric (eq-sym)", "wd:Q1", "owl:sameAs", "body:x"),
    ("sameAs copies statements (eq-rep-s)", "wd:Q1", "rdf:type", "sc:SpaceAgency"),
    ("two values of a functional property are the same (prp-fp)", "place:z1", "owl:sameAs", "place:z2"),
    ("and what holds of one holds of the other (eq-rep-s)", "place:z2", "rdf:type", "sc:Country"),
    ("schema closure: subclass is transitive (scm-sco)", "sc:SpaceAgency", "rdfs:subClassOf", "org:Organization"),
]


NOISE = [
    ("typing with owl:Thing", "body:x", "rdf:type", "owl:Thing"),
    ("reflexive sameAs", "body:x", "owl:sameAs", "body:x"),
    ("reflexive subclass", "sc:SpaceAgency", "rdfs:subClassOf", "sc:SpaceAgency"),
    ("subclass of owl:Thing", "sc:SpaceAgency", "rdfs:subClassOf", "owl:Thing"),
    ("OWL vocabulary self-description", "owl:Thing", "rdf:type", "owl:Class"),
]


@pytest.mark.parametrize("why, s, p, o, served", [e + (True,) for e in ENTAILMENTS] + [n + (False,) for n in NOISE],
                         ids=[e[0] for e in ENTAILMENTS + NOISE])
def test_entailment_served_and_noise_not(entailed, why, s, p, o, served):
    """Each kind of entailment the standard-vocabulary queries rely on is inferred; owlrl's noise is not."""
    assert (ox.Triple(parse_term(s), parse_term(p), parse_term(o)) in entailed) is served


def test_noise_filter_drops_literal_subjects():
    """A triple with a literal subject is noise: no RDF store can hold it."""
    assert reason.is_noise(ox.Literal("1"), parse_term("rdf:type"), parse_term("xsd:integer"))


def test_fast_path_equals_owlrl_on_the_entailment_graph(ontology, entailments):
    """On the small graph with sameAs and a functional property with two values, both paths agree."""
    triples = ontology + entailments
    assert reason.infer(triples) == reason.reference(triples)


def test_unsupported_schema_is_refused(ontology):
    """A schema needing a rule the fast path lacks is refused as invalid input, with the axiom and the rule named."""
    extra = [ox.Triple(parse_term("sc:Thing"), parse_term("owl:someValuesFrom"), parse_term("sc:Event"))]
    with pytest.raises(InvalidInput, match="cls-svf1/2.*KG_REASONER=owlrl"):
        reason.infer(ontology + extra)
