"""Writes over HTTP with the update token, through the Flask test client: SPARQL Update and the Graph Store
Protocol's PUT, POST and DELETE change a source graph as ``kg update`` does; everything else is refused
and changes nothing."""

from __future__ import annotations

import json
import urllib.parse

import pytest

# Each write that gets past the checks of the request runs the update in a process of its own, as the server does.
applied = pytest.mark.process

G = "https://w3id.org/spacecoord/graph/wikipedia-ilewg"
NEW = f"""INSERT DATA {{ GRAPH <{G}> {{
    body:test-agency a sc:SpaceAgency ; skos:prefLabel "Test Space Agency"@en . }} }}"""
IS_ORG = "ASK { body:test-agency a org:Organization }"  # only by inference from sc:SpaceAgency
TOKEN = "correct horse battery staple"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def writable(make_app, store_copy):
    """A client of an app over a copy of the built store, with updates enabled by a token."""
    return make_app(store_dir=store_copy, update_token=TOKEN).test_client()


def ask(client, text: str) -> bool:
    return json.loads(client.get("/sparql", query_string={"query": text}).data)["boolean"]


def update(client, text: str, headers: dict | None = BEARER):
    return client.post("/sparql", data=text.encode(), content_type="application/sparql-update", headers=headers)


def store_write(client, method: str, graph: str, body: bytes = b"", ctype: str = "text/turtle",
                headers: dict | None = BEARER):
    return client.open("/store", method=method, query_string={"graph": graph}, data=body, content_type=ctype,
                       headers=headers)


def test_service_description_names_update_only_when_enabled(writable, client):
    """The service description lists SPARQL 1.1 Update as a language when updates are enabled, and not otherwise."""
    nt = {"Accept": "application/n-triples"}
    assert b"SPARQL11Update" in writable.get("/sparql", headers=nt).data
    assert b"SPARQL11Update" not in client.get("/sparql", headers=nt).data


@applied
def test_an_update_with_the_token_changes_a_source_graph(writable):
    """An update with the token inserts into a source graph, and the inferences follow."""
    response = update(writable, NEW)
    assert response.status_code == 200, response.data
    assert b"0 quads deleted, 2 inserted" in response.data
    assert ask(writable, IS_ORG)


@pytest.mark.parametrize("headers", [None, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_an_update_needs_the_token(writable, headers):
    """Without the token, or with a wrong one, an update gets 401 with a Bearer challenge and changes nothing."""
    response = update(writable, NEW, headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert b"KG_UPDATE_TOKEN" in response.data
    assert not ask(writable, IS_ORG)


@pytest.mark.parametrize("body, ctype, status, message", [
    pytest.param(b"INSERT DATA { body:x a sc:SpaceAgency }", "application/sparql-update", 400, b"derived",
                 marks=applied),
    (NEW.encode().replace(b"Test", b"T\xffst"), "application/sparql-update", 400, b"not UTF-8"),
    (urllib.parse.urlencode({"update": NEW, "using-graph-uri": G}).encode(), "application/x-www-form-urlencoded",
     400, b"using-graph-uri"),
])
def test_a_refused_update_says_why_and_changes_nothing(writable, body, ctype, status, message):
    """A refused update is answered with its status and reason, and says that nothing was changed."""
    response = writable.post("/sparql", data=body, content_type=ctype, headers=BEARER)
    assert response.status_code == status
    assert message in response.data
    assert not ask(writable, IS_ORG)


@applied
def test_an_update_that_fails_the_rules_says_nothing_was_changed(writable):
    """An update the derivation refuses (a schema the reasoner does not follow) is a 400 saying so."""
    response = update(writable, "INSERT DATA { GRAPH <https://w3id.org/spacecoord/graph/ontology> "
                                "{ sc:X owl:someValuesFrom sc:Y } }")
    assert response.status_code == 400
    assert b"someValuesFrom" in response.data
    assert response.data.endswith(b"; nothing was changed\n")


@applied
def test_load_is_refused_before_any_connection(writable, listener):
    """LOAD is refused with 403, whatever it names; the document is never fetched."""
    url = listener.url
    for text in (f"LOAD <{url}/data.ttl>", f"LOAD SILENT <{url}/data.ttl> INTO GRAPH <{G}>"):
        response = update(writable, text)
        assert response.status_code == 403
        assert b"LOAD is refused" in response.data
    assert listener.heard_nothing()


def test_an_update_calling_a_service_is_refused_with_the_token_too(writable, listener):
    """With the token, an update whose WHERE calls a SERVICE off the allow-list is refused (403) all the same,
    and nothing connects to that endpoint."""
    url = listener.url
    response = update(writable, f"INSERT {{ GRAPH <{G}> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{url}/x> {{ ?s ?p ?o }} }}")
    assert response.status_code == 403
    assert b"KG_SERVICE_ALLOW" in response.data
    assert listener.heard_nothing()


@applied
def test_graph_store_put_post_delete_with_the_token(writable):
    """With the token, PUT replaces a source graph, POST adds to it, each derived again; DELETE is checked too."""
    turtle = writable.get("/store", query_string={"graph": G}).data
    added = turtle + b"\n<https://w3id.org/spacecoord/body/test-agency> " \
                     b"a <https://w3id.org/spacecoord/ontology#SpaceAgency> ; " \
                     b'<http://www.w3.org/2004/02/skos/core#prefLabel> "Test Space Agency"@en .\n'
    response = store_write(writable, "PUT", G, added)
    assert response.status_code == 200, response.data
    assert b"2 inserted" in response.data
    assert ask(writable, IS_ORG)
    response = store_write(writable, "POST", G, b'<https://w3id.org/spacecoord/body/test-agency> '
                           b'<http://www.w3.org/2004/02/skos/core#altLabel> "TSA" .', "application/n-triples")
    assert response.status_code == 200
    assert b"1 inserted" in response.data
    response = store_write(writable, "PUT", G, turtle)  # back as it was
    assert b"3 quads deleted, 0 inserted" in response.data
    assert not ask(writable, IS_ORG)
    response = store_write(writable, "DELETE", G)  # other sources rely on its facts
    assert response.status_code == 400
    assert b"does not fit this shape" in response.data
    assert b"nothing was changed" in response.data
    assert writable.get("/store", query_string={"graph": G}).status_code == 200


@applied
def test_a_new_source_graph_is_described_then_written_then_dropped(writable):
    """A new graph is accepted once graph/metadata describes its source; POST creates it (201), DELETE drops it."""
    new = "https://w3id.org/spacecoord/graph/curation-test"
    agency = b'<https://w3id.org/spacecoord/body/t> a <https://w3id.org/spacecoord/ontology#SpaceAgency> ; ' \
             b'<http://www.w3.org/2004/02/skos/core#prefLabel> "T"@en .'
    response = store_write(writable, "POST", new, agency)
    assert response.status_code == 400
    assert b"not described in graph/metadata" in response.data
    response = update(writable, f"""INSERT DATA {{ GRAPH graph:metadata {{
        <{new}> a sc:SourceGraph ; prov:hadPrimarySource <https://example.org/doc> ;
            dcterms:source <https://example.org/doc> .
        <https://example.org/doc> a sc:SourceDocument ; dcterms:title "A test document"@en ;
            dcterms:publisher "Example" .
    }} }}""")
    assert response.status_code == 200, response.data
    assert store_write(writable, "POST", new, agency).status_code == 201
    assert ask(writable, "ASK { body:t a org:Organization }")
    response = store_write(writable, "DELETE", new)
    assert response.status_code == 200
    assert b"2 quads deleted" in response.data
    assert writable.get("/store", query_string={"graph": new}).status_code == 404


@applied
def test_graph_store_data_may_say_load(writable):
    """A graph written to /store is data: a literal with the word 'load' in it is written, not taken for a LOAD
    (which an update's own text may not contain)."""
    triple = b'<https://w3id.org/spacecoord/body/esa> <http://www.w3.org/2004/02/skos/core#altLabel> "Load test" .'
    response = store_write(writable, "POST", G, triple, "application/n-triples")
    assert response.status_code == 200, response.data
    assert b"1 inserted" in response.data
    response = update(writable, f'INSERT DATA {{ GRAPH <{G}> {{ body:esa skos:altLabel "Load" }} }}')
    assert response.status_code == 403
    assert b"LOAD is refused" in response.data


@pytest.mark.parametrize("method, graph, body, ctype, headers, status, message", [
    ("PUT", G, b"<a> <b> .", "text/turtle", BEARER, 400, b"body:1:"),
    ("PUT", G, b"<a> <b> <c> .", "text/csv", BEARER, 415, b"not an RDF graph format"),
    pytest.param("POST", "https://w3id.org/spacecoord/graph/inferred", b"<urn:a> <urn:b> <urn:c> .", "text/turtle",
                 BEARER, 400, b"derived", marks=applied),
    ("DELETE", "https://w3id.org/spacecoord/graph/none", b"", "text/turtle", BEARER, 404, b"not in the store"),
    ("PUT", G, b"", "text/turtle", None, 401, b"KG_UPDATE_TOKEN"),
])
def test_graph_store_write_errors(writable, method, graph, body, ctype, headers, status, message):
    """A write with a bad body, a wrong type, a derived or missing graph, or no token is refused, saying why."""
    response = store_write(writable, method, graph, body, ctype, headers)
    assert response.status_code == status
    assert message in response.data
