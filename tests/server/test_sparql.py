"""The SPARQL endpoint by the SPARQL 1.1 Protocol, through the Flask test client: the ways to send a query,
negotiation, the protocol's errors, limits, SERVICE, the time limit, the service description and the
query page."""

from __future__ import annotations

import gzip
import html
import json
import time
import urllib.parse

import pyoxigraph as ox
import pytest
import rdflib

from server.examples import examples

AGENCIES = "SELECT ?a WHERE { ?a a sc:SpaceAgency } ORDER BY ?a"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORM = "application/x-www-form-urlencoded"


def query(client, text: str, headers: dict | None = None, **params):
    """GET /sparql?query=TEXT&PARAMS."""
    return client.get("/sparql", query_string={"query": text, **params}, headers=headers or {})


def bindings(response) -> list:
    return json.loads(response.data)["results"]["bindings"]


def test_three_ways_to_send_a_query_agree(client):
    """GET, POST form-encoded and POST application/sparql-query give the same answer."""
    get = query(client, AGENCIES)
    form = client.post("/sparql", data=urllib.parse.urlencode({"query": AGENCIES}), content_type=FORM)
    direct = client.post("/sparql", data=AGENCIES, content_type="application/sparql-query")
    assert get.data == form.data == direct.data
    assert len(bindings(get)) > 10


def test_dataset_parameters_choose_the_graphs(client):
    """default-graph-uri narrows the default graph to the named graphs given (asserted only, or inferred only)."""
    q = "ASK { body:nasa org:memberOf body:imewg }"
    inferred = "https://w3id.org/spacecoord/graph/inferred"
    article = "https://w3id.org/spacecoord/graph/imewg-article"
    assert json.loads(query(client, q, **{"default-graph-uri": inferred}).data)["boolean"] is True
    assert json.loads(query(client, q, **{"default-graph-uri": article}).data)["boolean"] is False


@pytest.mark.parametrize("accept, fmt, media", [
    (None, None, "application/sparql-results+json"),
    ("*/*", None, "application/sparql-results+json"),
    ("application/sparql-results+xml", None, "application/sparql-results+xml"),
    ("text/csv", None, "text/csv"),
    ("text/tab-separated-values", None, "text/tab-separated-values"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, "application/sparql-results+json"),
    (None, "xml", "application/sparql-results+xml"),
    (None, "tsv", "text/tab-separated-values"),
])
def test_select_negotiation(client, accept, fmt, media):
    """SELECT results follow Accept (JSON by default and for */*) or the format parameter, with a charset."""
    response = query(client, AGENCIES, {"Accept": accept} if accept else {}, **({"format": fmt} if fmt else {}))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{media}; charset=utf-8"


@pytest.mark.parametrize("accept, media, parse", [
    (None, "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/trig", "application/trig", ox.RdfFormat.TRIG),
    ("application/n-quads", "application/n-quads", ox.RdfFormat.N_QUADS),
])
@pytest.mark.parametrize("text", ["CONSTRUCT WHERE { body:nasa ?p ?o }", "DESCRIBE body:nasa"])
def test_construct_and_describe_negotiation(client, text, accept, media, parse):
    """CONSTRUCT and DESCRIBE come in each RDF format, and parse back to the same triples."""
    response = query(client, text, {"Accept": accept} if accept else {})
    assert response.headers["Content-Type"] == f"{media}; charset=utf-8"
    assert len(list(ox.parse(response.data, format=parse))) == 19  # what the store says about NASA


def test_not_acceptable_names_the_formats(client):
    """An Accept that no result format satisfies gets 406 listing what is acceptable for that kind of result."""
    response = query(client, AGENCIES, {"Accept": "image/png"})
    assert response.status_code == 406
    assert b"application/sparql-results+json" in response.data
    assert b"text/csv" in response.data
    response = query(client, "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", format="csv")
    assert response.status_code == 406
    assert b"text/turtle" in response.data


@pytest.mark.parametrize("method, path, body, ctype, status, message", [
    ("GET", "/sparql?query=SELECT+*+{}&query=ASK+{}", None, None, 400, b"'query' is given 2 times"),
    ("POST", "/sparql", b"", FORM, 400, b"no 'query' or 'update'"),
    ("POST", "/sparql", b"ASK {}", "text/plain", 415, b"Content-Type text/plain is not one of"),
    ("POST", "/sparql?query=ASK+{}", b"ASK {}", "application/sparql-query", 400, b"the operation is the body"),
    ("POST", "/sparql", b"query=ASK+{}&update=CLEAR+ALL", FORM, 400, b"a query or an update, not both"),
    ("PUT", "/sparql", b"ASK {}", "application/sparql-query", 405, b"not allowed"),
    ("GET", "/sparql?query=SELEC", None, None, 400, b"query: error at 1:"),
    ("GET", "/sparql?query=ASK+{}&format=png", None, None, 400, b"'png' is not one of"),
    ("GET", "/sparql?query=ASK+{}&default-graph-uri=not+an+iri", None, None, 400, b"is not an absolute IRI"),
    ("GET", "/sparql?update=CLEAR+ALL", None, None, 400, b"must be sent by POST"),
    ("GET", "/sparql?query=%FF", None, None, 400, b"the URL's query string is not UTF-8: byte 6"),
    ("POST", "/sparql", b"\xff\xfe", "application/sparql-query", 400, b"the body is not UTF-8: byte 0"),
])
def test_protocol_errors(client, method, path, body, ctype, status, message):
    """Malformed requests get the status the SPARQL Protocol names and a plain message, never a trace."""
    response = client.open(path, method=method, data=body, headers={"Content-Type": ctype} if ctype else {})
    assert response.status_code == status
    assert message in response.data
    assert b"Traceback" not in response.data


@pytest.mark.parametrize("body, ctype", [
    (b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", "application/sparql-update"),
    (urllib.parse.urlencode({"update": "CLEAR ALL"}).encode(), FORM),
    (urllib.parse.urlencode({"update": "LOAD <http://127.0.0.1:1/x>"}).encode(), FORM),
])
def test_updates_are_refused_without_the_token(client, body, ctype):
    """Without KG_UPDATE_TOKEN, SPARQL Update is refused with 403 and changes nothing."""
    before = bindings(query(client, AGENCIES))
    response = client.post("/sparql", data=body, content_type=ctype)
    assert response.status_code == 403
    assert b"read-only" in response.data
    assert bindings(query(client, AGENCIES)) == before


def test_service_outside_the_allow_list_is_refused_before_any_connection(client, listener):
    """A SERVICE to an endpoint not on the allow-list gets 403, and nothing connects to that endpoint."""
    url = listener.url
    target = f"<{url}/sparql>"
    for text in (f"SELECT * WHERE {{ SERVICE {target} {{ ?s ?p ?o }} }}",
                 "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
                 f"SELECT * WHERE {{ BIND(1 AS ?x) .SERVICE {target} {{ ?s ?p ?o }} }}",  # glued to a dot
                 f"SELECT * WHERE {{ {{ BIND(1 AS ?x) }}SERVICE SILENT{target}{{ ?s ?p ?o }} }}",
                 f"PREFIX x: <{url}/> SELECT * WHERE {{ service x:sparql {{ ?s ?p ?o }} }}",
                 # an escaped # in a name or an IRI is not a comment: what follows it is still seen
                 f"SELECT * WHERE {{ ?s ?p wd:a\\#b . SERVICE {target} {{ ?s ?p ?o }} }}",
                 f"SELECT * WHERE {{ ?s ?p <http://e/\\u0041#f> . SERVICE {target} {{ ?s ?p ?o }} }}"):
        response = query(client, text)
        assert response.status_code == 403, text
        assert b"KG_SERVICE_ALLOW" in response.data
    assert listener.heard_nothing()


def test_an_update_calling_a_service_is_refused_before_the_token_is_asked(client, listener):
    """An update whose WHERE calls a SERVICE off the allow-list is refused (403, naming the setting) whether or not
    writes are enabled, before anything else, and nothing connects to that endpoint."""
    url = listener.url
    update = f"INSERT {{ GRAPH <urn:g> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"
    response = client.post("/sparql", data=update, content_type="application/sparql-update")
    assert response.status_code == 403
    assert b"KG_SERVICE_ALLOW" in response.data
    assert listener.heard_nothing()


def test_a_service_is_refused_even_before_a_store_is_built(make_app, tmp_path, listener):
    """The SERVICE check comes first: with no store built yet, a query calling a forbidden endpoint is still a 403,
    not the 503 of a missing store, and the endpoint hears nothing."""
    url = listener.url
    client = make_app(store_dir=tmp_path / "nowhere").test_client()
    response = query(client, f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}")
    assert response.status_code == 403
    assert query(client, "ASK {}").status_code == 503
    assert listener.heard_nothing()


def test_the_word_service_outside_a_service_call_is_an_ordinary_word(client):
    """A query with 'service' in a label, a variable or an IRI is answered, not refused as a SERVICE call."""
    text = ('SELECT ?service WHERE { VALUES ?service { "Wikidata Query Service" <http://e/service> } '
            'FILTER(CONTAINS(STR(?service), "ervice")) }')
    response = query(client, text)
    assert response.status_code == 200
    assert len(bindings(response)) == 2


@pytest.fixture(scope="module")
def federating(make_app, remote):
    """A client of an app whose allow-list holds the stand-in endpoints, with a time limit of 1 s."""
    allowed = " ".join(f"{remote.url}/{path}" for path in ("sparql", "moved", "html", "slow"))
    return make_app(service_allow=tuple(allowed.split()), query_timeout=1.0).test_client()


def test_service_on_the_allow_list_is_called(federating, remote):
    """A SERVICE to an allowed endpoint is evaluated there and joined with the local graph."""
    text = f"""SELECT ?label WHERE {{ SERVICE <{remote.url}/sparql> {{ ?item ?p ?o }}
                                       ?agency skos:exactMatch ?item ; skos:prefLabel ?label }}"""
    response = query(federating, text)
    assert response.status_code == 200, response.data
    assert "National Aeronautics & Space Administration" in {b["label"]["value"] for b in bindings(response)}


def test_an_allowed_endpoint_cannot_redirect_the_server_elsewhere(federating, remote):
    """An allowed endpoint that redirects is not followed: the query fails with 502 and the target is never reached."""
    response = query(federating, f"SELECT * WHERE {{ SERVICE <{remote.url}/moved> {{ ?s ?p ?o }} }}")
    assert response.status_code == 502
    assert b"redirect" in response.data
    assert remote.reached == []


def test_a_bad_answer_from_an_allowed_endpoint_is_a_502(federating, remote):
    """An allowed endpoint answering something that is not SPARQL results gives 502, naming the SERVICE call."""
    response = query(federating, f"SELECT * WHERE {{ SERVICE <{remote.url}/html> {{ ?s ?p ?o }} }}")
    assert response.status_code == 502
    assert b"SERVICE call failed" in response.data


def test_a_query_past_the_time_limit_is_answered_503_at_the_limit(federating, remote):
    """A query still running at KG_QUERY_TIMEOUT (1 s here; the endpoint answers after 3 s) is answered 503 at
    the limit, in the error shape the client asked for, and counted; the app serves on."""
    started = time.monotonic()
    response = query(federating, f"SELECT * WHERE {{ SERVICE <{remote.url}/slow> {{ ?s ?p ?o }} }}",
                     {"Accept": "application/json"})
    assert 1 <= time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert response.json == {"status": 503, "error": "Service Unavailable",
                             "message": "the query ran longer than 1 s and was stopped (KG_QUERY_TIMEOUT)"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert federating.get("/-/stats").json["timeouts"] == 1
    assert query(federating, "ASK { ?s ?p ?o }").status_code == 200


def test_service_description_lists_the_graphs_with_void_counts(client):
    """GET /sparql without a query returns the Service Description with each named graph and its size."""
    response = client.get("/sparql")
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    g = rdflib.Graph().parse(data=response.data, format="turtle")
    endpoint = rdflib.URIRef("http://localhost/sparql")
    assert (endpoint, rdflib.RDF.type, rdflib.URIRef(SD + "Service")) in g
    names = {str(o) for o in g.objects(None, rdflib.URIRef(SD + "name"))}
    assert {"https://w3id.org/spacecoord/graph/inferred", "https://w3id.org/spacecoord/graph/ontology",
            "https://w3id.org/spacecoord/graph/imewg-article"} <= names
    sizes = [int(o) for o in g.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#triples"))]
    assert len(sizes) == len(names) + 2
    assert min(sizes) > 0


def test_service_description_names_the_dump(client):
    """The service description gives /store as the dataset's void:dataDump."""
    g = rdflib.Graph().parse(data=client.get("/sparql").data, format="turtle")
    dumps = set(g.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#dataDump")))
    assert dumps == {rdflib.URIRef("http://localhost/store")}


BROWSER = {"Accept": "text/html,*/*;q=0.8"}


def test_a_browser_gets_the_query_page_with_the_first_example(client):
    """A browser asking /sparql for HTML gets a query editor holding the first example and linking the others."""
    response = client.get("/sparql", headers=BROWSER)
    assert response.headers["Content-Type"].startswith("text/html")
    page = html.unescape(response.get_data(as_text=True))
    assert "<textarea" in page
    assert examples()[0].text in page
    for e in examples()[1:]:
        assert f'href="?example={e.name}"' in page


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_each_example_opens_in_the_query_page(client, example):
    """?example=NAME shows that example's query and note."""
    page = html.unescape(client.get(f"/sparql?example={example.name}", headers=BROWSER).get_data(as_text=True))
    assert example.text in page
    assert example.note in page


def test_an_unknown_example_is_404(client):
    """An example that does not exist is a 404 naming the parameter."""
    response = client.get("/sparql?example=nope", headers=BROWSER)
    assert response.status_code == 404
    assert b"no example" in response.data


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_every_example_query_has_an_answer(client, example):
    """Each example of the query page runs on the project's graph and finds something."""
    response = client.post("/sparql", data=example.text, content_type="application/sparql-query",
                           headers={"Accept": "application/n-triples, application/sparql-results+json;q=0.9"})
    assert response.status_code == 200, response.data
    found = (bindings(response) if response.data.startswith(b"{")
             else list(ox.parse(response.data, format=ox.RdfFormat.N_TRIPLES)))
    assert found


@pytest.mark.parametrize("accept_encoding, gzipped", [
    ("gzip", True), ("br, GZIP;q=0.5", True), ("*", True),
    ("gzip;q=0", False), ("gzip;q=0, *", False), ("identity", False), ("deflate", False)])
def test_gzip_only_when_the_client_accepts_it(client, accept_encoding, gzipped):
    """A large answer is gzipped when Accept-Encoding allows gzip, by name or by *, and not when it refuses it
    or names only others."""
    response = query(client, AGENCIES, {"Accept-Encoding": accept_encoding})
    assert (response.headers.get("Content-Encoding") == "gzip") is gzipped
    body = gzip.decompress(response.data) if gzipped else response.data
    assert len(body) > 1024
    assert json.loads(body)["results"]["bindings"]


def test_head_has_the_headers_of_get_and_no_body(client):
    """HEAD has the GET's status and Content-Type, and no body."""
    response = client.head("/sparql", query_string={"query": AGENCIES})
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")


def test_cors_lets_browsers_call_the_endpoint(client):
    """Every answer allows any origin; a preflight allows POST and the Authorization header (the update token)."""
    assert query(client, AGENCIES, {"Origin": "https://example.org"}).headers["Access-Control-Allow-Origin"] == "*"
    response = client.options("/sparql", headers={"Origin": "https://example.org",
                                                   "Access-Control-Request-Method": "POST"})
    assert response.status_code == 200
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


@pytest.fixture(scope="module")
def strict(make_app):
    """A client of an app with 5 rows, 2,000-byte queries and 1,000-byte results at most."""
    return make_app(max_rows=5, max_query_bytes=2000, max_response_bytes=1000).test_client()


LONG = 'BIND ("' + "x" * 400 + '" AS ?a) BIND (CONCAT(?a, ?a) AS ?b) BIND (CONCAT(?b, ?b) AS ?c)'  # ?c: 1,600 bytes


@pytest.mark.parametrize("text, fmt, status, message", [
    ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 6", "json", 400, b"more than 5 rows (KG_MAX_ROWS)"),
    ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 6", "csv", 400, b"more than 5 rows (KG_MAX_ROWS)"),
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "xml", 400, b"more than 5 rows (KG_MAX_ROWS)"),  # and 1,000 bytes
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "tsv", 400, b"more than 5 rows (KG_MAX_ROWS)"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "turtle", 400, b"more than 5 triples (KG_MAX_ROWS)"),
    ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 5", "json", 200, b"bindings"),
    ('SELECT ?x WHERE { VALUES ?x { "},{},{},{},{},{},{" } }', "json", 200, b'"value":"},{},{},{},{},{},{"'),
    ('SELECT ?x WHERE { VALUES ?x { "a\\nb\\nc\\nd\\ne\\nf\\ng" } }', "csv", 200, b'x\r\n"a\nb\nc\nd\ne\nf\ng"\r\n'),
    (f"SELECT ?c WHERE {{ {LONG} }}", "json", 400, b"more than 1000 bytes (KG_MAX_RESPONSE_BYTES)"),
    (f"CONSTRUCT {{ <urn:x> <urn:p> ?c }} WHERE {{ {LONG} }}", "turtle", 400, b"KG_MAX_RESPONSE_BYTES"),
    ("ASK {} #" + "x" * 2000, "json", 413, b"KG_MAX_QUERY_BYTES"),
])
def test_limits_give_clear_errors(strict, text, fmt, status, message):
    """Row, result-size and query-length limits are settings; going past one gets a message naming it
    (a result past both, the row limit's), and a literal that looks like a row break in the written result
    does not count as a row."""
    response = strict.post("/sparql?format=" + fmt, data=text, content_type="application/sparql-query")
    assert response.status_code == status, response.data
    assert message in response.data


def test_a_body_larger_than_any_query_is_refused(strict):
    """A form body longer than a query of KG_MAX_QUERY_BYTES can need, percent-encoded, is a 413 naming the setting."""
    response = strict.post("/sparql", data=b"query=" + b"%41" * 30_000, content_type=FORM)
    assert response.status_code == 413
    assert b"KG_MAX_QUERY_BYTES" in response.data


INFERRED_ONLY = "ASK { body:nasa org:memberOf body:imewg }"  # entailed, stated by no source


@pytest.fixture(scope="module")
def asserted(make_app):
    """A client of an app whose default graph is what the sources state (KG_DEFAULT_GRAPH=asserted)."""
    return make_app(default_graph="asserted").test_client()


def ask(client, text: str, **params) -> bool:
    return json.loads(query(client, text, **params).data)["boolean"]


def test_the_default_graph_is_the_union_by_default(client):
    """By default a query without GRAPH sees the inferences too."""
    assert ask(client, INFERRED_ONLY)
    assert b"UnionDefaultGraph" in client.get("/sparql", headers={"Accept": "application/n-triples"}).data


def test_the_default_graph_can_be_what_the_sources_state(asserted):
    """With KG_DEFAULT_GRAPH=asserted, a query without GRAPH sees no inference, even with a variable named
    ?from; GRAPH, default-graph-uri and FROM still reach the inferred graph; the service description agrees."""
    assert not ask(asserted, INFERRED_ONLY)
    assert not ask(asserted, "ASK { body:nasa org:memberOf ?from FILTER(?from = body:imewg) }")
    assert ask(asserted, "ASK { GRAPH graph:inferred { body:nasa org:memberOf body:imewg } }")
    assert ask(asserted, INFERRED_ONLY, **{"default-graph-uri": "https://w3id.org/spacecoord/graph/inferred"})
    assert ask(asserted, "ASK FROM graph:inferred { body:nasa org:memberOf body:imewg }")
    assert b"UnionDefaultGraph" not in asserted.get("/sparql", headers={"Accept": "application/n-triples"}).data


def test_the_store_s_default_graph_follows_the_setting(client, asserted):
    """/store?default is the default graph queries see: with the inferences by default, without for 'asserted'."""
    member_of = ox.Triple(ox.NamedNode("https://w3id.org/spacecoord/body/nasa"),
                          ox.NamedNode("http://www.w3.org/ns/org#memberOf"),
                          ox.NamedNode("https://w3id.org/spacecoord/body/imewg"))

    def default_graph(c) -> set:
        nt = c.get("/store?default", headers={"Accept": "application/n-triples"}).get_data()
        return {q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)}
    assert member_of in default_graph(client)
    assert member_of not in default_graph(asserted)
