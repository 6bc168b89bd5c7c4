"""Reason stage: the OWL 2 RL closure of the ontology and the asserted data.

owlrl computes the closure over an rdflib graph; what comes back here is only
what it added (closure minus asserted), to be stored in ``graph/inferred``.
Triples that an RDF store cannot hold (a literal as subject, which owlrl's
datatype rules produce) are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

import owlrl
import pyoxigraph as ox
import rdflib

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term):
    """Convert a pyoxigraph term to the equal rdflib term (blank node ids kept)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def to_oxigraph(term):
    """Convert an rdflib term to the equal pyoxigraph term (blank node ids kept)."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is None:
        return ox.Literal(str(term))
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))


def rdflib_graph(triples: Iterable[ox.Triple | ox.Quad]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph


def storable(s, p, o) -> bool:
    return not isinstance(s, rdflib.Literal) and isinstance(p, rdflib.URIRef)


def infer(asserted: Iterable[ox.Triple | ox.Quad]) -> list[ox.Triple]:
    """The triples the OWL 2 RL closure adds to ``asserted`` (which includes the ontology)."""
    graph = rdflib_graph(asserted)
    before = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(graph)
    return [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))
            for s, p, o in graph if (s, p, o) not in before and storable(s, p, o)]
