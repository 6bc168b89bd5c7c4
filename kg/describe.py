"""Describe a resource of the built store: the statements about it and pointing at it, each with the
graphs and source documents that assert it, or none: it is inferred.

``Provenance`` says where any triple is asserted; kg.explain uses it for the
leaves of a derivation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .terms import PRIMARY_SOURCE

DEFAULT = ox.DefaultGraph()


class Provenance:
    """Where the triples of a built store are asserted: each named graph stating one (but the inferred
    graph), with the source document of that graph (its ``prov:hadPrimarySource``)."""

    def __init__(self, store: ox.Store, inferred_graph: ox.NamedNode):
        self.store, self.inferred_graph = store, inferred_graph
        self._sources: dict[ox.NamedNode, str | None] = {}

    def of(self, t: ox.Triple) -> list[tuple[str, str | None]]:
        """(graph, source document) for each named graph asserting ``t``, by graph; none if it is inferred."""
        graphs = [q.graph_name for q in self.store.quads_for_pattern(t.subject, t.predicate, t.object, None)
                  if isinstance(q.graph_name, ox.NamedNode) and q.graph_name != self.inferred_graph]
        return [(g.value, self._source(g)) for g in sorted(graphs, key=lambda g: g.value)]

    def _source(self, graph: ox.NamedNode) -> str | None:
        if graph not in self._sources:
            docs = [q.object for q in self.store.quads_for_pattern(graph, PRIMARY_SOURCE, None, DEFAULT)]
            self._sources[graph] = docs[0].value if docs else None
        return self._sources[graph]


@dataclass
class Statement:
    """A triple of the default graph and the graphs asserting it (none: it is inferred)."""

    triple: ox.Triple
    asserted_in: list[tuple[str, str | None]]

    @property
    def inferred(self) -> bool:
        return not self.asserted_in


@dataclass
class Description:
    """What the default graph says about ``node`` (``about``) and points at it (``pointing``): up to a limit
    each way, sorted by property, with whether there were more."""

    node: ox.NamedNode | ox.BlankNode
    about: list[Statement]
    more_about: bool
    pointing: list[Statement]
    more_pointing: bool

    @property
    def empty(self) -> bool:
        return not self.about and not self.pointing


def describe(store: ox.Store, node, inferred_graph: ox.NamedNode, limit: int = 500) -> Description:
    """The statements of the default graph with ``node`` as subject, and with it as object."""
    provenance = Provenance(store, inferred_graph)
    about, more_about = _statements(store, provenance, (node, None, None), limit)
    pointing, more_pointing = _statements(store, provenance, (None, None, node), limit)
    about.sort(key=lambda st: (st.triple.predicate.value, str(st.triple.object)))
    pointing.sort(key=lambda st: (st.triple.predicate.value, str(st.triple.subject)))
    return Description(node, about, more_about, pointing, more_pointing)


def _statements(store: ox.Store, provenance: Provenance, pattern: tuple, limit: int) -> tuple[list[Statement], bool]:
    out: list[Statement] = []
    for q in store.quads_for_pattern(*pattern, DEFAULT):
        if len(out) == limit:
            return out, True
        out.append(Statement(q.triple, provenance.of(q.triple)))
    return out, False
