"""The Graph Store Protocol's read side, /store, over real HTTP with urllib, http.client and rdflib."""

from __future__ import annotations

import gzip
import json
import shutil
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg.namespaces import graph_iri
from kg.settings import CANONICAL_BASE, Settings
from server import graphstore
from server.graph import Graph
from test_endpoint import http, query_url

ARTICLE = graph_iri(CANONICAL_BASE, "imewg-article").value
INFERRED = graph_iri(CANONICAL_BASE, "inferred").value


def store_url(base: str, **params) -> str:
    return f"{base}/store?" + urllib.parse.urlencode(params) if params else f"{base}/store"


def count(server, pattern: str) -> int:
    """The number of solutions of ``pattern``, by the SPARQL endpoint."""
    body = http("GET", query_url(server[0], f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"))[2]
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_named_graph_is_the_graph_sparql_sees(server):
    """A named graph read from /store is, triple for triple, what a SPARQL CONSTRUCT over that graph returns."""
    status, headers, body = http("GET", store_url(server[0], graph=ARTICLE))
    assert status == 200 and headers["Content-Type"] == "text/turtle; charset=utf-8"
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ARTICLE}> {{ ?s ?p ?o }} }}"
    expected = http("GET", query_url(server[0], construct, format="ntriples"))[2]
    got = rdflib.Graph().parse(data=body, format="turtle")
    assert len(got) > 100 and isomorphic(got, rdflib.Graph().parse(data=expected, format="nt"))


def test_rdflib_reads_a_graph_from_the_store(server):
    """rdflib loads a named graph straight from its /store URL, and gets every triple of it."""
    g = rdflib.Graph().parse(store_url(server[0], graph=INFERRED), format="turtle")
    assert len(g) == count(server, f"GRAPH <{INFERRED}> {{ ?s ?p ?o }}")


def test_prefixed_graph_name_is_the_full_iri(server):
    """graph=graph:imewg-article names the same graph as its full IRI, as terms do on the other pages."""
    assert http("GET", store_url(server[0], graph="graph:imewg-article"))[2] == \
        http("GET", store_url(server[0], graph=ARTICLE))[2]


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
def test_graph_formats(server, accept, fmt, media, parse):
    """A graph comes in each RDF graph format, by Accept or format=, with a charset, and parses to all its triples."""
    url = store_url(server[0], graph=INFERRED, **({"format": fmt} if fmt else {}))
    status, headers, body = http("GET", url, headers={"Accept": accept} if accept else {})
    assert status == 200 and headers["Content-Type"] == f"{media}; charset=utf-8"
    assert "Accept" in headers["Vary"]
    assert len(list(ox.parse(body, format=parse))) == count(server, f"GRAPH <{INFERRED}> {{ ?s ?p ?o }}")


def test_default_graph_is_the_union(server):
    """?default returns the default graph: every distinct triple of the store once."""
    status, _, body = http("GET", store_url(server[0], default=""), headers={"Accept": "application/n-triples"})
    triples = set(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    assert status == 200 and len(triples) == count(server, "?s ?p ?o")
    assert len(triples) == count(server, "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")


@pytest.mark.parametrize("accept, fmt, media, parse", [
    (None, None, "application/trig", ox.RdfFormat.TRIG),
    ("application/n-quads", None, "application/n-quads", ox.RdfFormat.N_QUADS),
    (None, "nquads", "application/n-quads", ox.RdfFormat.N_QUADS),
])
def test_dataset_dump_has_every_quad(server, accept, fmt, media, parse):
    """/store with no graph is the whole dataset, named graphs and default graph, quad for quad."""
    url = store_url(server[0], **({"format": fmt} if fmt else {}))
    status, headers, body = http("GET", url, headers={"Accept": accept} if accept else {})
    assert status == 200 and headers["Content-Type"] == f"{media}; charset=utf-8"
    quads = list(ox.parse(body, format=parse))
    store = ox.Store.read_only(str((server[1] / "var" / "store").resolve()))
    assert len(set(quads)) == len(quads) == len(store)
    assert {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)} == \
        {g.value for g in store.named_graphs()}


def test_dump_is_streamed_and_gzipped_as_it_goes(server):
    """The dump is sent chunked with no Content-Length (it is never built whole), and gzipped on request."""
    host = urllib.parse.urlsplit(server[0]).netloc
    bodies = {}
    for encoding in ("identity", "gzip"):
        connection = HTTPConnection(host, timeout=60)
        connection.request("GET", "/store?format=nquads", headers={"Accept-Encoding": encoding})
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("Content-Length") is None
        assert response.getheader("Transfer-Encoding") == "chunked"
        bodies[encoding] = (response.getheader("Content-Encoding"), response.read())
        connection.close()
    assert bodies["gzip"][0] == "gzip" and bodies["identity"][0] is None
    assert gzip.decompress(bodies["gzip"][1]) == bodies["identity"][1]


def test_head_has_the_headers_of_get(server):
    """HEAD on a graph or the dataset answers GET's status and Content-Type, with no body."""
    for params in ({"graph": ARTICLE}, {}):
        status, headers, body = http("HEAD", store_url(server[0], **params))
        assert status == 200 and body == b""
        assert headers["Content-Type"] == http("GET", store_url(server[0], **params))[1]["Content-Type"]


@pytest.mark.parametrize("query, status, message", [
    ("graph=x&default", 400, b"parameters 'graph' and 'default' exclude each other"),
    ("graph=" + ARTICLE + "&graph=" + INFERRED, 400, b"parameter 'graph' is given 2 times"),
    ("graph=", 400, b"parameter 'graph' is empty"),
    ("graph=not+an+iri", 400, b"parameter 'graph': 'not an iri' is not an absolute IRI"),
    ("graph=graph:a+b", 400, b"parameter 'graph': 'graph:a b' is not an absolute IRI or a prefixed name"),
    ("graph=nope:x", 404, b"graph <nope:x> is not in the store"),  # an absolute IRI of scheme nope:
    ("graph=https://w3id.org/spacecoord/graph/nope", 404, b"graph <https://w3id.org/spacecoord/graph/nope> is not in the store"),
    ("graph=graph:nope", 404, b"graph <https://w3id.org/spacecoord/graph/nope> is not in the store"),
    ("format=png", 400, b"parameter 'format': 'png' is not one of"),
    ("format=ntriples", 406, b"acceptable media types: application/trig, application/n-quads"),
    ("default&format=trig", 406, b"acceptable media types: text/turtle, application/n-triples"),
])
def test_bad_requests_name_the_parameter(server, query, status, message):
    """A malformed request or an unknown graph gets 400, 404 or 406 and a plain message naming the parameter or graph."""
    got, headers, body = http("GET", f"{server[0]}/store?{query}")
    assert got == status and message in body and b"Traceback" not in body
    assert headers["Content-Type"] == "text/plain; charset=utf-8"


def test_not_acceptable_names_the_formats(server):
    """An Accept no format satisfies gets 406 listing the acceptable media types."""
    status, _, body = http("GET", store_url(server[0], graph=ARTICLE), headers={"Accept": "image/png"})
    assert status == 406 and b"text/turtle" in body and b"application/ld+json" in body


@pytest.mark.parametrize("method, status, message", [
    ("PUT", 403, b"this endpoint is read-only"),
    ("POST", 403, b"this endpoint is read-only"),
    ("DELETE", 403, b"this endpoint is read-only"),
    ("PATCH", 405, b"not allowed"),
])
def test_writes_are_refused(server, method, status, message):
    """PUT, POST and DELETE are refused with 403 and change nothing; other methods get 405."""
    before = count(server, f"GRAPH <{ARTICLE}> {{ ?s ?p ?o }}")
    got, _, body = http(method, store_url(server[0], graph=ARTICLE), b"<urn:a> <urn:b> <urn:c> .",
                        {"Content-Type": "application/n-triples"})
    assert got == status and message in body
    assert count(server, f"GRAPH <{ARTICLE}> {{ ?s ?p ?o }}") == before


def test_service_description_names_the_dump(server):
    """The service description gives /store as the dataset's void:dataDump."""
    g = rdflib.Graph().parse(data=http("GET", server[0] + "/sparql")[2], format="turtle")
    dumps = set(g.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#dataDump")))
    assert dumps == {rdflib.URIRef(server[0] + "/store")}


def test_stream_survives_a_new_build(server, tmp_path, monkeypatch, run_kg):
    """A download in progress reads on from its store version after two builds swap in others and remove it."""
    project = tmp_path / "project"
    for folder in ("ontology", "data"):
        shutil.copytree(server[1] / folder, project / folder)
    shutil.copytree(server[1] / "var", project / "var", symlinks=True)
    g = Graph(Settings(store_dir=str(project / "var" / "store")))
    old = g.store
    old_version = Path(g._version)
    monkeypatch.setattr(graphstore, "BATCH", 500)
    stream = graphstore.serialise(old, None, "nquads")
    first = next(stream)
    for _ in range(2):
        done = run_kg("build", cwd=project)
        assert done.returncode == 0, done.stderr
    assert g.store is not old and not old_version.exists()
    quads = list(ox.parse(first + b"".join(stream), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == len(old) == len(g.store)
