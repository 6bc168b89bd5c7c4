"""Third-party clients, used with their own defaults, against ``kg serve`` over real HTTP: SPARQLWrapper,
rdflib's SPARQLStore and graph parser, and curl."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import urllib.parse

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

AGENCIES = "PREFIX sc: <https://w3id.org/spacecoord/ontology#> SELECT ?a WHERE { ?a a sc:SpaceAgency } ORDER BY ?a"
INFERRED = "https://w3id.org/spacecoord/graph/inferred"


@pytest.fixture(scope="module")
def agencies(served, fetch) -> int:
    """How many space agencies the endpoint knows."""
    url = served.url + "/sparql?" + urllib.parse.urlencode(
        {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a a sc:SpaceAgency }"})
    return int(json.loads(fetch("GET", url)[2])["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("fmt", [JSON, XML, CSV])
def test_sparqlwrapper_select_in_each_format(served, agencies, fmt):
    """SPARQLWrapper gets the same agencies as JSON, XML and CSV."""
    client = SPARQLWrapper(served.url + "/sparql")
    client.setQuery(AGENCIES)
    client.setReturnFormat(fmt)
    result = client.query().convert()
    if fmt == JSON:
        rows = [b["a"]["value"] for b in result["results"]["bindings"]]
    elif fmt == XML:
        rows = [e.firstChild.data for e in result.getElementsByTagName("uri")]
    else:
        rows = [r[0] for r in list(csv.reader(io.StringIO(result.decode("utf-8"))))[1:]]
    assert len(rows) == agencies
    assert agencies > 10
    assert "https://w3id.org/spacecoord/body/nasa" in rows


def test_sparqlwrapper_construct_and_ask(served):
    """CONSTRUCT comes back as Turtle an RDF parser reads; ASK as a boolean."""
    client = SPARQLWrapper(served.url + "/sparql")
    client.setQuery("CONSTRUCT WHERE { body:nasa skos:prefLabel ?l }")
    client.setReturnFormat(TURTLE)
    assert len(rdflib.Graph().parse(data=client.query().convert(), format="turtle")) == 1
    client.setQuery("ASK { body:nasa org:memberOf body:imewg }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_rdflib_sparqlstore_reads_the_endpoint(served):
    """rdflib's SPARQLStore queries the endpoint (by POST form)."""
    store = SPARQLStore(served.url + "/sparql", method="POST_FORM")
    rows = list(store.query("SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/spacecoord/body/nasa> ?p ?o } }"))
    graphs = {str(r[0]) for r in rows}
    assert "https://w3id.org/spacecoord/graph/imewg-article" in graphs
    assert INFERRED in graphs


def test_rdflib_reads_a_graph_from_the_store(served, fetch):
    """rdflib loads a named graph straight from its /store URL, and gets every triple of it."""
    g = rdflib.Graph().parse(served.url + "/store?" + urllib.parse.urlencode({"graph": INFERRED}), format="turtle")
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH graph:inferred { ?s ?p ?o } }"
    n = json.loads(fetch("GET", served.url + "/sparql?" + urllib.parse.urlencode({"query": count}))[2])
    assert len(g) == int(n["results"]["bindings"][0]["n"]["value"])


def test_curl_gets_the_page_by_default_and_json_on_request(served):
    """curl's Accept */* gets the HTML page; -H 'Accept: application/json' gets JSON."""
    assert shutil.which("curl"), "curl, a client this test speaks for, is not installed (apt-get install curl)"
    triple = {"s": "body:nasa", "p": "org:memberOf", "o": "body:imewg"}
    target = served.url + "/explain?" + urllib.parse.urlencode(triple)
    page = subprocess.run(["curl", "-s", "-w", "\n%{content_type}", target], capture_output=True, text=True)
    assert page.stdout.endswith("text/html; charset=utf-8")
    assert "Why does this hold?" in page.stdout
    data = subprocess.run(["curl", "-s", "-H", "Accept: application/json", target], capture_output=True, text=True)
    assert json.loads(data.stdout)["status"] == "inferred"
