"""Terms: our own through a closed namespace that matches the ontology, terms read as users write them,
and terms moved between pyoxigraph and rdflib unchanged."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.errors import InvalidInput
from kg.load import load_graphs
from kg.terms import SC, SC_NS, TYPE, XSD, compact, parse_term, parse_triple, rdflib_graph, to_oxigraph, to_rdflib


def test_closed_namespace_matches_the_ontology(project_settings):
    """Python's list of sc: terms is exactly the set the ontology declares."""
    ontology = load_graphs(project_settings).triples_of("ontology")
    declared = {t.subject.value[len(SC_NS):] for t in ontology
                if t.subject.value.startswith(SC_NS) and t.predicate == TYPE}
    assert {n.value[len(SC_NS):] for n in SC} == declared


def test_unknown_term_raises():
    """Asking the closed namespace for an undeclared term is an error, not a new IRI."""
    assert SC.SpaceAgency.value == SC_NS + "SpaceAgency"
    with pytest.raises(AttributeError):
        SC.SpaceAgencey  # noqa: B018 -- the attribute access is the test


@pytest.mark.parametrize("iri, shown", [
    (SC_NS + "SpaceAgency", "sc:SpaceAgency"),
    ("https://w3id.org/spacecoord/body/nasa", "body:nasa"),
    ("https://w3id.org/spacecoord/body/a b", "<https://w3id.org/spacecoord/body/a b>"),
    ("https://example.org/x", "<https://example.org/x>"),
])
def test_compact_uses_the_project_prefixes(iri, shown):
    """IRIs print as prefixed names where a prefix is known and the name can be written so."""
    assert compact(iri) == shown


@pytest.mark.parametrize("text, term", [
    ("body:nasa", ox.NamedNode("https://w3id.org/spacecoord/body/nasa")),
    ("<https://example.org/x>", ox.NamedNode("https://example.org/x")),
    ("https://example.org/x", ox.NamedNode("https://example.org/x")),
    ("a", TYPE),
    ("_:b1", ox.BlankNode("b1")),
    ('"1999"^^xsd:gYear', ox.Literal("1999", datatype=ox.NamedNode(XSD + "gYear"))),
    ('"NASA"@en', ox.Literal("NASA", language="en")),
    ("  body:esa ", ox.NamedNode("https://w3id.org/spacecoord/body/esa")),
])
def test_a_term_is_read_as_users_write_it(text, term):
    """Prefixed names, IRIs with or without brackets, 'a', blank nodes and literals are read as in Turtle."""
    assert parse_term(text) == term


@pytest.mark.parametrize("text, says", [
    ("nope:x", "'nope:x': The prefix nope: has not been declared"),
    ("body:a , body:b", "expected one term"),
    ("body:a body:b", "A dot is expected"),
    ("<< <urn:a> <urn:b> <urn:c> >>", "'<< <urn:a> <urn:b> <urn:c> >>'"),
])
def test_a_term_that_cannot_be_read_is_invalid_input_quoting_it(text, says):
    """A term that does not read as one term is refused, quoting the text and saying why."""
    with pytest.raises(InvalidInput) as refused:
        parse_term(text)
    assert says in str(refused.value)


def test_a_triple_is_read_as_users_write_it():
    """Three terms with the project's prefixes make a triple; anything else is refused."""
    assert parse_triple("body:nasa org:memberOf body:imewg .").predicate.value == "http://www.w3.org/ns/org#memberOf"
    with pytest.raises(InvalidInput, match="expected one triple, got 2"):
        parse_triple("body:a a sc:X . body:b a sc:X")


@pytest.mark.parametrize("term", [
    ox.NamedNode("https://example.org/x"), ox.BlankNode("b1"), ox.Literal("plain"), ox.Literal("x", language="de"),
    ox.Literal("1999", datatype=ox.NamedNode(XSD + "gYear")), ox.Literal("--02", datatype=ox.NamedNode(XSD + "gMonth")),
])
def test_terms_cross_to_rdflib_and_back_unchanged(term):
    """A term moved to rdflib (owlrl and pySHACL read it) and back is the same term."""
    assert to_oxigraph(to_rdflib(term)) == term


def test_an_rdflib_graph_holds_the_triples_of_quads():
    """Quads become the triples of one rdflib graph."""
    t = ox.Triple(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c"))
    assert len(rdflib_graph([ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("urn:g")), t])) == 1
