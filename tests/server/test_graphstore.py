"""The Graph Store Protocol's read side, /store, through the Flask test client: a graph, the default graph or the
whole dataset, streamed in each format, as SPARQL sees them."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg.build import build
from kg.settings import CANONICAL_BASE
from kg.store import StoreLayout
from kg.terms import graph_iri
from server import graphstore
from server.context import CurrentStore

ARTICLE = graph_iri(CANONICAL_BASE, "imewg-article").value
INFERRED = graph_iri(CANONICAL_BASE, "inferred").value


def count(client, pattern: str) -> int:
    """The number of solutions of ``pattern``, by the SPARQL endpoint."""
    response = client.get("/sparql", query_string={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"})
    return int(response.json["results"]["bindings"][0]["n"]["value"])


def test_named_graph_is_the_graph_sparql_sees(client):
    """A named graph read from /store is, triple for triple, what a SPARQL CONSTRUCT over that graph returns."""
    response = client.get("/store", query_string={"graph": ARTICLE})
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ARTICLE}> {{ ?s ?p ?o }} }}"
    expected = client.get("/sparql", query_string={"query": construct, "format": "ntriples"}).data
    got = rdflib.Graph().parse(data=response.data, format="turtle")
    assert len(got) > 100
    assert isomorphic(got, rdflib.Graph().parse(data=expected, format="nt"))


def test_prefixed_graph_name_is_the_full_iri(client):
    """graph=graph:imewg-article names the same graph as its full IRI, as terms do on the other pages."""
    assert client.get("/store?graph=graph:imewg-article").data == client.get(f"/store?graph={ARTICLE}").data


@pytest.mark.parametrize("accept, fmt, media, parse", [
    (None, None, "text/turtle", ox.RdfFormat.TURTLE),
    ("*/*", None, "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", None, "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", None, "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", None, "application/ld+json", ox.RdfFormat.JSON_LD),
    (None, "ntriples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    (None, "rdfxml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("text/turtle", "jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
])
def test_graph_formats(client, accept, fmt, media, parse):
    """A graph comes in each RDF graph format, by Accept or format=, with a charset, and parses to all its triples."""
    response = client.get("/store", query_string={"graph": INFERRED, **({"format": fmt} if fmt else {})},
                          headers={"Accept": accept} if accept else {})
    assert response.headers["Content-Type"] == f"{media}; charset=utf-8"
    assert "Accept" in response.headers["Vary"]
    assert len(list(ox.parse(response.data, format=parse))) == count(client, f"GRAPH <{INFERRED}> {{ ?s ?p ?o }}")


def test_default_graph_is_the_union(client):
    """?default returns the default graph: every distinct triple of the store once."""
    response = client.get("/store?default", headers={"Accept": "application/n-triples"})
    triples = set(ox.parse(response.data, format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) == count(client, "?s ?p ?o")
    assert len(triples) == count(client, "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")


@pytest.mark.parametrize("accept, fmt, media, parse", [
    (None, None, "application/trig", ox.RdfFormat.TRIG),
    ("application/n-quads", None, "application/n-quads", ox.RdfFormat.N_QUADS),
    (None, "nquads", "application/n-quads", ox.RdfFormat.N_QUADS),
])
def test_dataset_dump_has_every_quad(client, built_store, accept, fmt, media, parse):
    """/store with no graph is the whole dataset, named graphs and default graph, quad for quad."""
    response = client.get("/store", query_string={"format": fmt} if fmt else {},
                          headers={"Accept": accept} if accept else {})
    assert response.headers["Content-Type"] == f"{media}; charset=utf-8"
    quads = list(ox.parse(response.data, format=parse))
    assert len(set(quads)) == len(quads) == len(built_store)
    assert {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)} == \
        {g.value for g in built_store.named_graphs()}


def test_the_dump_is_streamed_and_gzipped_as_it_goes(client):
    """The dump is a stream with no Content-Length (it is never built whole), gzipped on request."""
    plain = client.get("/store?format=nquads", headers={"Accept-Encoding": "identity"})
    zipped = client.get("/store?format=nquads", headers={"Accept-Encoding": "gzip"})
    assert plain.is_streamed
    assert "Content-Length" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data


@pytest.mark.parametrize("params", [{"graph": ARTICLE}, {}])
def test_head_has_the_headers_of_get(client, params):
    """HEAD on a graph or the dataset answers GET's status and Content-Type, with no body."""
    head = client.head("/store", query_string=params)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Type"] == client.get("/store", query_string=params).headers["Content-Type"]


@pytest.mark.parametrize("query, status, message", [
    ("graph=x&default", 400, b"parameters 'graph' and 'default' exclude each other"),
    ("graph=" + ARTICLE + "&graph=" + INFERRED, 400, b"parameter 'graph' is given 2 times"),
    ("graph=", 400, b"parameter 'graph' is empty"),
    ("graph=not+an+iri", 400, b"parameter 'graph': 'not an iri' is not an absolute IRI"),
    ("graph=graph:a+b", 400, b"parameter 'graph': 'graph:a b' is not an absolute IRI or a prefixed name"),
    ("graph=nope:x", 404, b"graph <nope:x> is not in the store"),  # an absolute IRI of scheme nope:
    ("graph=https://w3id.org/spacecoord/graph/nope", 404,
     b"graph <https://w3id.org/spacecoord/graph/nope> is not in the store"),
    ("graph=graph:nope", 404, b"graph <https://w3id.org/spacecoord/graph/nope> is not in the store"),
    ("graph=%00", 400, b"parameter 'graph'"),
    ("format=png", 400, b"parameter 'format': 'png' is not one of"),
    ("format=ntriples", 406, b"acceptable media types: application/trig, application/n-quads"),
    ("default&format=trig", 406, b"acceptable media types: text/turtle, application/n-triples"),
])
def test_bad_requests_name_the_parameter(client, query, status, message):
    """A malformed request or an unknown graph gets 400, 404 or 406 and a plain message naming the parameter or
    graph."""
    response = client.get(f"/store?{query}")
    assert response.status_code == status
    assert message in response.data
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_not_acceptable_names_the_formats(client):
    """An Accept no format satisfies gets 406 listing the acceptable media types."""
    response = client.get("/store", query_string={"graph": ARTICLE}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert b"text/turtle" in response.data
    assert b"application/ld+json" in response.data


@pytest.mark.parametrize("method, status, message", [
    ("PUT", 403, b"this endpoint is read-only"),
    ("POST", 403, b"this endpoint is read-only"),
    ("DELETE", 403, b"this endpoint is read-only"),
    ("PATCH", 405, b"not allowed"),
])
def test_writes_are_refused_without_the_token(client, method, status, message):
    """Without KG_UPDATE_TOKEN, PUT, POST and DELETE are refused with 403 and change nothing; others get 405."""
    before = count(client, f"GRAPH <{ARTICLE}> {{ ?s ?p ?o }}")
    response = client.open("/store", method=method, query_string={"graph": ARTICLE},
                           data=b"<urn:a> <urn:b> <urn:c> .", content_type="application/n-triples")
    assert response.status_code == status
    assert message in response.data
    assert count(client, f"GRAPH <{ARTICLE}> {{ ?s ?p ?o }}") == before


def test_a_download_survives_new_builds(project_settings, store_copy, monkeypatch):
    """A download in progress reads on from its store version after two builds swap in others and remove it."""
    current = CurrentStore(project_settings.with_(store_dir=store_copy))
    old = current.open()
    old_version = store_copy.parent / StoreLayout(store_copy).current()
    monkeypatch.setattr(graphstore, "BATCH", 500)
    stream = graphstore.serialise(old, None, "nquads")
    first = next(stream)
    for _ in range(2):
        build(project_settings.with_(store_dir=store_copy))
    assert current.open() is not old
    assert not old_version.exists()
    quads = list(ox.parse(first + b"".join(stream), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == len(old) == len(current.open())
