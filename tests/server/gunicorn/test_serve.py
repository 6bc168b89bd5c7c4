"""``kg serve`` as real processes, where the process is the point: a query past its time ends its worker and
is answered meanwhile, connections stay open while nobody waits, bytes no client should send are answered,
a rebuilt or updated store is followed by every worker, and the metrics sum all workers."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse
from http.client import HTTPConnection, HTTPResponse

import pytest
from prometheus_client.parser import text_string_to_metric_families
from SPARQLWrapper import POST, SPARQLWrapper

ASK = "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"


def query_url(base: str, text: str, **params) -> str:
    return f"{base}/sparql?" + urllib.parse.urlencode({"query": text, **params})


def from_two_workers(server, fetch, target: str) -> list[tuple[int, bytes]]:
    """(status, body) of GET ``target`` answered by two different server processes: one is kept waiting
    for the rest of a half-sent request while another answers the same request, then the first answers too.
    The access log, which names the process of each answer, shows that they were two."""
    request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(server.address, timeout=30) as held:
        held.sendall(request[:10])
        time.sleep(0.3)  # taken by a server process, which now waits for the rest
        other = fetch("GET", server.url + target)
        held.sendall(request[10:])
        head, _, body = held.makefile("rb").read().partition(b"\r\n\r\n")
    path = urllib.parse.urlsplit(target).path
    answered = re.findall(rf"GET {re.escape(path)} \d+ \d+ms pid <(\d+)>", server.log())[-2:]
    assert len(set(answered)) == 2, f"one process answered both: {answered}"
    return [(int(head.split(b" ", 2)[1]), body), other[::2]]


def test_serve_builds_a_missing_store_first(served):
    """``kg serve`` in a project without a store builds it before serving."""
    assert (served.project / "var" / "store").is_symlink()
    assert "no store at var/store; building it first" in served.log()


def test_a_long_query_by_get_is_answered(served, fetch):
    """A GET whose query is longer than gunicorn's default request line (4 KB) is still answered."""
    status, _, body = fetch("GET", query_url(served.url, "ASK { ?s ?p ?o } #" + "x" * 6000))
    assert status == 200
    assert json.loads(body)["boolean"] is True


def test_a_query_past_its_time_ends_its_worker_while_others_are_served(serve, fetch):
    """A query past the time limit is answered 503 at the limit, in the shape the client asked for, and its
    server process ends and is replaced; a quick query from another client is answered meanwhile."""
    server = serve(query_timeout=2)
    workers = server.wait_for_workers(2)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    answers = {}
    thread = threading.Thread(target=lambda: answers.update(slow=fetch(
        "GET", query_url(server.url, slow), headers={"Accept": "application/json", "Origin": "https://a.org"})))
    started = time.monotonic()
    thread.start()
    time.sleep(0.3)
    quick = fetch("GET", query_url(server.url, "ASK { body:nasa a sc:SpaceAgency }"))
    quick_done = time.monotonic() - started
    thread.join()
    slow_done = time.monotonic() - started
    status, headers, body = answers["slow"]
    assert status == 503
    assert 2 <= slow_done < 3.5
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(body) == {"status": 503, "error": "Service Unavailable",
                                "message": "the query ran longer than 2 s and was stopped (KG_QUERY_TIMEOUT)"}
    assert quick[0] == 200
    assert quick_done < 2
    assert fetch("GET", query_url(server.url, "ASK { ?s ?p ?o }"))[0] == 200  # served on
    stats = json.loads(fetch("GET", server.url + "/-/stats")[2])
    assert stats["timeouts"] == 1
    assert stats["routes"]["/sparql"]["responses"]["5xx"] == 1
    assert "GET /sparql 503 " in server.log()
    assert "ran past KG_QUERY_TIMEOUT" in server.log()
    after = server.wait_for_workers(2, replacing=workers)  # gunicorn's master replaces the ended process
    assert len(after) == 2
    assert len(after & workers) == 1


def test_the_checks_reading_a_query_are_timed_too(serve, fetch):
    """A query that pyoxigraph reads for the SERVICE check (an odd 'service'), and whose reading is slow
    (an ASK over a cross product of VALUES, evaluated as it is read), is stopped at the time limit too."""
    server = serve(query_timeout=2)
    values = " ".join(f"VALUES ?{v} {{ {' '.join(map(str, range(100)))} }}" for v in "abcd")
    text = f"ASK {{ # a service\n {values} FILTER(?a + ?b + ?c + ?d < 0) }}"
    started = time.monotonic()
    status, _, body = fetch("POST", server.url + "/sparql", text.encode(), {"Content-Type": "application/sparql-query"})
    assert status == 503, body
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_larger_than_any_query_is_refused_unread(serve, fetch, chunked):
    """A form body longer than a query of KG_MAX_QUERY_BYTES can need, percent-encoded, is a 413 naming
    the setting, read no further: a Content-Length of 10 MB is refused before its bytes come, a chunked
    body once 3 x 2,000 + 64 KB are read; the server serves on."""
    server = serve(max_query_bytes=2000)
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    body = b"query=" + b"%41" * 30_000
    with socket.create_connection(server.address, timeout=10) as s:
        if chunked:
            s.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        else:
            s.sendall(head + b"Content-Length: 10000000\r\n\r\n" + body[:1000])  # the rest never comes
        answer = s.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"the request body is" in answer
    assert b"KG_MAX_QUERY_BYTES" in answer
    assert fetch("GET", query_url(server.url, "ASK {}"))[0] == 200


def ask(conn: HTTPConnection) -> HTTPResponse:
    """Send ASK {} on ``conn``; the response, read."""
    conn.request("GET", "/sparql?query=ASK%7B%7D")
    response = conn.getresponse()
    response.read()
    return response


def test_a_connection_stays_open_for_the_client_s_next_query(served):
    """After an answer the connection stays open (HTTP/1.1 keep-alive): the next query goes on it, unconnected."""
    conn = HTTPConnection(*served.address, timeout=10)
    first = ask(conn)
    sock = conn.sock
    assert first.status == 200
    assert first.getheader("Connection") == "keep-alive"
    assert ask(conn).status == 200
    assert conn.sock is sock
    conn.close()


def test_an_idle_connection_gives_way_to_a_new_client(served):
    """Connections idle between queries never keep a new client waiting: with both server processes holding
    one, a third client is answered at once (not after the 2 s keep-alive), and one idle connection is closed."""
    conns = [HTTPConnection(*served.address, timeout=10) for _ in range(3)]
    for conn in conns:
        started = time.monotonic()
        assert ask(conn).status == 200
        assert time.monotonic() - started < 1
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


def test_a_silent_connection_is_closed_after_the_keep_alive_time(served):
    """A connection with no next request is closed by the server after gunicorn's keep-alive time (2 s)."""
    conn = HTTPConnection(*served.address, timeout=10)
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
def test_malformed_requests_are_answered_and_the_server_survives(served, fetch, raw):
    """Bytes no client should send get a 4xx answer (or a closed connection), never a trace, and the server
    serves on."""
    with socket.create_connection(served.address, timeout=10) as s:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    if answer:
        assert 400 <= int(answer.split(b" ", 2)[1]) < 500, answer[:300]
        assert b"Traceback" not in answer
    assert fetch("GET", query_url(served.url, "ASK { ?s ?p ?o }"))[0] == 200
    assert "Traceback" not in served.log()


def test_stats_and_metrics_sum_every_worker(serve, fetch):
    """/-/stats and /-/metrics count the requests of all server processes, in the same figures."""
    server = serve()
    for _ in range(3):  # both server processes answer
        for status, _ in from_two_workers(server, fetch, ASK):
            assert status == 200
    assert fetch("GET", query_url(server.url, "SELEC"))[0] == 400
    sparql = json.loads(fetch("GET", server.url + "/-/stats")[2])["routes"]["/sparql"]
    assert sparql["requests"] == 7
    assert sparql["responses"] == {"2xx": 6, "3xx": 0, "4xx": 1, "5xx": 0}
    families = {f.name: f for f in text_string_to_metric_families(fetch("GET", server.url + "/-/metrics")[2].decode())}
    ok = [s.value for s in families["kg_http_responses"].samples
          if s.name == "kg_http_responses_total" and s.labels == {"route": "/sparql", "status": "2xx"}]
    assert ok == [6.0]


def test_every_worker_follows_a_rebuild(serve, fetch, run_kg):
    """After ``kg build`` swaps in a new store version, every worker answers from it."""
    server = serve()
    source = server.project / "data" / "msr-conferences" / "msr-2018-announcement.ttl"
    source.write_text(source.read_text(encoding="utf-8").replace('body:nasa skos:altLabel "NASA" .\n', ""),
                      encoding="utf-8")
    assert run_kg("build", "--store-dir", str(server.project / "var" / "store"), cwd=server.project).returncode == 0
    target = "/explain?" + urllib.parse.urlencode({"s": "body:nasa", "p": "skos:altLabel", "o": '"NASA"',
                                                   "format": "json"})
    for status, body in from_two_workers(server, fetch, target):
        assert status == 200
        assert {a["graph"].rsplit("/", 1)[1] for a in json.loads(body)["asserted_in"]} == \
            {"imewg-article", "isecg-about"}


def test_an_update_is_seen_by_every_worker_and_survives_a_restart(serve, fetch):
    """An update sent by SPARQLWrapper with the token is answered by every server process, and after a restart
    of the server on the same store."""
    token = "correct horse battery staple"
    server = serve(update_token=token)
    client = SPARQLWrapper(server.url + "/sparql", updateEndpoint=server.url + "/sparql")
    client.setMethod(POST)
    client.addCustomHttpHeader("Authorization", f"Bearer {token}")
    client.setQuery("PREFIX sc: <https://w3id.org/spacecoord/ontology#> "
                    "PREFIX body: <https://w3id.org/spacecoord/body/> "
                    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                    "INSERT DATA { GRAPH <https://w3id.org/spacecoord/graph/wikipedia-ilewg> { "
                    'body:test-agency a sc:SpaceAgency ; skos:prefLabel "Test Space Agency"@en } }')
    assert client.query().response.status == 200
    is_org = "/sparql?" + urllib.parse.urlencode({"query": "ASK { body:test-agency a org:Organization }"})
    for status, body in from_two_workers(server, fetch, is_org):
        assert status == 200
        assert json.loads(body)["boolean"] is True
    server.process.terminate()
    server.process.wait(30)
    again = serve(project=server.project)
    assert json.loads(fetch("GET", again.url + is_org)[2])["boolean"] is True
