"""The SPARQL endpoint, over real HTTP, with SPARQLWrapper, rdflib's SPARQLStore, curl and raw requests."""

from __future__ import annotations

import csv
import gzip
import html
import io
import json
import re
import shutil
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPConnection, HTTPResponse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from prometheus_client.parser import text_string_to_metric_families
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from conftest import start_server
from server.examples import examples

AGENCIES = "SELECT ?a WHERE { ?a a sc:SpaceAgency } ORDER BY ?a"
SD = "http://www.w3.org/ns/sparql-service-description#"


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body bytes); error statuses are answers too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def query_url(base: str, query: str, **params) -> str:
    return f"{base}/sparql?" + urllib.parse.urlencode({"query": query, **params})


def address(base: str) -> tuple[str, int]:
    """(host, port) of a server's base URL, for a raw socket or http.client."""
    parts = urllib.parse.urlsplit(base)
    return parts.hostname, parts.port


def from_two_workers(base: str, target: str) -> list[tuple[int, bytes]]:
    """(status, body) of GET ``target`` answered by two different server processes: one is kept waiting
    for the rest of a half-sent request while another answers the same request, then the first answers too."""
    host, port = address(base)
    request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection((host, port), timeout=30) as held:
        held.sendall(request[:10])
        time.sleep(0.3)  # taken by a server process, which now waits for the rest
        other = http("GET", base + target)
        held.sendall(request[10:])
        head, _, body = held.makefile("rb").read().partition(b"\r\n\r\n")
    return [(int(head.split(b" ", 2)[1]), body), other[::2]]


def agencies_count(server) -> int:
    status, _, body = http("GET", query_url(server[0], "SELECT (COUNT(*) AS ?n) WHERE { ?a a sc:SpaceAgency }"))
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("fmt", [JSON, XML, CSV])
def test_sparqlwrapper_select_in_each_format(server, fmt):
    """SPARQLWrapper gets the same agencies as JSON, XML and CSV."""
    client = SPARQLWrapper(server[0] + "/sparql")
    client.setQuery("PREFIX sc: <https://w3id.org/spacecoord/ontology#> " + AGENCIES)
    client.setReturnFormat(fmt)
    result = client.query().convert()
    if fmt == JSON:
        rows = [b["a"]["value"] for b in result["results"]["bindings"]]
    elif fmt == XML:
        rows = [e.firstChild.data for e in result.getElementsByTagName("uri")]
    else:
        rows = [r[0] for r in list(csv.reader(io.StringIO(result.decode("utf-8"))))[1:]]
    assert len(rows) == agencies_count(server) > 10
    assert "https://w3id.org/spacecoord/body/nasa" in rows


def test_sparqlwrapper_construct_and_ask(server):
    """CONSTRUCT comes back as Turtle an RDF parser reads; ASK as a boolean."""
    client = SPARQLWrapper(server[0] + "/sparql")
    client.setQuery("CONSTRUCT WHERE { body:nasa skos:prefLabel ?l }")
    client.setReturnFormat(TURTLE)
    g = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(g) == 1
    client.setQuery("ASK { body:nasa org:memberOf body:imewg }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_rdflib_sparqlstore_reads_the_endpoint(server):
    """rdflib's SPARQLStore, a real third-party client, queries the endpoint (by POST form)."""
    store = SPARQLStore(server[0] + "/sparql", method="POST_FORM")
    rows = list(store.query("SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/spacecoord/body/nasa> ?p ?o } }"))
    graphs = {str(r[0]) for r in rows}
    assert "https://w3id.org/spacecoord/graph/imewg-article" in graphs
    assert "https://w3id.org/spacecoord/graph/inferred" in graphs


def test_three_ways_to_send_a_query_agree(server):
    """GET, POST form-encoded and POST application/sparql-query give the same answer."""
    url = server[0]
    get = http("GET", query_url(url, AGENCIES))[2]
    form = http("POST", url + "/sparql", urllib.parse.urlencode({"query": AGENCIES}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})[2]
    direct = http("POST", url + "/sparql", AGENCIES.encode(), {"Content-Type": "application/sparql-query"})[2]
    assert get == form == direct and len(json.loads(get)["results"]["bindings"]) > 10


def test_long_query_by_get_is_answered(server):
    """A GET whose query is longer than gunicorn's default request line (4 KB) is still answered."""
    status, _, body = http("GET", query_url(server[0], "ASK { ?s ?p ?o } #" + "x" * 6000))
    assert status == 200 and json.loads(body)["boolean"] is True


def test_dataset_parameters_choose_the_graphs(server):
    """default-graph-uri narrows the default graph to the named graphs given (asserted only, or inferred only)."""
    q = "ASK { body:nasa org:memberOf body:imewg }"
    inferred = "https://w3id.org/spacecoord/graph/inferred"
    article = "https://w3id.org/spacecoord/graph/imewg-article"
    ask = lambda **p: json.loads(http("GET", query_url(server[0], q, **p))[2])["boolean"]  # noqa: E731
    assert ask(**{"default-graph-uri": inferred}) is True
    assert ask(**{"default-graph-uri": article}) is False


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
def test_select_negotiation(server, accept, fmt, media):
    """SELECT results follow Accept (JSON by default and for */*) or the format parameter, with a charset."""
    params = {"format": fmt} if fmt else {}
    status, headers, _ = http("GET", query_url(server[0], AGENCIES, **params), headers={"Accept": accept} if accept else {})
    assert status == 200 and headers["Content-Type"] == f"{media}; charset=utf-8"


@pytest.mark.parametrize("accept, media, parse", [
    (None, "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/trig", "application/trig", ox.RdfFormat.TRIG),
    ("application/n-quads", "application/n-quads", ox.RdfFormat.N_QUADS),
])
def test_construct_and_describe_negotiation(server, accept, media, parse):
    """CONSTRUCT and DESCRIBE come in each RDF format, and parse back to the same triples."""
    for query in ("CONSTRUCT WHERE { body:nasa ?p ?o }", "DESCRIBE body:nasa"):
        status, headers, body = http("GET", query_url(server[0], query), headers={"Accept": accept} if accept else {})
        assert status == 200 and headers["Content-Type"] == f"{media}; charset=utf-8"
        assert len(list(ox.parse(body, format=parse))) == 19  # what the store says about NASA


def test_not_acceptable_names_the_formats(server):
    """An Accept no result format satisfies gets 406 listing what is acceptable."""
    status, _, body = http("GET", query_url(server[0], AGENCIES), headers={"Accept": "image/png"})
    assert status == 406 and b"application/sparql-results+json" in body and b"text/csv" in body
    status, _, body = http("GET", query_url(server[0], "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", format="csv"))
    assert status == 406 and b"text/turtle" in body


@pytest.mark.parametrize("method, path, body, ctype, status, message", [
    ("GET", "/sparql?query=SELECT+*+{}&query=ASK+{}", None, None, 400, b"'query' is given 2 times"),
    ("POST", "/sparql", b"", "application/x-www-form-urlencoded", 400, b"no 'query' or 'update'"),
    ("POST", "/sparql", b"ASK {}", "text/plain", 415, b"Content-Type text/plain is not one of"),
    ("PUT", "/sparql", b"ASK {}", "application/sparql-query", 405, b"not allowed"),
    ("GET", "/sparql?query=SELEC", None, None, 400, b"query: error at 1:"),
    ("GET", "/sparql?query=ASK+{}&format=png", None, None, 400, b"'png' is not one of"),
    ("GET", "/sparql?query=ASK+{}&default-graph-uri=not+an+iri", None, None, 400, b"is not an absolute IRI"),
    ("GET", "/sparql?update=CLEAR+ALL", None, None, 400, b"must be sent by POST"),
])
def test_protocol_errors(server, method, path, body, ctype, status, message):
    """Malformed requests get the status the SPARQL Protocol names and a plain message, never a trace."""
    got, _, text = http(method, server[0] + path, body, {"Content-Type": ctype} if ctype else {})
    assert got == status and message in text and b"Traceback" not in text


@pytest.mark.parametrize("body, ctype", [
    (b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", "application/sparql-update"),
    (urllib.parse.urlencode({"update": "CLEAR ALL"}).encode(), "application/x-www-form-urlencoded"),
    (urllib.parse.urlencode({"update": "LOAD <http://127.0.0.1:1/x>"}).encode(), "application/x-www-form-urlencoded"),
])
def test_updates_are_refused(server, body, ctype):
    """SPARQL Update is refused with 403 and changes nothing."""
    before = agencies_count(server)
    status, _, text = http("POST", server[0] + "/sparql", body, {"Content-Type": ctype})
    assert status == 403 and b"read-only" in text
    assert agencies_count(server) == before


def test_service_outside_the_allow_list_is_refused_before_any_connection(server):
    """A SERVICE to an endpoint not on the allow-list gets 403, and nothing connects to that endpoint."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        target = f"<http://127.0.0.1:{port}/sparql>"
        for query in (f"SELECT * WHERE {{ SERVICE {target} {{ ?s ?p ?o }} }}",
                      "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
                      f"SELECT * WHERE {{ BIND(1 AS ?x) .SERVICE {target} {{ ?s ?p ?o }} }}",  # glued to a dot
                      f"SELECT * WHERE {{ {{ BIND(1 AS ?x) }}SERVICE SILENT{target}{{ ?s ?p ?o }} }}",
                      f"PREFIX x: <http://127.0.0.1:{port}/> SELECT * WHERE {{ service x:sparql {{ ?s ?p ?o }} }}",
                      # an escaped # in a name or an IRI is not a comment: what follows it is still seen
                      f"SELECT * WHERE {{ ?s ?p wd:a\\#b . SERVICE {target} {{ ?s ?p ?o }} }}",
                      f"SELECT * WHERE {{ ?s ?p <http://e/\\u0041#f> . SERVICE {target} {{ ?s ?p ?o }} }}"):
            status, _, text = http("GET", query_url(server[0], query))
            assert status == 403 and b"KG_SERVICE_ALLOW" in text, query
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


def test_the_word_service_outside_a_service_call_is_an_ordinary_word(server):
    """A query with 'service' in a label, a variable or an IRI is answered, not refused as a SERVICE call."""
    query = ('SELECT ?service WHERE { VALUES ?service { "Wikidata Query Service" <http://e/service> } '
             "FILTER(CONTAINS(STR(?service), \"ervice\")) }")
    status, _, body = http("GET", query_url(server[0], query))
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 2


class _Remote(BaseHTTPRequestHandler):
    """A local stand-in for a remote SPARQL endpoint: /sparql answers one Wikidata-shaped row, /moved
    redirects to /internal, which records that it was reached; /slow answers after 8 s."""

    reached: list = []

    def do_GET(self):
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/internal")
            self.end_headers()
            return
        if self.path.startswith("/internal"):
            _Remote.reached.append(self.path)
        if self.path.startswith("/slow"):
            time.sleep(8)
        if self.path.startswith("/html"):  # not a SPARQL result
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"<html>")
            return
        body = json.dumps({"head": {"vars": ["item"]}, "results": {"bindings": [
            {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q23548"}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def federating_server(tmp_path_factory, server):
    """A server whose allow-list holds a local endpoint and a local endpoint that redirects elsewhere."""
    remote = ThreadingHTTPServer(("127.0.0.1", 0), _Remote)
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{remote.server_port}"
    project = tmp_path_factory.mktemp("federating")
    shutil.copytree(server[1] / "var", project / "var", symlinks=True)
    for url in start_server(project, service_allow=f"{base}/sparql {base}/moved {base}/html {base}/slow",
                            query_timeout=3):
        yield url, base, project
    remote.shutdown()


def test_service_on_the_allow_list_is_called(federating_server):
    """A SERVICE to an allowed endpoint is evaluated there and joined with the local graph."""
    url, remote, _ = federating_server
    query = f"""SELECT ?label WHERE {{ SERVICE <{remote}/sparql> {{ ?item ?p ?o }}
                                       ?agency skos:exactMatch ?item ; skos:prefLabel ?label }}"""
    status, _, body = http("GET", query_url(url, query))
    assert status == 200, body
    assert {b["label"]["value"] for b in json.loads(body)["results"]["bindings"]} >= {
        "National Aeronautics & Space Administration"}


def test_an_allowed_endpoint_cannot_redirect_the_server_elsewhere(federating_server):
    """An allowed endpoint that redirects is not followed: the query fails with 502 and the target is never reached."""
    url, remote, _ = federating_server
    status, _, body = http("GET", query_url(url, f"SELECT * WHERE {{ SERVICE <{remote}/moved> {{ ?s ?p ?o }} }}"))
    assert status == 502 and b"redirect" in body
    assert _Remote.reached == []


def test_a_bad_answer_from_an_allowed_endpoint_is_a_502_and_the_server_process_lives_on(federating_server):
    """An allowed endpoint answering something that is not SPARQL results gives 502; no server process ends."""
    url, remote, project = federating_server
    before = worker_pids(project)
    status, _, body = http("GET", query_url(url, f"SELECT * WHERE {{ SERVICE <{remote}/html> {{ ?s ?p ?o }} }}"))
    assert status == 502 and b"SERVICE call failed" in body
    assert worker_pids(project) == before and before


def running_workers(project, n: int, replacing: set[int] = frozenset()) -> set[int]:
    """The pids of the ``n`` running workers of the server in ``project``, once they have booted and one
    of ``replacing`` (if given) has been replaced (10 s at most)."""
    deadline = time.monotonic() + 10
    while (len(worker_pids(project)) < n or (replacing and worker_pids(project) >= replacing)) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    return worker_pids(project)


def test_a_query_waiting_on_a_slow_endpoint_is_stopped_at_the_time_limit(federating_server):
    """A SERVICE call that does not answer is stopped like any query: 503 at KG_QUERY_TIMEOUT (3 s here),
    not when the remote answers (8 s); the server serves on."""
    url, remote, project = federating_server
    started = time.monotonic()
    status, _, body = http("GET", query_url(url, f"SELECT * WHERE {{ SERVICE <{remote}/slow> {{ ?s ?p ?o }} }}"))
    assert status == 503 and b"longer than 3 s" in body and 3 <= time.monotonic() - started < 6
    assert http("GET", query_url(url, "ASK { ?s ?p ?o }"))[0] == 200


def worker_pids(project) -> set[int]:
    """The gunicorn workers of the server in ``project`` that are running (from its log; not zombies)."""
    pids = set()
    for pid in map(int, re.findall(r"Booting worker with pid: (\d+)", (project / "server.log").read_text())):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            continue
        if state != "Z":
            pids.add(pid)
    return pids


def test_service_description_lists_the_graphs_with_void_counts(server):
    """GET /sparql without a query returns the Service Description with each named graph and its size."""
    status, headers, body = http("GET", server[0] + "/sparql")
    assert status == 200 and headers["Content-Type"] == "text/turtle; charset=utf-8"
    g = rdflib.Graph().parse(data=body, format="turtle")
    endpoint = rdflib.URIRef(server[0] + "/sparql")
    assert (endpoint, rdflib.RDF.type, rdflib.URIRef(SD + "Service")) in g
    names = {str(o) for o in g.objects(None, rdflib.URIRef(SD + "name"))}
    assert {"https://w3id.org/spacecoord/graph/inferred", "https://w3id.org/spacecoord/graph/ontology",
            "https://w3id.org/spacecoord/graph/imewg-article"} <= names
    sizes = [int(o) for o in g.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#triples"))]
    assert len(sizes) == len(names) + 2 and min(sizes) > 0


def test_browser_gets_the_query_page(server):
    """A browser asking /sparql for HTML gets a query editor listing every example, and can open each one in it."""
    browser = {"Accept": "text/html,*/*;q=0.8"}
    status, headers, body = http("GET", server[0] + "/sparql", headers=browser)
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<textarea" in body
    assert len(examples()) >= 8 and examples()[0].text in html.unescape(body.decode("utf-8"))  # shown first
    for e in examples()[1:]:
        assert f'href="?example={e.name}"'.encode() in body
        page = html.unescape(http("GET", f"{server[0]}/sparql?example={e.name}", headers=browser)[2].decode("utf-8"))
        assert e.text in page and e.note in page
    status, _, body = http("GET", server[0] + "/sparql?example=nope", headers=browser)
    assert status == 404 and b"no example" in body


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_every_example_query_has_an_answer(server, example):
    """Each example of the query page runs on the project's graph and finds something."""
    status, _, body = http("POST", server[0] + "/sparql", example.text.encode(),
                           {"Content-Type": "application/sparql-query", "Accept": "application/n-triples, "
                            "application/sparql-results+json;q=0.9"})
    assert status == 200, body
    found = (json.loads(body)["results"]["bindings"] if body.startswith(b"{")
             else list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES)))
    assert found


@pytest.mark.parametrize("accept_encoding, gzipped", [
    ("gzip", True), ("br, GZIP;q=0.5", True), ("*", True),
    ("gzip;q=0", False), ("gzip;q=0, *", False), ("identity", False), ("deflate", False)])
def test_gzip_only_when_the_client_accepts_it(server, accept_encoding, gzipped):
    """A large answer is gzipped when Accept-Encoding allows gzip, by name or by *, and not when it refuses it
    or names only others."""
    status, got, body = http("GET", query_url(server[0], AGENCIES), headers={"Accept-Encoding": accept_encoding})
    assert status == 200 and len(body) > 1024 * (not gzipped)
    assert (got.get("Content-Encoding") == "gzip") == gzipped
    assert json.loads(gzip.decompress(body) if gzipped else body)["results"]["bindings"]


def test_head_gzip_and_cors(server):
    """HEAD has the GET's headers and no body; gzip is sent when asked; CORS lets browsers call the endpoint."""
    url = query_url(server[0], AGENCIES)
    status, headers, body = http("HEAD", url)
    assert status == 200 and body == b"" and headers["Content-Type"].startswith("application/sparql-results+json")
    status, headers, body = http("GET", url, headers={"Accept-Encoding": "gzip", "Origin": "https://example.org"})
    assert headers["Content-Encoding"] == "gzip" and headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(gzip.decompress(body))["results"]["bindings"]
    status, headers, _ = http("OPTIONS", server[0] + "/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert status == 200 and "POST" in headers["Access-Control-Allow-Methods"]
    assert "Authorization" in headers["Access-Control-Allow-Headers"]  # a browser may send the update token


@pytest.fixture(scope="module")
def strict_project(tmp_path_factory, server):
    """A copy of the served project's store, for the strict server."""
    project = tmp_path_factory.mktemp("strict")
    shutil.copytree(server[1] / "var", project / "var", symlinks=True)
    return project


@pytest.fixture(scope="module")
def strict_server(strict_project):
    """A second server on the same project with a 2 s timeout, 5 rows, 2,000-byte queries and
    1,000-byte results at most."""
    for url in start_server(strict_project, query_timeout=2, max_rows=5, max_query_bytes=2000,
                            max_response_bytes=1000, workers=2):
        yield url


def test_slow_query_is_stopped_with_503_while_others_are_served(strict_server, strict_project):
    """A query past the timeout is answered 503 at the limit, in the shape the client asked for, and its
    server process is replaced; a quick query from another client is answered meanwhile."""
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    workers = running_workers(strict_project, 2)
    answers = {}
    thread = threading.Thread(target=lambda: answers.update(slow=http(
        "GET", query_url(strict_server, slow), headers={"Accept": "application/json", "Origin": "https://a.org"})))
    started = time.monotonic()
    thread.start()
    time.sleep(0.3)
    quick = http("GET", query_url(strict_server, "ASK { body:nasa a sc:SpaceAgency }"))
    quick_done = time.monotonic() - started
    thread.join()
    slow_done = time.monotonic() - started
    status, headers, body = answers["slow"]
    assert status == 503 and 2 <= slow_done < 3.5 and headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(body) == {"status": 503, "error": "Service Unavailable",
                                "message": "the query ran longer than 2 s and was stopped (KG_QUERY_TIMEOUT)"}
    assert quick[0] == 200 and quick_done < 2
    assert http("GET", query_url(strict_server, "ASK { ?s ?p ?o }"))[0] == 200  # served on
    stats = json.loads(http("GET", strict_server + "/-/stats")[2])
    assert stats["timeouts"] == 1 and stats["routes"]["/sparql"]["responses"]["5xx"] == 1
    log = (strict_project / "server.log").read_text()
    assert "GET /sparql 503 " in log and "ran past KG_QUERY_TIMEOUT" in log
    after = running_workers(strict_project, 2, replacing=workers)  # gunicorn's master replaces the ended process
    assert len(after) == 2 and len(after & workers) == 1


def test_the_checks_reading_a_query_are_timed_too(strict_server):
    """A query that pyoxigraph reads for the SERVICE check (an odd 'service'), and whose reading is slow
    (an ASK over a cross product of VALUES, evaluated as it is read), is stopped at the time limit too."""
    values = " ".join(f"VALUES ?{v} {{ {' '.join(map(str, range(100)))} }}" for v in "abcd")
    query = f"ASK {{ # a service\n {values} FILTER(?a + ?b + ?c + ?d < 0) }}"
    started = time.monotonic()
    status, _, body = http("POST", strict_server + "/sparql", query.encode(),
                           {"Content-Type": "application/sparql-query"})
    assert status == 503 and time.monotonic() - started < 4, body


LONG = 'BIND ("' + "x" * 400 + '" AS ?a) BIND (CONCAT(?a, ?a) AS ?b) BIND (CONCAT(?b, ?b) AS ?c)'  # ?c: 1,600 bytes


@pytest.mark.parametrize("query, fmt, status, message", [
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
def test_limits_give_clear_errors(strict_server, query, fmt, status, message):
    """Row, result-size and query-length limits are settings; going past one gets a message naming it
    (a result past both, the row limit's), and a literal that looks like a row break in the written result
    does not count as a row."""
    got, _, body = http("POST", strict_server + "/sparql?format=" + fmt, query.encode(),
                        {"Content-Type": "application/sparql-query"})
    assert got == status and message in body, body


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_larger_than_any_query_is_refused_unread(strict_server, chunked):
    """A form body longer than a query of KG_MAX_QUERY_BYTES can need, percent-encoded, is a 413 naming
    the setting, read no further: a Content-Length of 10 MB is refused before its bytes come, a chunked
    body once 3 x 2,000 + 64 KB are read; the server serves on."""
    host, port = address(strict_server)
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    body = b"query=" + b"%41" * 30_000
    with socket.create_connection((host, port), timeout=10) as s:
        if chunked:
            s.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        else:
            s.sendall(head + b"Content-Length: 10000000\r\n\r\n" + body[:1000])  # the rest never comes
        answer = s.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 413") and b"the request body is" in answer and b"KG_MAX_QUERY_BYTES" in answer
    assert http("GET", query_url(strict_server, "ASK {}"))[0] == 200


def test_stats_count_every_worker_s_requests_errors_and_latency(server):
    """/-/stats sums the requests of all server processes by route and status class, with latency quantiles."""
    def sparql_figures():
        return json.loads(http("GET", server[0] + "/-/stats")[2])["routes"]["/sparql"]
    assert http("GET", query_url(server[0], "ASK { ?s ?p ?o }"))[0] == 200  # /sparql has figures, even run alone
    before = sparql_figures()
    for _ in range(3):  # both server processes answer
        for status, _ in from_two_workers(server[0], "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"):
            assert status == 200
    assert http("GET", query_url(server[0], "SELEC"))[0] == 400
    after = sparql_figures()
    assert after["requests"] - before["requests"] == 7
    assert after["responses"]["2xx"] - before["responses"]["2xx"] == 6
    assert after["responses"]["4xx"] - before["responses"]["4xx"] == 1
    latency = after["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] and latency["mean"] > 0


def test_metrics_are_prometheus_text(server):
    """/-/metrics parses with Prometheus' own client library and carries the same counts as /-/stats."""
    assert http("GET", query_url(server[0], "ASK { ?s ?p ?o }"))[0] == 200
    status, headers, body = http("GET", server[0] + "/-/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body.decode("utf-8"))}
    assert {"kg_http_responses", "kg_http_request_duration_seconds", "kg_timeouts"} <= set(families)
    ok = [s.value for s in families["kg_http_responses"].samples
          if s.labels == {"route": "/sparql", "status": "2xx"}]
    counts = [s.value for s in families["kg_http_request_duration_seconds"].samples
              if s.name.endswith("_count") and s.labels == {"route": "/sparql"}]
    assert ok and ok[0] >= 1 and counts and counts[0] >= ok[0]


@pytest.fixture(scope="module")
def asserted_server(tmp_path_factory, server):
    """A server on the same store whose default graph is what the sources state (KG_DEFAULT_GRAPH=asserted)."""
    project = tmp_path_factory.mktemp("asserted")
    shutil.copytree(server[1] / "var", project / "var", symlinks=True)
    for url in start_server(project, default_graph="asserted"):
        yield url


INFERRED_ONLY = "ASK { body:nasa org:memberOf body:imewg }"  # entailed, stated by no source


def test_default_graph_is_configurable(server, asserted_server):
    """With KG_DEFAULT_GRAPH=asserted, a query without GRAPH sees no inference, and the protocol,
    the graph store and the service description agree; GRAPH and default-graph-uri still reach the rest."""
    def ask(base, query, **params):
        return json.loads(http("GET", query_url(base, query, **params))[2])["boolean"]
    assert ask(server[0], INFERRED_ONLY) and not ask(asserted_server, INFERRED_ONLY)
    from_variable = "ASK { body:nasa org:memberOf ?from FILTER(?from = body:imewg) }"  # no FROM: the setting holds
    assert ask(server[0], from_variable) and not ask(asserted_server, from_variable)
    assert ask(asserted_server, "ASK { GRAPH graph:inferred { body:nasa org:memberOf body:imewg } }")
    assert ask(asserted_server, INFERRED_ONLY, **{"default-graph-uri": "https://w3id.org/spacecoord/graph/inferred"})
    assert ask(asserted_server, "ASK FROM graph:inferred { body:nasa org:memberOf body:imewg }")
    sd = http("GET", asserted_server + "/sparql", headers={"Accept": "application/n-triples"})[2]
    assert b"UnionDefaultGraph" not in sd
    assert b"UnionDefaultGraph" in http("GET", server[0] + "/sparql", headers={"Accept": "application/n-triples"})[2]
    def default_graph(base):
        nt = http("GET", base + "/store?default", headers={"Accept": "application/n-triples"})[2]
        return {q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)}
    member_of = ox.Triple(ox.NamedNode("https://w3id.org/spacecoord/body/nasa"),
                          ox.NamedNode("http://www.w3.org/ns/org#memberOf"),
                          ox.NamedNode("https://w3id.org/spacecoord/body/imewg"))
    assert member_of in default_graph(server[0]) and member_of not in default_graph(asserted_server)


def test_a_bad_default_graph_setting_stops_the_server_with_a_message(run_kg, tmp_path):
    """KG_DEFAULT_GRAPH must be 'union', 'asserted' or IRIs; anything else is a usage error naming the setting."""
    done = run_kg("serve", cwd=tmp_path, env={"KG_DEFAULT_GRAPH": "inferred graphs"})
    assert done.returncode == 2 and "KG_DEFAULT_GRAPH" in done.stderr


def ask(conn: HTTPConnection) -> HTTPResponse:
    """Send ASK {} on ``conn``; the response, read."""
    conn.request("GET", "/sparql?query=ASK%7B%7D")
    response = conn.getresponse()
    response.read()
    return response


def test_a_connection_stays_open_for_the_client_s_next_query(server):
    """After an answer the connection stays open (HTTP/1.1 keep-alive): the next query goes on it, unconnected."""
    host, port = address(server[0])
    conn = HTTPConnection(host, port, timeout=10)
    first = ask(conn)
    sock = conn.sock
    assert first.status == 200 and first.getheader("Connection") == "keep-alive" and sock is not None
    assert ask(conn).status == 200 and conn.sock is sock
    conn.close()


def test_an_idle_connection_gives_way_to_a_new_client(server):
    """Connections idle between queries never keep a new client waiting: with both server processes holding
    one, a third client is answered at once (not after the 2 s keep-alive), and one idle connection is closed."""
    host, port = address(server[0])
    conns = [HTTPConnection(host, port, timeout=10) for _ in range(3)]
    for conn in conns:
        started = time.monotonic()
        assert ask(conn).status == 200 and time.monotonic() - started < 1
    time.sleep(0.3)
    closed = 0
    for conn in conns[:2]:
        conn.sock.settimeout(0.2)
        try:
            closed += conn.sock.recv(1) == b""  # the server closed it
        except TimeoutError:
            pass  # still open
        conn.close()
    conns[2].close()
    assert closed >= 1


def test_a_silent_connection_is_closed_after_the_keep_alive_time(server):
    """A connection with no next request is closed by the server after gunicorn's keep-alive time (2 s)."""
    host, port = address(server[0])
    conn = HTTPConnection(host, port, timeout=10)
    assert ask(conn).status == 200
    started = time.monotonic()
    assert conn.sock.recv(1) == b""
    assert 1.5 < time.monotonic() - started < 4
    conn.close()


@pytest.mark.parametrize("raw", [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n",                   # a TLS hello
    b"GET /sparql?query=%FF%FE%00 HTTP/1.1\r\nHost: x\r\n\r\n",                                # bad UTF-8, NUL
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 16\r\n\r\nupdate=CLEAR+%FF",                                            # bad UTF-8 update
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc",                                             # bad UTF-8 body
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 9\r\n\r\nquery=%%%",                                                     # bad percent-encoding
    b"GET /sparql HTTP/1.1\r\nHost: x\r\nAccept: " + b"a/b;q=" * 2000 + b"\r\n\r\n",           # a huge Accept
    b"GET /store?graph=%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /resource?iri=%3C%3E HTTP/1.1\r\nHost: x\r\n\r\n",
    b"DELETE /-/stats HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_malformed_requests_are_answered_and_the_server_survives(server, raw):
    """Bytes no client should send get a 4xx answer (or a closed connection), never a trace, and the server serves on."""
    host, port = address(server[0])
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    if answer:
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500 and b"Traceback" not in answer, answer[:300]
    assert http("GET", query_url(server[0], "ASK { ?s ?p ?o }"))[0] == 200
    assert b"Traceback" not in (server[1] / "server.log").read_bytes()
