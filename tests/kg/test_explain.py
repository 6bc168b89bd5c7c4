"""Explanations: every inferred triple of the project derives from asserted ones by named OWL 2 RL rules."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from kg import reason
from kg.explain import RULES, Explainer, NotEntailed
from kg.load import load_graphs, parse_turtle
from kg.settings import CANONICAL_BASE
from kg.terms import graph_iri, parse_triple

INFERRED = graph_iri(CANONICAL_BASE, "inferred")
triple = parse_triple


def leaves(d):
    if d.asserted_in:
        yield d
    for p in d.premises:
        yield from leaves(p)


def rules(d):
    if d.rule:
        yield d.rule
    for p in d.premises:
        yield from rules(p)


def test_asserted_triple_names_its_graphs_and_sources(built_store):
    """An asserted triple is explained as asserted, with each graph and source document stating it."""
    d = Explainer(built_store, INFERRED).explain(triple("body:nasa a sc:SpaceAgency"))
    assert d.rule is None
    assert ("https://w3id.org/spacecoord/graph/imewg-article",
            "https://en.wikipedia.org/wiki/International_Mars_Exploration_Working_Group") in d.asserted_in
    assert any(g.endswith("/graph/isecg-about") for g, _ in d.asserted_in)


def test_membership_shortcut_is_derived_by_chain_and_inverse(built_store):
    """org:memberOf from an n-ary membership is explained through prp-spo1, prp-spo2 and prp-inv1."""
    d = Explainer(built_store, INFERRED).explain(triple("body:nasa org:memberOf body:imewg"))
    assert d.rule == "prp-spo1"
    assert {"prp-spo1", "prp-spo2", "prp-inv1"} <= set(rules(d))
    assert any(leaf.triple == triple("membership:imewg-nasa org:member body:nasa") for leaf in leaves(d))


def test_not_entailed_triple_says_so(built_store):
    """A triple that is neither asserted nor inferred is explained as not entailed, in one JSON shape."""
    t = triple("body:bnsc sc:replaces body:uksa")
    explanation = Explainer(built_store, INFERRED).explain(t)
    assert explanation == NotEntailed(t)
    assert explanation.as_json() == {"subject": "<https://w3id.org/spacecoord/body/bnsc>",
                                     "predicate": "<https://w3id.org/spacecoord/ontology#replaces>",
                                     "object": "<https://w3id.org/spacecoord/body/uksa>",
                                     "status": "not entailed", "message": "neither asserted nor inferred"}


def test_every_inferred_triple_has_a_derivation_down_to_asserted_triples(built_store):
    """Each triple of the inferred graph is explained by named rules whose leaves are asserted."""
    inferred = [q.triple for q in built_store.quads_for_pattern(None, None, None, INFERRED)]
    assert len(inferred) > 1000
    explainer = Explainer(built_store, INFERRED)
    for t in inferred:
        d = explainer.explain(t)
        assert d.rule in RULES, t
        assert all(leaf.asserted_in for leaf in leaves(d)), t


def test_cli_explains_as_text_and_json(built_project, run_kg):
    """``kg explain`` prints the tree, or JSON with status, rule and premises."""
    done = run_kg("explain", "body:uksa", "sc:replaces", "body:bnsc", cwd=built_project)
    assert done.returncode == 0, done.stderr
    assert "inferred by prp-spo2" in done.stdout
    assert "graph:wikipedia-bnsc (https://en.wikipedia.org/wiki/British_National_Space_Centre)" in done.stdout
    assert "(org:resultedFrom sc:replacedOrganisation)" in done.stdout
    data = json.loads(run_kg("explain", "--format", "json", "body:uksa", "sc:replaces", "body:bnsc",
                             cwd=built_project).stdout)
    assert data["status"] == "inferred"
    assert data["rule"] == "prp-spo2"
    assert len(data["premises"]) == 3


@pytest.mark.parametrize("args, code, message", [
    (("body:bnsc", "sc:replaces", "body:uksa"), 0, "not entailed: body:bnsc sc:replaces body:uksa"),
    (("body:bnsc", "nope:replaces", "body:uksa"), 1, "The prefix nope: has not been declared"),
])
def test_cli_not_entailed_and_bad_terms(built_project, run_kg, args, code, message):
    """A triple not entailed says so (exit 0); an unparsable term is invalid input (exit 1)."""
    done = run_kg("explain", *args, cwd=built_project)
    assert done.returncode == code
    assert message in (done.stdout + done.stderr)
    assert "Traceback" not in done.stderr


def test_equality_and_domain_range_derivations_on_a_small_graph(root, project_settings, tmp_path):
    """On a graph with owl:sameAs, every inferred triple is explained too, by eq-*, prp-dom, prp-rng and the rest."""
    g = ox.NamedNode("urn:test:data")
    quads = [ox.Quad(t.subject, t.predicate, t.object, g)
             for t in load_graphs(project_settings).triples_of("ontology")
             + parse_turtle(root / "tests" / "data" / "entailments.ttl")]
    closure = reason.closure(quads)
    with open(tmp_path / "all.nq", "wb") as f:
        closure.nquads(INFERRED.value, f)
    store = ox.Store()
    store.bulk_load(path=str(tmp_path / "all.nq"), format=ox.RdfFormat.N_QUADS)
    explainer = Explainer(store, INFERRED)
    used = set()
    for t in closure.inferred():
        d = explainer.explain(t)
        assert d.entailed, t
        assert all(leaf.asserted_in for leaf in leaves(d)), t
        used |= set(rules(d))
    assert {"eq-sym", "eq-rep-s", "prp-dom", "prp-rng", "prp-trp", "cax-sco"} <= used
