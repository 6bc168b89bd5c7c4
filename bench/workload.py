"""The analyst workload of bench/endpoint.py: eight kinds of query, their constants drawn from the graph.

Each kind is (Accept, query template); ``$name`` is replaced by a constant drawn
from the pool ``name``, which POOLS defines as a query over the store.
"""

from __future__ import annotations

import random
from string import Template

SELECT = "application/sparql-results+json"
GRAPH = "text/turtle"

# kind -> (Accept, query template); constants come from pools(), drawn per request
QUERIES = {
    "lookup by label": (SELECT, """
SELECT ?s ?type WHERE { ?s skos:prefLabel $label ; a ?type }"""),
    "members at a date": (SELECT, """
SELECT ?member ?label ?from ?to WHERE {
  ?m org:organization $body ; org:member ?member ; org:memberDuring ?period .
  ?member skos:prefLabel ?label .
  ?period time:hasBeginning/time:inXSDgYear ?from .
  OPTIONAL { ?period time:hasEnd/time:inXSDgYear ?to }
  FILTER (STR(?from) <= "$year" && (!BOUND(?to) || STR(?to) >= "$year"))
}"""),
    "successor chain": (SELECT, """
SELECT DISTINCT ?earlier ?label WHERE {
  $successor (sc:renamedFrom|sc:absorbed|sc:replaces|sc:reorganisedFrom|sc:tookOverRepresentationFrom)+ ?earlier .
  ?earlier skos:prefLabel ?label
}"""),
    "group by count": (SELECT, """
SELECT ?org (COUNT(DISTINCT ?member) AS ?members) WHERE {
  ?member sc:jurisdiction $country .
  ?m org:member ?member ; org:organization ?org .
} GROUP BY ?org"""),
    "label regex": (SELECT, """
SELECT ?s ?label WHERE { ?s a org:Organization ; skos:prefLabel ?label FILTER REGEX(?label, "^$prefix", "i") }"""),
    "having": (SELECT, """
SELECT ?org (COUNT(?m) AS ?n) WHERE { ?m org:organization ?org ; org:role $role }
GROUP BY ?org HAVING (COUNT(?m) >= $threshold)"""),
    "construct": (GRAPH, """
CONSTRUCT { ?member org:memberOf $body ; skos:prefLabel ?label } WHERE {
  ?m org:organization $body ; org:member ?member . ?member skos:prefLabel ?label
}"""),
    "describe": (GRAPH, """
DESCRIBE $resource"""),
}

POOLS = {  # pool -> query whose first column, in SPARQL syntax, is the pool
    "label": "SELECT DISTINCT ?x WHERE { ?s a org:Organization ; skos:prefLabel ?x }",
    "body": "SELECT DISTINCT ?x WHERE { ?m org:organization ?x }",
    "year": "SELECT DISTINCT ?x WHERE { ?i time:inXSDgYear ?x }",
    "successor": "SELECT DISTINCT ?x WHERE { ?x sc:succeeds ?y }",
    "country": "SELECT DISTINCT ?x WHERE { ?a sc:jurisdiction ?x . ?m org:member ?a }",
    "role": "SELECT DISTINCT ?x WHERE { ?m org:organization ?o ; org:role ?x }",
    "threshold": "SELECT (COUNT(?m) AS ?x) WHERE { ?m org:organization ?o } GROUP BY ?o",
    "resource": "SELECT DISTINCT ?x WHERE { ?x a org:Organization }",
}


def regex_prefix(label: str, rng: random.Random) -> str:
    """The start of a label's text, up to its first character that is not a letter, digit or
    space, cut by one to three more characters (at least three left)."""
    text = label[1:label.rindex('"')]
    plain = next((i for i, c in enumerate(text) if not (c.isalnum() or c == " ")), len(text))
    return text[:max(3, plain - rng.randint(1, 3))]


def workload(pools: dict, seed: int, count: int) -> list[tuple[str, str]]:
    """``count`` requests (kind, full query text), the kinds in turn, the constants drawn by ``seed``."""
    from kg.terms import sparql_prefixes

    rng = random.Random(seed)
    header = sparql_prefixes()
    kinds = list(QUERIES)
    out = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        values = {name: rng.choice(pool) for name, pool in pools.items() if pool}
        values["year"] = values["year"].strip('"').split('"')[0]
        values["threshold"] = values["threshold"].strip('"').split('"')[0]
        values["prefix"] = regex_prefix(values["label"], rng)
        out.append((kind, header + Template(QUERIES[kind][1]).substitute(values).strip() + "\n"))
    return out
