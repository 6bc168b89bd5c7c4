"""Reason stage: the OWL 2 RL closure, computed fast, with owlrl as the reference.

``closure`` is what a build runs.  owlrl closes the schema alone (the logical
axioms of the ontology, a few hundred triples); the closed schema is compiled
into lookup tables; a semi-naive worklist then applies the OWL 2 RL instance
rules to every triple exactly once, over integer-encoded terms.  ``reference``
runs plain owlrl over everything (``KG_REASONER=owlrl``); tests prove the two
give the same triples.

Rules of the OWL 2 RL profile the worklist applies (their names in the
specification): cax-sco, cax-eqc1/2, prp-dom, prp-rng, prp-spo1, prp-eqp1/2,
prp-inv1/2, prp-symp, prp-trp, prp-spo2, prp-fp, prp-ifp, eq-sym, eq-trans,
eq-rep-s, eq-rep-o.  A schema that needs any other instance rule (class
expressions such as owl:intersectionOf or owl:someValuesFrom, owl:hasKey,
cardinalities) is refused with ``UnsupportedSchema``; the reference path
still handles it.

Neither path returns owlrl's noise (``is_noise``): triples with a literal as
subject (an RDF store cannot hold them), reflexive owl:sameAs, typing with
owl:Thing or rdfs:Resource, statements about the RDF, RDFS, OWL and XSD
vocabularies themselves, and schema tautologies (C subClassOf C or owl:Thing,
owl:Nothing subClassOf C, p subPropertyOf p, C equivalentClass C,
p equivalentProperty p, domains and ranges of owl:Thing).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

import owlrl
import pyoxigraph as ox
import rdflib

from .errors import InvalidInput
from .terms import (
    CHAIN,
    DOMAIN,
    EQ_CLASS,
    EQ_PROPERTY,
    FIRST,
    FUNCTIONAL,
    INVERSE,
    INVERSE_FUNCTIONAL,
    NOTHING,
    OWL,
    RANGE,
    RDF,
    RDFS,
    RESOURCE,
    REST,
    SAME_AS,
    SUB_CLASS,
    SUB_PROPERTY,
    SYMMETRIC,
    THING,
    TRANSITIVE,
    TYPE,
    XSD,
    rdflib_graph,
    to_oxigraph,
)

VOCABULARIES = (RDF, RDFS, OWL, XSD)


def _owl(*names: str) -> list[ox.NamedNode]:
    return [ox.NamedNode(OWL + n) for n in names]


# Predicates whose triples make up the schema that owlrl closes.
SCHEMA_PREDICATES = frozenset([
    SUB_CLASS, SUB_PROPERTY, DOMAIN, RANGE, EQ_CLASS, EQ_PROPERTY, INVERSE, CHAIN, FIRST, REST,
    *_owl("disjointWith", "members", "propertyDisjointWith", "intersectionOf", "unionOf", "complementOf",
          "oneOf", "onProperty", "someValuesFrom", "allValuesFrom", "hasValue", "hasKey", "maxCardinality",
          "maxQualifiedCardinality", "onClass"),
])
# Instance rules the worklist does not implement, by the schema predicate that calls for them.
UNSUPPORTED = dict(zip(
    _owl("intersectionOf", "unionOf", "someValuesFrom", "allValuesFrom", "hasValue", "hasKey", "oneOf",
         "maxCardinality", "maxQualifiedCardinality"),
    ["cls-int1/2", "cls-uni", "cls-svf1/2", "cls-avf", "cls-hv1/2", "prp-key", "cls-oo", "cls-maxc", "cls-maxqc"],
    strict=True))


class UnsupportedSchema(InvalidInput):
    """The schema uses a construct whose instance rule the fast path does not apply."""


# ---------------------------------------------------------------------------
# Noise
# ---------------------------------------------------------------------------

_TAUTOLOGY_OBJECTS = {SUB_CLASS: THING, DOMAIN: THING, RANGE: THING}
_REFLEXIVE = (SAME_AS, SUB_CLASS, SUB_PROPERTY, EQ_CLASS, EQ_PROPERTY)


def is_noise(s, p, o) -> bool:
    """True for a triple that is not served: see the module docstring for the list."""
    if isinstance(s, ox.Literal) or not isinstance(p, ox.NamedNode):
        return True
    if isinstance(s, ox.NamedNode) and s.value.startswith(VOCABULARIES):
        return True
    if p == TYPE:
        return o in (THING, RESOURCE)
    if s == o and p in _REFLEXIVE:
        return True
    if _TAUTOLOGY_OBJECTS.get(p) == o:
        return True
    return p == SUB_CLASS and s == NOTHING


# ---------------------------------------------------------------------------
# The reference: owlrl over everything
# ---------------------------------------------------------------------------

def _owlrl(graph: rdflib.Graph) -> None:
    # owlrl's literal handling rejects valid xsd:gMonth and xsd:gDay forms ("--02")
    # and rdflib logs each with a traceback; the triples are kept all the same.
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                               datatype_axioms=False).expand(graph)
    finally:
        logger.setLevel(level)


def _added(graph: rdflib.Graph, before: set) -> set[ox.Triple]:
    out = set()
    for s, p, o in graph:
        if (s, p, o) in before or isinstance(s, rdflib.Literal):
            continue
        s, p, o = to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)
        if not is_noise(s, p, o):
            out.add(ox.Triple(s, p, o))
    return out


def reference(asserted: Iterable[ox.Triple | ox.Quad]) -> set[ox.Triple]:
    """owlrl's OWL 2 RL closure of everything, minus the asserted triples and the noise."""
    graph = rdflib_graph(asserted)
    before = set(graph)
    _owlrl(graph)
    return _added(graph, before)


# ---------------------------------------------------------------------------
# The fast path
# ---------------------------------------------------------------------------

class _Schema:
    """Lookup tables compiled from the closed schema, keyed by integer term ids."""

    def __init__(self, closed: Iterable[tuple], ids: _Ids):
        by_p = defaultdict(list)
        for s, p, o in closed:
            by_p[p].append((s, o))
        self.sup_class = defaultdict(set)
        for s, o in by_p[SUB_CLASS] + by_p[EQ_CLASS] + [(o, s) for s, o in by_p[EQ_CLASS]]:
            if s != o and isinstance(o, ox.NamedNode) and o not in (THING, RESOURCE):
                self.sup_class[ids.of(s)].add(ids.of(o))
        self.sup_prop = defaultdict(set)
        for s, o in by_p[SUB_PROPERTY] + by_p[EQ_PROPERTY] + [(o, s) for s, o in by_p[EQ_PROPERTY]]:
            if s != o:
                self.sup_prop[ids.of(s)].add(ids.of(o))
        self.domain, self.range = defaultdict(set), defaultdict(set)
        for table, key in ((self.domain, DOMAIN), (self.range, RANGE)):
            for s, o in by_p[key]:
                if o not in (THING, RESOURCE):
                    table[ids.of(s)].add(ids.of(o))
        self.inverse = defaultdict(set)
        for s, o in by_p[INVERSE]:
            self.inverse[ids.of(s)].add(ids.of(o))
            self.inverse[ids.of(o)].add(ids.of(s))
        types = defaultdict(set)
        for s, o in by_p[TYPE]:
            types[o].add(ids.of(s))
        for p in types[SYMMETRIC]:
            self.inverse[p].add(p)
        self.transitive = types[TRANSITIVE]
        self.functional = types[FUNCTIONAL]
        self.inverse_functional = types[INVERSE_FUNCTIONAL]
        lists = {s: o for s, o in by_p[FIRST]}, {s: o for s, o in by_p[REST]}
        self.chains = defaultdict(list)  # property -> [(chain, position)]
        for p, head in by_p[CHAIN]:
            chain = []
            while head in lists[0]:
                chain.append(ids.of(lists[0][head]))
                head = lists[1].get(head)
            entry = (ids.of(p), tuple(chain))
            for i, step in enumerate(chain):
                self.chains[step].append((entry, i))
        for predicate, rule in UNSUPPORTED.items():
            if by_p[predicate]:
                s, o = by_p[predicate][0]
                raise UnsupportedSchema(
                    f"{s} {predicate} {o}: the fast reasoner does not apply {rule}; "
                    f"set KG_REASONER=owlrl to reason with owlrl")
        self.joined = self.transitive | self.functional | self.inverse_functional | set(self.chains)
        self.type, self.same_as = ids.of(TYPE), ids.of(SAME_AS)


class _Ids:
    """Integer ids for terms, so that the worklist hashes small ints."""

    def __init__(self):
        self.id_of: dict = {}
        self.terms: list = []
        self.literal: bytearray = bytearray()

    def of(self, term) -> int:
        i = self.id_of.get(term)
        if i is None:
            i = self.id_of[term] = len(self.terms)
            self.terms.append(term)
            self.literal.append(isinstance(term, ox.Literal))
        return i


class Closure:
    """The asserted triples by graph and the closure, as integer-encoded triples.

    ``inferred()`` gives the inferred triples (closure minus asserted minus
    noise) as pyoxigraph triples; ``nquads()`` writes the whole dataset to
    load: each source graph, the inferred graph, and the default graph as the
    set union of all of them (the asserted triples once each, then the
    inferred ones, which are disjoint from them).
    """

    def __init__(self, ids: _Ids, by_graph: dict, facts: set):
        self.ids, self.by_graph = ids, by_graph
        self.base = set().union(*by_graph.values()) if len(by_graph) > 1 else next(iter(by_graph.values()), set())
        noise = _NoiseFilter(ids)
        base = self.base
        self.inferred_ids = [t for t in facts if t not in base and not noise(t)]

    @classmethod
    def of(cls, asserted: Iterable[ox.Quad], inferred: Iterable[ox.Triple] = ()) -> Closure:
        """A closure from explicit triples (used for the owlrl reference)."""
        ids = _Ids()
        by_graph = _encode(asserted, ids)
        facts = {(ids.of(t.subject), ids.of(t.predicate), ids.of(t.object)) for t in inferred}
        return cls(ids, by_graph, facts | set().union(*by_graph.values()))

    def inferred(self) -> set[ox.Triple]:
        terms = self.ids.terms
        return {ox.Triple(terms[s], terms[p], terms[o]) for s, p, o in self.inferred_ids}

    def counts(self, inferred_graph: str) -> dict[str, int]:
        """Triples per graph name ('' for the default graph)."""
        counts = {g.value if isinstance(g, ox.NamedNode) else "": len(t) for g, t in self.by_graph.items()}
        counts[inferred_graph] = len(self.inferred_ids)
        counts[""] = len(self.base) + len(self.inferred_ids)
        return counts

    def nquads(self, inferred_graph: str, out) -> None:
        """Write the dataset to load, as N-Quads, to the binary file ``out``."""
        nt = [str(t) for t in self.ids.terms]
        batch = []
        def flush():
            out.write("".join(batch).encode("utf-8"))
            batch.clear()
        parts = [*self.by_graph.items(), (ox.NamedNode(inferred_graph), self.inferred_ids),
                 (None, self.base), (None, self.inferred_ids)]  # the union: base and inferred are disjoint
        for graph, triples in parts:
            suffix = f" {graph} .\n" if isinstance(graph, ox.NamedNode) else " .\n"
            for s, p, o in triples:
                batch.append(f"{nt[s]} {nt[p]} {nt[o]}{suffix}")
                if len(batch) >= 100_000:
                    flush()
        flush()


class _NoiseFilter:
    """``is_noise`` on integer-encoded triples, with per-term flags computed once."""

    def __init__(self, ids: _Ids):
        terms = ids.terms
        self.skip_subject = bytearray(
            isinstance(t, ox.Literal) or (isinstance(t, ox.NamedNode) and t.value.startswith(VOCABULARIES))
            for t in terms)
        get = ids.id_of.get
        self.type = get(TYPE)
        self.everything = {get(THING), get(RESOURCE)} - {None}
        self.reflexive = {get(p) for p in _REFLEXIVE} - {None}
        self.to_thing = {get(p) for p in _TAUTOLOGY_OBJECTS} - {None}
        self.sub_class, self.nothing = get(SUB_CLASS), get(NOTHING)

    def __call__(self, t) -> bool:
        s, p, o = t
        if self.skip_subject[s]:
            return True
        if p == self.type:
            return o in self.everything
        if s == o and p in self.reflexive:
            return True
        if p in self.to_thing and o in self.everything:
            return True
        return p == self.sub_class and s == self.nothing


def _encode(asserted: Iterable[ox.Triple | ox.Quad], ids: _Ids) -> dict:
    """Integer triples per graph name (None for triples without one)."""
    of = ids.of
    by_graph: dict = defaultdict(set)
    for t in asserted:
        graph = t.graph_name if isinstance(t, ox.Quad) else None
        by_graph[graph].add((of(t.subject), of(t.predicate), of(t.object)))
    return by_graph


def closure(asserted: Iterable[ox.Triple | ox.Quad]) -> Closure:
    """The OWL 2 RL closure of ``asserted`` by the fast path.

    Raises UnsupportedSchema when the schema calls for a rule the worklist does not apply.
    """
    ids = _Ids()
    by_graph = _encode(asserted, ids)
    terms = ids.terms
    schema_predicates = {i for i, term in enumerate(terms) if term in SCHEMA_PREDICATES}
    schema_classes = {i for i, term in enumerate(terms)
                      if isinstance(term, ox.NamedNode) and term.value.startswith((OWL, RDFS, RDF))}
    type_ = ids.of(TYPE)
    schema_triples = [ox.Triple(terms[s], terms[p], terms[o])
                      for triples in by_graph.values() for s, p, o in triples
                      if p in schema_predicates or (p == type_ and o in schema_classes)]
    graph = rdflib_graph(schema_triples)
    _owlrl(graph)
    of = ids.of
    closed = [(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph
              if not isinstance(s, rdflib.Literal)]
    schema = _Schema(closed, ids)
    work = [t for triples in by_graph.values() for t in triples]
    work.extend((of(s), of(p), of(o)) for s, p, o in closed)
    same_as = ids.of(SAME_AS)
    equal_terms = {x for triples in by_graph.values() for s, p, o in triples if p == same_as for x in (s, o)}
    facts = _Worklist(schema, ids, equal_terms).run(work)
    return Closure(ids, by_graph, facts)


def infer(asserted: Iterable[ox.Triple | ox.Quad]) -> set[ox.Triple]:
    """The inferred triples of the fast path: closure minus asserted minus noise."""
    return closure(asserted).inferred()


class _Worklist:
    """Semi-naive forward chaining: each triple is joined once with the facts before it."""

    def __init__(self, schema: _Schema, ids: _Ids, equal_terms: set[int]):
        self.schema, self.literal = schema, ids.literal
        self.facts: set[tuple[int, int, int]] = set()
        self.out = defaultdict(lambda: defaultdict(set))  # p -> s -> {o}, for joined properties
        self.into = defaultdict(lambda: defaultdict(set))  # p -> o -> {s}
        # Facts are indexed by subject and object only for the terms that take part
        # in owl:sameAs (the asserted ones, and any that prp-fp or prp-ifp add).
        self.equal = set(equal_terms)
        self.by_s = defaultdict(list)  # s -> [(p, o)]
        self.by_o = defaultdict(list)  # o -> [(s, p)]
        self.same = defaultdict(set)

    def run(self, work: list) -> set:
        sc = self.schema
        facts, literal = self.facts, self.literal
        TYPE_, SAME = sc.type, sc.same_as
        # Locals for the attributes read once per fact (the loop runs millions of times).
        add, push, pop = facts.add, work.append, work.pop
        equal, same = self.equal, self.same.get
        sup_class, sup_prop, domain = sc.sup_class.get, sc.sup_prop.get, sc.domain.get
        range_, inverse, joined = sc.range.get, sc.inverse.get, sc.joined
        while work:
            t = pop()
            if t in facts:
                continue
            add(t)
            s, p, o = t
            if s in equal or o in equal:
                self._index(t)
            if p == SAME:
                self._same_as(s, o, push)
                continue
            for s2 in same(s, ()):
                push((s2, p, o))
            if not literal[o]:
                for o2 in same(o, ()):
                    push((s, p, o2))
            if p == TYPE_:
                for c in sup_class(o, ()):
                    push((s, TYPE_, c))
                continue
            for q in sup_prop(p, ()):
                push((s, q, o))
            for c in domain(p, ()):
                push((s, TYPE_, c))
            if not literal[o]:
                for c in range_(p, ()):
                    push((o, TYPE_, c))
                for q in inverse(p, ()):
                    push((o, q, s))
            if p in joined:
                self._join(s, p, o, push)
        return facts

    def _join(self, s, p, o, push):
        sc, out, into = self.schema, self.out, self.into
        if p in sc.transitive:
            for z in tuple(out[p].get(o, ())):
                push((s, p, z))
            for x in tuple(into[p].get(s, ())):
                push((x, p, o))
        if p in sc.functional:
            for o2 in out[p].get(s, ()):
                if o2 != o:
                    push((o, sc.same_as, o2))
        if p in sc.inverse_functional:
            for s2 in into[p].get(o, ()):
                if s2 != s:
                    push((s, sc.same_as, s2))
        for (result, chain), i in sc.chains.get(p, ()):
            for start, end in self._chain_paths(chain, i, s, o):
                push((start, result, end))
        out[p][s].add(o)
        into[p][o].add(s)

    def _chain_paths(self, chain, i, s, o):
        """Pairs (x, z) linked by the whole chain through the step (s chain[i] o)."""
        starts = {s}
        for step in reversed(chain[:i]):
            starts = {x for y in starts for x in self.into[step].get(y, ())}
        ends = {o}
        for step in chain[i + 1:]:
            ends = {z for y in ends for z in self.out[step].get(y, ())}
        return [(x, z) for x in starts for z in ends]

    def _same_as(self, s, o, push):
        """eq-sym, eq-trans, eq-rep-s and eq-rep-o for a new (s owl:sameAs o)."""
        if s == o:
            return
        for term in (s, o):
            if term not in self.equal:
                self._start_indexing(term)
        push((o, self.schema.same_as, s))
        for x in tuple(self.same[s]):
            if x != o:
                push((x, self.schema.same_as, o))
        self.same[s].add(o)
        for p, obj in tuple(self.by_s.get(s, ())):
            push((o, p, obj))
        for subj, p in tuple(self.by_o.get(s, ())):
            push((subj, p, o))

    def _index(self, t):
        s, p, o = t
        if s in self.equal:
            self.by_s[s].append((p, o))
        if o in self.equal and not self.literal[o]:
            self.by_o[o].append((s, p))

    def _start_indexing(self, term):
        """Index the facts so far about a term that has just entered an owl:sameAs (one pass)."""
        self.equal.add(term)
        for s, p, o in self.facts:
            if s == term:
                self.by_s[term].append((p, o))
            if o == term and not self.literal[o]:
                self.by_o[term].append((s, p))
