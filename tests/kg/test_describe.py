"""Describing a resource: every statement about it and pointing at it, each with where it is asserted."""

from __future__ import annotations

import pyoxigraph as ox

from kg.describe import Provenance, describe
from kg.settings import CANONICAL_BASE
from kg.terms import graph_iri, parse_term, parse_triple

INFERRED = graph_iri(CANONICAL_BASE, "inferred")
ARTICLE = "https://w3id.org/spacecoord/graph/imewg-article"
WIKIPEDIA = "https://en.wikipedia.org/wiki/International_Mars_Exploration_Working_Group"


def test_an_asserted_statement_names_its_graphs_and_sources(built_store):
    """A statement a source makes names each graph stating it, with the graph's source document."""
    where = Provenance(built_store, INFERRED).of(parse_triple("body:nasa a sc:SpaceAgency"))
    assert (ARTICLE, WIKIPEDIA) in where
    assert all(graph != INFERRED.value for graph, _ in where)


def test_an_inferred_statement_names_none(built_store):
    """A statement only reasoning gives is asserted nowhere."""
    assert Provenance(built_store, INFERRED).of(parse_triple("body:nasa org:memberOf body:imewg")) == []


def test_a_description_has_both_directions_sorted_by_property(built_store):
    """The statements about a resource and those pointing at it are listed, each sorted by property."""
    found = describe(built_store, parse_term("body:nasa"), INFERRED)
    assert not found.empty
    assert [st.triple.subject for st in found.about] == [parse_term("body:nasa")] * len(found.about)
    assert [st.triple.object for st in found.pointing] == [parse_term("body:nasa")] * len(found.pointing)
    predicates = [st.triple.predicate.value for st in found.about]
    assert predicates == sorted(predicates)
    assert {st.inferred for st in found.about} == {True, False}


def test_a_description_stops_at_its_limit_and_says_so(built_store):
    """Past the limit, the list is cut and marked as cut; within it, it is not."""
    whole = describe(built_store, parse_term("body:nasa"), INFERRED)
    cut = describe(built_store, parse_term("body:nasa"), INFERRED, limit=3)
    assert len(cut.about) == 3
    assert cut.more_about
    assert not whole.more_about


def test_a_resource_in_no_statement_is_empty(built_store):
    """A resource the graph does not mention has an empty description."""
    assert describe(built_store, ox.NamedNode("https://w3id.org/spacecoord/body/nothing-here"), INFERRED).empty
