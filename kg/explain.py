"""Explain a triple of the built store: asserted where, or derived how.

``explain`` searches backwards from an inferred triple for one instance of an
OWL 2 RL rule whose premises are all in the store, then explains each premise
the same way, down to asserted triples, which name their graph and source
document.  The rules are those the reasoner applies, by their names in the
OWL 2 profiles specification.  A triple that is not in the store is "not
entailed".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .describe import Provenance
from .errors import Bug
from .terms import (
    CHAIN,
    DOMAIN,
    EQ_CLASS,
    EQ_PROPERTY,
    FIRST,
    FUNCTIONAL,
    INVERSE,
    INVERSE_FUNCTIONAL,
    NIL,
    RANGE,
    REST,
    SAME_AS,
    SUB_CLASS,
    SUB_PROPERTY,
    SYMMETRIC,
    TRANSITIVE,
    TYPE,
    compact,
    show,
)

RULES = {
    "cax-sco": "instances of a class are instances of its superclasses",
    "cax-eqc1": "instances of a class are instances of an equivalent class",
    "cax-eqc2": "instances of a class are instances of an equivalent class",
    "prp-dom": "the subject of a property is an instance of its domain",
    "prp-rng": "the object of a property is an instance of its range",
    "prp-spo1": "a statement with a property holds for its super-properties",
    "prp-eqp1": "a statement with a property holds for equivalent properties",
    "prp-eqp2": "a statement with a property holds for equivalent properties",
    "prp-inv1": "a statement holds reversed for the inverse property",
    "prp-inv2": "a statement holds reversed for the inverse property",
    "prp-symp": "a symmetric property holds reversed",
    "prp-trp": "a transitive property chains",
    "prp-spo2": "a property chain yields its property",
    "prp-fp": "two values of a functional property are the same",
    "prp-ifp": "two subjects of an inverse-functional property are the same",
    "eq-sym": "sameness is symmetric",
    "eq-trans": "sameness is transitive",
    "eq-rep-s": "what holds of a resource holds of the same resource under another name",
    "eq-rep-o": "what holds of a resource holds of the same resource under another name",
    "scm-sco": "the subclass relation is transitive",
    "scm-eqc1": "equivalent classes are subclasses of each other",
    "scm-eqc2": "classes that are subclasses of each other are equivalent",
    "scm-spo": "the subproperty relation is transitive",
    "scm-eqp1": "equivalent properties are subproperties of each other",
    "scm-eqp2": "properties that are subproperties of each other are equivalent",
    "scm-dom1": "a domain extends to the domain's superclasses",
    "scm-dom2": "a property has the domains of its super-properties",
    "scm-rng1": "a range extends to the range's superclasses",
    "scm-rng2": "a property has the ranges of its super-properties",
}

DEFAULT = ox.DefaultGraph()
BUDGET = 20_000


class SearchExhausted(Bug):
    """A triple the store holds, for which the backward search found no derivation."""


def _terms(t: ox.Triple) -> dict:
    return {"subject": str(t.subject), "predicate": str(t.predicate), "object": str(t.object)}


@dataclass
class Derivation:
    """How a triple holds: asserted in some graphs, or by a rule from premises."""

    triple: ox.Triple
    rule: str | None = None
    premises: list[Derivation] = field(default_factory=list)
    asserted_in: list[tuple[str, str | None]] = field(default_factory=list)  # (graph, document)
    entailed = True

    def as_json(self) -> dict:
        out = _terms(self.triple)
        if self.asserted_in:
            out["status"] = "asserted"
            out["asserted_in"] = [{"graph": g, "source": d} for g, d in self.asserted_in]
        elif self.rule:
            out.update(status="inferred", rule=self.rule, rule_description=RULES.get(self.rule, ""),
                       premises=[p.as_json() for p in self.premises])
        return out

    def lines(self, show=show, indent: str = "") -> list[str]:
        """The derivation as an indented tree; ``show`` renders a term."""
        t = self.triple
        head = f"{indent}{show(t.subject)} {show(t.predicate)} {show(t.object)}"
        if self.asserted_in:
            where = "; ".join(f"{compact(g)}" + (f" ({d})" if d else "") for g, d in self.asserted_in)
            return [f"{head}", f"{indent}    asserted in {where}"]
        out = [head, f"{indent}    inferred by {self.rule} ({RULES.get(self.rule, '')}) from:"]
        for premise in self.premises:
            out += premise.lines(show, indent + "      ")
        return out


@dataclass
class NotEntailed:
    """A triple the store does not hold: neither asserted nor inferred."""

    triple: ox.Triple
    entailed = False

    def as_json(self) -> dict:
        return _terms(self.triple) | {"status": "not entailed", "message": "neither asserted nor inferred"}

    def lines(self, show=show) -> list[str]:
        t = self.triple
        return [f"not entailed: {show(t.subject)} {show(t.predicate)} {show(t.object)} "
                "is neither asserted nor inferred"]


class Explainer:
    """Backward search for derivations over a built store (default graph = the union)."""

    def __init__(self, store: ox.Store, inferred_graph: ox.NamedNode):
        self.store = store
        self.provenance = Provenance(store, inferred_graph)
        self.done: dict[ox.Triple, Derivation] = {}
        self.budget = BUDGET
        self.lists: dict = {}

    def show(self, term) -> str:
        """A term as a prefixed name; a property chain's list as its members in brackets."""
        if term in self.lists:
            return "(" + " ".join(show(t) for t in self.lists[term]) + ")"
        return show(term)

    def holds(self, s, p, o) -> bool:
        return any(True for _ in self.store.quads_for_pattern(s, p, o, DEFAULT))

    def objects(self, s, p):
        return [q.object for q in self.store.quads_for_pattern(s, p, None, DEFAULT)]

    def subjects(self, p, o):
        return [q.subject for q in self.store.quads_for_pattern(None, p, o, DEFAULT)]

    def explain(self, t: ox.Triple) -> Derivation | NotEntailed:
        """One derivation of ``t``, or NotEntailed if the store does not hold it.

        Raises SearchExhausted if the store holds ``t`` but the search gave up
        before finding a derivation.
        """
        if not self.holds(t.subject, t.predicate, t.object):
            return NotEntailed(t)
        derivation = self._derive(t, frozenset())
        if derivation is None:
            raise SearchExhausted(f"{t} is in the store, but no derivation was found "
                                  f"within {BUDGET} rule instances")
        return derivation

    def _derive(self, t: ox.Triple, visiting: frozenset) -> Derivation | None:
        if t in self.done:
            return self.done[t]
        where = self.provenance.of(t)
        if where:
            self.done[t] = Derivation(t, asserted_in=where)
            return self.done[t]
        if t in visiting or self.budget <= 0:
            return None
        visiting = visiting | {t}
        for rule, premises in self._candidates(t):
            self.budget -= 1
            if self.budget <= 0:
                return None
            steps = []
            for premise in premises:
                step = self._derive(premise, visiting)
                if step is None:
                    break
                steps.append(step)
            else:
                self.done[t] = Derivation(t, rule=rule, premises=steps)
                return self.done[t]
        return None

    def _candidates(self, t: ox.Triple):
        """Rule instances whose conclusion is ``t`` and whose premises are all in the store."""
        s, p, o = t.subject, t.predicate, t.object
        T = ox.Triple
        if p == TYPE:
            yield from self._type_candidates(s, o)
            yield from self._replacement_candidates(s, p, o)
            return
        yield from self._schema_candidates(s, p, o)
        for q in self.subjects(SUB_PROPERTY, p):
            if q != p and self.holds(s, q, o):
                yield "prp-spo1", [T(q, SUB_PROPERTY, p), T(s, q, o)]
        for q in self.objects(p, EQ_PROPERTY) + self.subjects(EQ_PROPERTY, p):
            if q != p and self.holds(s, q, o):
                rule = "prp-eqp1" if self.holds(q, EQ_PROPERTY, p) else "prp-eqp2"
                yield rule, [T(q, EQ_PROPERTY, p) if rule == "prp-eqp1" else T(p, EQ_PROPERTY, q), T(s, q, o)]
        if not isinstance(o, ox.Literal):
            for q in self.subjects(INVERSE, p):
                if self.holds(o, q, s):
                    yield "prp-inv1", [T(q, INVERSE, p), T(o, q, s)]
            for q in self.objects(p, INVERSE):
                if self.holds(o, q, s):
                    yield "prp-inv2", [T(p, INVERSE, q), T(o, q, s)]
            if self.holds(p, TYPE, SYMMETRIC) and self.holds(o, p, s):
                yield "prp-symp", [T(p, TYPE, SYMMETRIC), T(o, p, s)]
        if self.holds(p, TYPE, TRANSITIVE):
            for y in self.objects(s, p):
                if y != o and y != s and self.holds(y, p, o):
                    yield "prp-trp", [T(p, TYPE, TRANSITIVE), T(s, p, y), T(y, p, o)]
        for head in self.objects(p, CHAIN):
            chain = self.lists.setdefault(head, self._list(head))
            for path in self._chain_paths(s, chain, o):
                yield "prp-spo2", [T(p, CHAIN, head)] + path
        if p == SAME_AS:
            if self.holds(o, SAME_AS, s):
                yield "eq-sym", [T(o, SAME_AS, s)]
            for y in self.objects(s, SAME_AS):
                if y not in (s, o) and self.holds(y, SAME_AS, o):
                    yield "eq-trans", [T(s, SAME_AS, y), T(y, SAME_AS, o)]
            yield from self._key_candidates(s, o)
        yield from self._replacement_candidates(s, p, o)

    def _type_candidates(self, s, c):
        """Instances of the class rules and of prp-dom and prp-rng concluding (s rdf:type c)."""
        T = ox.Triple
        for sub in self.subjects(SUB_CLASS, c):
            if sub != c and self.holds(s, TYPE, sub):
                yield "cax-sco", [T(s, TYPE, sub), T(sub, SUB_CLASS, c)]
        for eq in self.objects(c, EQ_CLASS):
            if self.holds(s, TYPE, eq):
                yield "cax-eqc2", [T(s, TYPE, eq), T(c, EQ_CLASS, eq)]
        for eq in self.subjects(EQ_CLASS, c):
            if self.holds(s, TYPE, eq):
                yield "cax-eqc1", [T(s, TYPE, eq), T(eq, EQ_CLASS, c)]
        for q in self.subjects(DOMAIN, c):
            for q2 in self.store.quads_for_pattern(s, q, None, DEFAULT):
                yield "prp-dom", [T(q, DOMAIN, c), q2.triple]
                break
        for q in self.subjects(RANGE, c):
            for q2 in self.store.quads_for_pattern(None, q, s, DEFAULT):
                yield "prp-rng", [T(q, RANGE, c), q2.triple]
                break

    def _replacement_candidates(self, s, p, o):
        T = ox.Triple
        for x in self.subjects(SAME_AS, s):
            if x != s and self.holds(x, p, o):
                yield "eq-rep-s", [T(x, SAME_AS, s), T(x, p, o)]
        if not isinstance(o, ox.Literal):
            for x in self.subjects(SAME_AS, o):
                if x != o and self.holds(s, p, x):
                    yield "eq-rep-o", [T(x, SAME_AS, o), T(s, p, x)]

    def _key_candidates(self, a, b):
        T = ox.Triple
        for q in self.subjects(TYPE, FUNCTIONAL):
            for x in self.subjects(q, a):
                if self.holds(x, q, b):
                    yield "prp-fp", [T(q, TYPE, FUNCTIONAL), T(x, q, a), T(x, q, b)]
        for q in self.subjects(TYPE, INVERSE_FUNCTIONAL):
            for y in self.objects(a, q):
                if self.holds(b, q, y):
                    yield "prp-ifp", [T(q, TYPE, INVERSE_FUNCTIONAL), T(a, q, y), T(b, q, y)]

    def _schema_candidates(self, s, p, o):
        T = ox.Triple
        for sub, eq, by_eq, by_chain in ((SUB_CLASS, EQ_CLASS, "scm-eqc1", "scm-sco"),
                                         (SUB_PROPERTY, EQ_PROPERTY, "scm-eqp1", "scm-spo")):
            if p == sub:
                for a, b in ((s, o), (o, s)):
                    if self.holds(a, eq, b):
                        yield by_eq, [T(a, eq, b)]
                for c in self.objects(s, sub):
                    if c not in (s, o) and self.holds(c, sub, o):
                        yield by_chain, [T(s, sub, c), T(c, sub, o)]
            elif p == eq and self.holds(s, sub, o) and self.holds(o, sub, s):
                yield ("scm-eqc2" if eq == EQ_CLASS else "scm-eqp2"), [T(s, sub, o), T(o, sub, s)]
        if p in (DOMAIN, RANGE):
            one, two = ("scm-dom1", "scm-dom2") if p == DOMAIN else ("scm-rng1", "scm-rng2")
            for c in self.objects(s, p):
                if c != o and self.holds(c, SUB_CLASS, o):
                    yield one, [T(s, p, c), T(c, SUB_CLASS, o)]
            for q in self.objects(s, SUB_PROPERTY):
                if q != s and self.holds(q, p, o):
                    yield two, [T(q, p, o), T(s, SUB_PROPERTY, q)]

    def _list(self, head) -> list:
        items = []
        while head != NIL and len(items) < 20:
            first = self.objects(head, FIRST)
            rest = self.objects(head, REST)
            if not first or not rest:
                break
            items.append(first[0])
            head = rest[0]
        return items

    def _chain_paths(self, s, chain, o):
        """Premise lists (s p1 y1) (y1 p2 y2) ... (yn pn o) for the chain, depth first."""
        def walk(node, steps):
            if not steps:
                return
            p, rest = steps[0], steps[1:]
            for q in self.store.quads_for_pattern(node, p, None, DEFAULT):
                nxt = q.object
                if not rest:
                    if nxt == o:
                        yield [q.triple]
                    continue
                for tail in walk(nxt, rest):
                    yield [q.triple] + tail
        yield from walk(s, chain)
