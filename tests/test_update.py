"""Updates: `kg update` and SPARQL Update over HTTP with a token change the named graphs, re-derive,
survive a restart and a rebuild; everything else is refused and changes nothing."""

from __future__ import annotations

import json
import shutil
import socket
import urllib.parse

import pytest
from SPARQLWrapper import POST, SPARQLWrapper

from conftest import ROOT, start_server
from test_endpoint import from_two_workers, http, query_url

G = "https://w3id.org/spacecoord/graph/wikipedia-ilewg"
NEW = f"""INSERT DATA {{ GRAPH <{G}> {{
    body:test-agency a sc:SpaceAgency ; skos:prefLabel "Test Space Agency"@en . }} }}"""
IS_ORG = "ASK { body:test-agency a org:Organization }"  # only by inference from sc:SpaceAgency
TOKEN = "correct horse battery staple"


@pytest.fixture
def project(tmp_path, server):
    """A copy of the served project, store included, to change freely."""
    _, built = server
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copytree(built / "var", tmp_path / "var", symlinks=True)
    return tmp_path


def ask(run_kg, project, query: str) -> bool:
    done = run_kg("query", "--format", "json", query, cwd=project)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_kg_update_changes_a_source_graph_and_derives_again(run_kg, project):
    """kg update inserts into a source graph; the union and the inferences follow; the journal records it."""
    done = run_kg("update", NEW, cwd=project)
    assert done.returncode == 0, done.stderr
    assert "0 quads deleted, 2 inserted" in done.stdout
    assert ask(run_kg, project, IS_ORG)
    assert ask(run_kg, project, f"ASK {{ GRAPH <{G}> {{ body:test-agency a sc:SpaceAgency }} }}")
    assert "INSERT DATA" in (project / "var" / "store.updates.ru").read_text()


def test_an_update_survives_a_rebuild_through_the_journal(run_kg, project):
    """kg build replays the journal after the files, so an update is not lost by rebuilding; a delete too."""
    assert run_kg("update", NEW, cwd=project).returncode == 0
    assert run_kg("build", cwd=project).returncode == 0
    assert ask(run_kg, project, IS_ORG)
    done = run_kg("update", f"DELETE WHERE {{ GRAPH <{G}> {{ body:test-agency ?p ?o }} }}", cwd=project)
    assert done.returncode == 0 and "2 quads deleted" in done.stdout
    assert run_kg("build", cwd=project).returncode == 0
    assert not ask(run_kg, project, IS_ORG)


@pytest.mark.parametrize("update, message", [
    ("INSERT DATA { body:x a sc:SpaceAgency }", "changes the default graph, which is derived"),
    ("INSERT DATA { GRAPH graph:inferred { body:x a sc:SpaceAgency } }", "graph/inferred>, which is derived"),
    ("INSERT DATA { GRAPH graph:nowhere { body:x a sc:SpaceAgency } }",
     "graph <https://w3id.org/spacecoord/graph/nowhere> is not described in graph/metadata"),
    (f"INSERT DATA {{ GRAPH <{G}> {{ body:x a sc:SpaceAgency }} }}",  # no label: the shapes refuse it
     f"graph <{G}> (as updated)"),
    ("INSERT DATA { GRAPH graph:metadata { body:x a sc:SpaceAgency  }", "update: error at 1:"),
    (f"INSERT DATA {{ GRAPH <{G}> {{ body:x skos:note [ skos:prefLabel \"a note\"@en ] }} }}",
     "blank nodes, which the journal cannot name again"),
    (f"INSERT DATA {{ GRAPH <{G}> {{ body:x a sc:SpaceAgency }} }};LOAD <http://127.0.0.1:1/x>", "LOAD is refused"),
])
def test_a_refused_update_says_why_and_changes_nothing(run_kg, project, update, message):
    """An update that writes a derived graph, an undescribed graph, data that fails the shapes, or bad syntax
    exits 1 with the reason and leaves the store and the journal as they were."""
    store = (project / "var" / "store").resolve()
    done = run_kg("update", update, cwd=project)
    assert done.returncode == 1 and message in done.stderr and "nothing was changed" in done.stderr
    assert (project / "var" / "store").resolve() == store
    assert not (project / "var" / "store.updates.ru").exists()


def test_an_update_that_changes_nothing_makes_no_new_version(run_kg, project):
    """Deleting what is not there leaves the same store version and no journal entry."""
    store = (project / "var" / "store").resolve()
    done = run_kg("update", f"DELETE DATA {{ GRAPH <{G}> {{ body:nothing a sc:SpaceAgency }} }}", cwd=project)
    assert done.returncode == 0 and "changed nothing" in done.stdout
    assert (project / "var" / "store").resolve() == store
    assert not (project / "var" / "store.updates.ru").exists()


def test_an_update_the_journal_cannot_record_changes_nothing(run_kg, project):
    """If the journal cannot be written, the update fails and the store stays: no change the next build would lose."""
    store = (project / "var" / "store").resolve()
    (project / "var" / "store.updates.ru").mkdir()  # not writable as a file
    done = run_kg("update", NEW, cwd=project)
    assert done.returncode != 0
    assert (project / "var" / "store").resolve() == store
    assert not ask(run_kg, project, IS_ORG)


def test_the_journal_replays_escaped_literals_exactly(run_kg, project):
    """A literal with quotes, a backslash, a newline and non-ASCII text comes back identical after a rebuild."""
    literal = r'"He said \"ok\" \\ then\nleft: Ørsted, 東京"'  # as SPARQL writes it
    update = f"""INSERT DATA {{ GRAPH <{G}> {{ body:test-agency a sc:SpaceAgency ;
                 skos:prefLabel "Test Space Agency"@en ; skos:note {literal} }} }}"""
    assert run_kg("update", update, cwd=project).returncode == 0
    assert run_kg("build", cwd=project).returncode == 0
    done = run_kg("query", "--format", "json", "SELECT ?n WHERE { body:test-agency skos:note ?n }", cwd=project)
    assert [row["n"]["value"] for row in json.loads(done.stdout)["results"]["bindings"]] == ['He said "ok" \\ then\nleft: Ørsted, 東京']


@pytest.fixture
def writable(project):
    """A server with updates enabled by a token."""
    for url in start_server(project, update_token=TOKEN, workers=2):
        yield url


def update_request(url: str, text: str, token: str | None):
    headers = {"Content-Type": "application/sparql-update"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return http("POST", url + "/sparql", text.encode(), headers)


def test_service_description_names_update_only_when_enabled(writable, server):
    """The service description lists SPARQL 1.1 Update as a language when updates are enabled, and not otherwise."""
    update = b"SPARQL11Update"
    assert update in http("GET", writable + "/sparql", headers={"Accept": "application/n-triples"})[2]
    assert update not in http("GET", server[0] + "/sparql", headers={"Accept": "application/n-triples"})[2]


def test_http_update_needs_the_token(writable):
    """Without the token, or with a wrong one, an update gets 401 with a Bearer challenge and changes nothing."""
    for token in (None, "wrong"):
        status, headers, body = update_request(writable, NEW, token)
        assert status == 401 and headers["WWW-Authenticate"].lower().startswith("bearer")
        assert b"KG_UPDATE_TOKEN" in body
    assert b"false" in http("GET", query_url(writable, IS_ORG))[2]


def test_http_update_with_sparqlwrapper_is_seen_by_every_worker_and_survives_a_restart(writable, project):
    """An update sent by SPARQLWrapper with the token is answered by every server process, and after a restart."""
    client = SPARQLWrapper(writable + "/sparql", updateEndpoint=writable + "/sparql")
    client.setMethod(POST)
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    client.setQuery("PREFIX sc: <https://w3id.org/spacecoord/ontology#> "
                    "PREFIX body: <https://w3id.org/spacecoord/body/> "
                    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> " + NEW)
    assert client.query().response.status == 200
    for status, body in from_two_workers(writable, "/sparql?" + urllib.parse.urlencode({"query": IS_ORG})):
        assert status == 200 and json.loads(body)["boolean"] is True
    for url in start_server(project):  # the same store, served again
        assert json.loads(http("GET", query_url(url, IS_ORG))[2])["boolean"] is True


def test_http_update_errors_name_the_problem(writable):
    """A refused update over HTTP is a 400 with the reason; a LOAD is refused with 403 before any connection."""
    status, _, body = update_request(writable, "INSERT DATA { body:x a sc:SpaceAgency }", TOKEN)
    assert status == 400 and b"derived" in body and b"nothing was changed" in body
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/data.ttl"
        for text in (f"LOAD <{target}>", f"LOAD SILENT <{target}> INTO GRAPH <{G}>"):
            status, _, body = update_request(writable, text, TOKEN)
            assert status == 403 and b"LOAD is refused" in body
        with pytest.raises(socket.timeout):
            listener.accept()
    status, _, body = http("POST", writable + "/sparql", NEW.encode().replace(b"Test", b"T\xffst"),
                           {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and b"not UTF-8" in body
    form = urllib.parse.urlencode({"update": NEW, "using-graph-uri": G}).encode()
    status, _, body = http("POST", writable + "/sparql", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                                 "Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and b"using-graph-uri" in body


def store_write(url: str, method: str, graph: str, body: bytes = b"", ctype: str = "text/turtle",
                token: str | None = TOKEN):
    headers = {"Content-Type": ctype} | ({"Authorization": f"Bearer {token}"} if token else {})
    return http(method, f"{url}/store?" + urllib.parse.urlencode({"graph": graph}), body, headers)


def test_graph_store_put_post_delete_with_the_token(writable):
    """With the token, PUT replaces a source graph, POST adds to it and DELETE drops it, each derived again."""
    status, _, turtle = http("GET", f"{writable}/store?" + urllib.parse.urlencode({"graph": G}))
    assert status == 200
    added = turtle + b'\n<https://w3id.org/spacecoord/body/test-agency> a <https://w3id.org/spacecoord/ontology#SpaceAgency> ;' \
                     b' <http://www.w3.org/2004/02/skos/core#prefLabel> "Test Space Agency"@en .\n'
    status, _, body = store_write(writable, "PUT", G, added)
    assert status == 200 and b"2 inserted" in body, body
    assert json.loads(http("GET", query_url(writable, IS_ORG))[2])["boolean"] is True
    status, _, body = store_write(writable, "POST", G, b'<https://w3id.org/spacecoord/body/test-agency> '
                                  b'<http://www.w3.org/2004/02/skos/core#altLabel> "TSA" .', "application/n-triples")
    assert status == 200 and b"1 inserted" in body
    status, _, body = store_write(writable, "PUT", G, turtle)  # back as it was
    assert status == 200 and b"3 quads deleted, 0 inserted" in body
    assert json.loads(http("GET", query_url(writable, IS_ORG))[2])["boolean"] is False
    status, _, body = store_write(writable, "DELETE", G)  # other sources rely on its facts
    assert status == 400 and b"does not fit this shape" in body and b"nothing was changed" in body
    assert http("GET", f"{writable}/store?" + urllib.parse.urlencode({"graph": G}))[0] == 200


def test_a_new_source_graph_is_described_then_written_then_dropped(writable):
    """A new graph is accepted once graph/metadata describes its source; POST creates it (201), DELETE drops it."""
    new = "https://w3id.org/spacecoord/graph/curation-test"
    agency = b'<https://w3id.org/spacecoord/body/t> a <https://w3id.org/spacecoord/ontology#SpaceAgency> ; ' \
             b'<http://www.w3.org/2004/02/skos/core#prefLabel> "T"@en .'
    status, _, body = store_write(writable, "POST", new, agency)
    assert status == 400 and b"not described in graph/metadata" in body
    status, _, body = update_request(writable, f"""INSERT DATA {{ GRAPH graph:metadata {{
        <{new}> a sc:SourceGraph ; prov:hadPrimarySource <https://example.org/doc> ; dcterms:source <https://example.org/doc> .
        <https://example.org/doc> a sc:SourceDocument ; dcterms:title "A test document"@en ; dcterms:publisher "Example" .
    }} }}""", TOKEN)
    assert status == 200, body
    assert store_write(writable, "POST", new, agency)[0] == 201
    assert json.loads(http("GET", query_url(writable, "ASK { body:t a org:Organization }"))[2])["boolean"] is True
    status, _, body = store_write(writable, "DELETE", new)
    assert status == 200 and b"2 quads deleted" in body
    assert http("GET", f"{writable}/store?" + urllib.parse.urlencode({"graph": new}))[0] == 404


def test_an_update_the_reasoner_cannot_follow_is_refused_with_a_reason(writable):
    """An update adding to the ontology an axiom the reasoner does not apply is a 400 saying so, not a 500."""
    text = "INSERT DATA { GRAPH <https://w3id.org/spacecoord/graph/ontology> { sc:X owl:someValuesFrom sc:Y } }"
    status, _, body = update_request(writable, text, TOKEN)
    assert status == 400 and b"someValuesFrom" in body and b"nothing was changed" in body, body


def test_graph_store_data_may_say_load(writable):
    """A graph written to /store is data: a literal or IRI with the word 'load' in it is written, not taken for
    a LOAD (which an update's own text may not contain)."""
    triple = b'<https://w3id.org/spacecoord/body/esa> <http://www.w3.org/2004/02/skos/core#altLabel> "Load test" .'
    status, _, body = store_write(writable, "POST", G, triple, "application/n-triples")
    assert status == 200 and b"1 inserted" in body, body
    status, _, body = update_request(writable, f'INSERT DATA {{ GRAPH <{G}> {{ body:esa skos:altLabel "Load" }} }}', TOKEN)
    assert status == 403 and b"LOAD is refused" in body


@pytest.mark.parametrize("method, graph, body, ctype, token, status, message", [
    ("PUT", G, b"<a> <b> .", "text/turtle", TOKEN, 400, b"body:1:"),
    ("PUT", G, b"<a> <b> <c> .", "text/csv", TOKEN, 415, b"not an RDF graph format"),
    ("POST", "https://w3id.org/spacecoord/graph/inferred", b"<urn:a> <urn:b> <urn:c> .", "text/turtle", TOKEN, 400,
     b"derived"),
    ("DELETE", "https://w3id.org/spacecoord/graph/none", b"", "text/turtle", TOKEN, 404, b"not in the store"),
    ("PUT", G, b"", "text/turtle", None, 401, b"KG_UPDATE_TOKEN"),
])
def test_graph_store_write_errors(writable, method, graph, body, ctype, token, status, message):
    """A write with a bad body, a wrong type, a derived or missing graph, or no token is refused, saying why."""
    got, _, text = store_write(writable, method, graph, body, ctype, token)
    assert got == status and message in text, text
