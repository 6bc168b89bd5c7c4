"""SHACL shapes evaluated as SPARQL over the store, so that validation scales with the data.

pySHACL is the reference (tests run both and compare); it needs the data in
rdflib, which costs minutes at a million triples.  Here each constraint of
``ontology/shapes.ttl`` becomes one SELECT over the asserted graphs and the
ontology (not the inferred graph), with the class hierarchy followed through
``rdfs:subClassOf*`` as SHACL does.  Supported SHACL Core: sh:targetClass,
sh:targetObjectsOf, sh:nodeKind sh:IRI, sh:property with a predicate,
sh:inversePath or sh:alternativePath, sh:minCount, sh:maxCount, sh:datatype,
sh:or of datatypes, sh:class, sh:uniqueLang, sh:minInclusive, sh:message.
Anything else in a shape is refused by name rather than ignored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import InvalidInput
from .terms import EQ_CLASS, RDF, SH, SUB_CLASS, compact

SUPPORTED = {SH + n for n in ("targetClass", "targetObjectsOf", "nodeKind", "property", "path", "minCount",
                              "maxCount", "datatype", "or", "class", "uniqueLang", "minInclusive", "message",
                              "inversePath", "alternativePath")} | {RDF + "type", RDF + "first", RDF + "rest"}


class UnsupportedShape(InvalidInput):
    """A shape uses a SHACL feature this evaluator does not implement."""


@dataclass(frozen=True)
class Constraint:
    """One constraint as SPARQL, in two equivalent forms.

    ``query`` looks the values up focus node by focus node, in each graph;
    ``scan_query`` reads all the matches of each pattern in one scan and joins
    them by hash.  A lookup in the on-disk store costs the same again for each
    graph, so the first is the faster for a few focus nodes in a few graphs and
    the second otherwise (at a million triples, by seconds per constraint).
    """

    shape: str       # the node shape, as a prefixed name
    path: str        # the property path, as a prefixed name ('' for the node itself)
    message: str
    query: str       # SELECT ?focus [?value]
    scan_query: str  # the same rows
    target: str      # the focus nodes: a group graph pattern binding ?focus
    per_value: bool  # the rows bind ?value, the value at fault, as well as ?focus


def _describe(triples):
    out = defaultdict(lambda: defaultdict(list))
    for t in triples:
        out[t.subject][t.predicate.value].append(t.object)
    return out


def _list(d, head):
    items = []
    while head in d and d[head].get(RDF + "first"):
        items.append(d[head][RDF + "first"][0])
        head = d[head][RDF + "rest"][0]
    return items


def _path(d, node) -> tuple[str, str]:
    """The SPARQL property path of a SHACL path node, and a label for it."""
    if isinstance(node, ox.NamedNode):
        return f"<{node.value}>", compact(node.value)
    if d[node].get(SH + "inversePath"):
        inner, label = _path(d, d[node][SH + "inversePath"][0])
        return f"^{inner}", f"^{label}"
    if d[node].get(SH + "alternativePath"):
        parts = [_path(d, item) for item in _list(d, d[node][SH + "alternativePath"][0])]
        return "(" + "|".join(p for p, _ in parts) + ")", "(" + "|".join(label for _, label in parts) + ")"
    raise UnsupportedShape(f"unsupported sh:path {node}")


def subclasses(schema_triples) -> dict[str, set[str]]:
    """Each class IRI with itself and all its subclasses, from rdfs:subClassOf and owl:equivalentClass."""
    below = defaultdict(set)
    for t in schema_triples:
        p = t.predicate
        if isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode):
            if p == SUB_CLASS:
                below[t.object.value].add(t.subject.value)
            elif p == EQ_CLASS:
                below[t.object.value].add(t.subject.value)
                below[t.subject.value].add(t.object.value)
    closed = {}
    for c in list(below):
        seen, todo = {c}, [c]
        while todo:
            for sub in below.get(todo.pop(), ()):
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        closed[c] = seen
    return closed


def compile_shapes(triples, hierarchy: dict[str, set[str]] | None = None) -> list[Constraint]:
    """One SPARQL query per constraint of every node shape in ``triples``.

    ``hierarchy`` maps a class to itself and its subclasses (see ``subclasses``);
    instances of a class are the resources typed with any of them, as in SHACL.
    """
    return _Compiler(_describe(triples), hierarchy or {}).compile()


class _Compiler:
    def __init__(self, d, hierarchy):
        self.d, self.hierarchy = d, hierarchy

    def instances(self, var: str, cls: str) -> str:
        """A pattern binding ``var`` to the instances of ``cls``."""
        classes = " ".join(f"<{c}>" for c in sorted(self.hierarchy.get(cls, {cls})))
        return f"VALUES ?{var}_class {{ {classes} }} ?{var} a ?{var}_class ."

    def compile(self) -> list[Constraint]:
        d = self.d
        for subject, props in d.items():
            for p in props:
                if p.startswith(SH) and p not in SUPPORTED:
                    raise UnsupportedShape(f"{compact(p)} on {subject}: not supported by kg.shapes")
        constraints = []
        for shape, props in d.items():
            targets = [f"{{ {self.instances('focus', c.value)} }}" for c in props.get(SH + "targetClass", [])]
            targets += [f"{{ [] <{p.value}> ?focus }}" for p in props.get(SH + "targetObjectsOf", [])]
            if not targets:
                continue
            target = "{ SELECT DISTINCT ?focus WHERE { " + " UNION ".join(targets) + " } }"
            name = compact(shape.value) if isinstance(shape, ox.NamedNode) else str(shape)
            if any(k.value == SH + "IRI" for k in props.get(SH + "nodeKind", [])):
                query = f"SELECT ?focus WHERE {{ {target} FILTER(!isIRI(?focus)) }}"
                constraints.append(Constraint(name, "", "the node is not an IRI", query, query, target, False))
            for ps in props.get(SH + "property", []):
                constraints += self.property(name, target, d[ps])
        return constraints

    def property(self, shape, target, ps) -> list[Constraint]:
        d = self.d
        path, label = _path(d, ps[SH + "path"][0])
        given = ps.get(SH + "message")
        out = []

        def add(message, query, per_value=False):
            """``query(scan)`` gives the lookup form for False, the scan form for True."""
            out.append(Constraint(shape, label, given[0].value if given else message,
                                  query(False), query(True), target, per_value))

        def values(scan, var="?value"):
            pattern = f"?focus {path} {var}"
            return f"{{ SELECT ?focus {var} WHERE {{ {pattern} }} }}" if scan else f"{{ {pattern} }}"

        for n in ps.get(SH + "minCount", []):
            add(f"fewer than {n.value} values",
                lambda scan, n=n: f"SELECT ?focus WHERE {{ {target} OPTIONAL {values(scan)} }} "
                                  f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) < {n.value})")
        for n in ps.get(SH + "maxCount", []):
            add(f"more than {n.value} values",
                lambda scan, n=n: f"SELECT ?focus WHERE {{ {target} {values(scan)} }} "
                                  f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) > {n.value})")

        def each_value(message, condition):
            add(message, lambda scan: f"SELECT DISTINCT ?focus ?value WHERE {{ {target} {values(scan)} "
                                      f"{condition(scan)} }}", per_value=True)

        for message, allowed in self.datatypes(shape, ps):
            listed = ", ".join(f"<{a}>" for a in allowed)
            each_value(message, lambda scan, listed=listed: f"FILTER(!isLiteral(?value) || "
                                                            f"datatype(?value) NOT IN ({listed}))")
        for c in ps.get(SH + "class", []):
            instances = self.instances("value", c.value)
            each_value(f"a value is not an instance of {compact(c.value)}",
                       lambda scan, instances=instances: f"MINUS {{ SELECT ?value WHERE {{ {instances} }} }}"
                       if scan else f"FILTER NOT EXISTS {{ {instances} }}")
        if any(kind.value == SH + "IRI" for kind in ps.get(SH + "nodeKind", [])):
            each_value("a value is not an IRI", lambda scan: "FILTER(!isIRI(?value))")
        if any(v.value == "true" for v in ps.get(SH + "uniqueLang", [])):
            add("two values share a language tag",
                lambda scan: f"SELECT DISTINCT ?focus WHERE {{ {target} {values(scan)} {values(scan, '?other')} "
                             f"FILTER(?value != ?other && lang(?value) != \"\" && lang(?value) = lang(?other)) }}")
        for n in ps.get(SH + "minInclusive", []):
            each_value(f"a value is below {n.value}",
                       lambda scan, n=n: f"FILTER(isLiteral(?value) && ?value < {n.value})")
        return out

    def datatypes(self, shape, ps) -> list[tuple[str, list[str]]]:
        """(message, the datatypes allowed) for each sh:datatype and each sh:or of them of a property shape."""
        d = self.d
        out = [(f"a value is not of datatype {compact(dt.value)}", [dt.value]) for dt in ps.get(SH + "datatype", [])]
        for head in ps.get(SH + "or", []):
            alternatives = _list(d, head)
            if not all(d[alt].get(SH + "datatype") for alt in alternatives):
                raise UnsupportedShape(f"sh:or in {shape}: only alternatives of sh:datatype are supported")
            out.append(("a value is none of the allowed datatypes",
                        [d[alt][SH + "datatype"][0].value for alt in alternatives]))
        return out


SCAN_FROM = 500  # focus nodes times graphs from which a constraint is checked by scans (see Constraint)


def violations(store: ox.Store, constraints: list[Constraint], graphs: list) -> list[tuple[Constraint, object, object]]:
    """(constraint, focus node, offending value or None) for every violation, over ``graphs`` only.

    The focus nodes of each target are counted first: a shape without any is
    not checked (it cannot fail), one with many is checked by scans.  A lookup
    reads each of ``graphs`` in turn, so the graphs count as much as the nodes.
    """
    found = []
    focus_nodes = {}
    for c in constraints:
        if c.target not in focus_nodes:
            count = f"SELECT (COUNT(*) AS ?n) WHERE {{ {c.target} }}"
            focus_nodes[c.target] = int(next(store.query(count, default_graph=graphs))["n"].value)
        if not focus_nodes[c.target]:
            continue
        query = c.scan_query if focus_nodes[c.target] * len(graphs) >= SCAN_FROM else c.query
        for row in store.query(query, default_graph=graphs):
            found.append((c, row["focus"], row["value"] if c.per_value else None))
    return found
