"""The HTTP server, started with ``kg serve`` on a free loopback port and spoken to over real HTTP."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest

from kg.namespaces import graph_iri
from kg.settings import CANONICAL_BASE, Settings


INFERRED = graph_iri(CANONICAL_BASE, "inferred")


def get(url: str, accept: str | None = None):
    """(status, content type, body text) of a GET; errors are answers too."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers["Content-Type"], r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode("utf-8")


def explain_url(base: str, s: str, p: str, o: str, **params) -> str:
    return f"{base}/explain?" + urllib.parse.urlencode({"s": s, "p": p, "o": o, **params})


class Links(HTMLParser):
    """The hrefs of a page, and those inside table rows marked ``inferred``."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.inferred_rows, self._row = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self._row = [] if attrs.get("class") == "inferred" else None
        elif tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])
            if self._row is not None and attrs.get("class") == "explain":
                self._row.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.inferred_rows.append(self._row)
            self._row = None


def triple_of(href: str) -> tuple[str, str, str]:
    """The (s, p, o) parameters of an /explain link."""
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
    return params["s"][0], params["p"][0], params["o"][0]


def links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def test_serve_builds_a_missing_store_first(server):
    """``kg serve`` in a project without a store builds it before serving."""
    _, project = server
    assert (project / "var" / "store").is_symlink()


def test_explain_json_over_http_is_the_cli_explanation(server, run_kg):
    """/explain?format=json gives the same derivation as ``kg explain --format json``."""
    url, project = server
    status, ctype, body = get(explain_url(url, "body:uksa", "sc:replaces", "body:bnsc", format="json"))
    assert (status, ctype) == (200, "application/json")
    cli = run_kg("explain", "--format", "json", "body:uksa", "sc:replaces", "body:bnsc", cwd=project)
    assert json.loads(body) == json.loads(cli.stdout)
    assert json.loads(body)["rule"] == "prp-spo2"


def test_explain_page_shows_rules_premises_and_sources(server):
    """The HTML explanation names each rule, links inferred premises to their own page, and ends at sources."""
    url, _ = server
    status, ctype, html = get(explain_url(url, "body:nasa", "org:memberOf", "body:imewg"), accept="text/html")
    assert (status, ctype) == (200, "text/html; charset=utf-8")
    for rule in ("prp-spo1", "prp-spo2", "prp-inv1"):
        assert f">{rule}</a>" in html
    assert "asserted in" in html and "https://en.wikipedia.org/wiki/International_Mars_Exploration_Working_Group" in html
    steps = [h for h in links(html).hrefs if h.startswith("/explain?")]
    assert len(steps) >= 3
    for href in steps:
        status, _, _ = get(url + href)
        assert status == 200, href


def test_asserted_triple_page_names_graph_and_source(server):
    """An asserted triple is explained as asserted, with its graph and source document."""
    url, _ = server
    status, _, body = get(explain_url(url, "body:nasa", "a", "sc:SpaceAgency", format="json"))
    data = json.loads(body)
    assert status == 200 and data["status"] == "asserted"
    assert {"graph": "https://w3id.org/spacecoord/graph/imewg-article",
            "source": "https://en.wikipedia.org/wiki/International_Mars_Exploration_Working_Group"} in data["asserted_in"]


@pytest.mark.parametrize("accept, marker", [("application/json", '"status":"not entailed"'),
                                            ("text/html", "Not entailed")])
def test_not_entailed_triple_says_so(server, accept, marker):
    """A triple neither asserted nor inferred is answered as not entailed, in JSON and in HTML."""
    url, _ = server
    status, _, body = get(explain_url(url, "body:bnsc", "sc:replaces", "body:uksa"), accept=accept)
    assert status == 200 and marker in body


def test_every_inferred_triple_is_linked_from_its_subjects_page(server, built_store):
    """Each inferred triple appears on its subject's resource page with a link to its explanation."""
    url, _ = server
    inferred = {}
    for q in built_store.quads_for_pattern(None, None, None, INFERRED):
        inferred.setdefault(q.subject, set()).add(q.triple)
    assert sum(map(len, inferred.values())) > 1000
    for subject, triples in inferred.items():
        status, _, html = get(f"{url}/resource?" + urllib.parse.urlencode({"iri": str(subject)}), accept="text/html")
        assert status == 200, subject
        linked = {triple_of(h) for row in links(html).inferred_rows for h in row}
        for t in triples:
            assert (str(t.subject), str(t.predicate), str(t.object)) in linked, t


def test_resource_page_links_explanations_that_derive(server, built_store):
    """Following every 'why?' link of a resource page gives a derivation by a named rule."""
    url, _ = server
    status, _, html = get(f"{url}/resource?iri=body:nasa")
    rows = links(html).inferred_rows
    assert status == 200 and len(rows) > 10 and all(len(r) == 1 for r in rows)
    for (href,) in rows:
        status, _, body = get(url + href + "&format=json")
        assert status == 200 and json.loads(body)["status"] == "inferred", href


def test_resource_json_separates_asserted_and_inferred(server):
    """The resource page as JSON lists each statement with its status, graphs and explanation link."""
    url, _ = server
    status, _, body = get(f"{url}/resource?iri=body:nasa&format=json")
    data = json.loads(body)
    by_status = {st["status"] for st in data["statements"]}
    assert status == 200 and by_status == {"asserted", "inferred"}
    label = next(st for st in data["statements"] if st["predicate"].endswith("#prefLabel>"))
    assert label["asserted_in"][0]["graph"].endswith("/graph/imewg-article")
    assert all(st["explanation"].startswith("/explain?") for st in data["statements"])


def test_error_shape_for_json_callers(server):
    """A JSON caller's error is one body: status, error title and a message naming the parameter."""
    url, _ = server
    status, ctype, body = get(f"{url}/explain?s=body:nasa&p=nope:x&o=body:imewg", accept="application/json")
    assert (status, ctype) == (400, "application/json")
    assert json.loads(body) == {"status": 400, "error": "Bad Request",
                                "message": "parameter 'p': 'nope:x': The prefix nope: has not been declared"}


@pytest.mark.parametrize("path, accept, status, message", [
    ("/explain?s=body:nasa&o=body:imewg", "application/json", 400, "parameter 'p' must be given once"),
    ("/explain?s=body:nasa&s=body:esa&p=a&o=sc:SpaceAgency", "application/json", 400, "given 2 times"),
    ('/explain?s="x"&p=a&o=sc:SpaceAgency', "application/json", 400, "is a literal; expected an IRI or a blank node"),
    ("/explain?s=body:nasa&p=a&o=sc:SpaceAgency&format=xml", "application/json", 400, "'xml' is not one of: html, json"),
    ("/explain?s=body:nasa&p=a&o=sc:SpaceAgency", "image/png", 406, "acceptable media types: text/html, application/json"),
    ("/resource?iri=body:nothing-here", "application/json", 404, "is in no statement of the graph"),
    ("/resource?iri=body:nothing-here", "text/html", 404, "is in no statement of the graph"),
    ("/no-such-page", "text/html", 404, "Not Found"),
    ("/no-such-page", "*/*", 404, "The requested URL was not found on the server."),
])
def test_bad_requests_are_answered_plainly(server, path, accept, status, message):
    """Bad parameters, formats and resources get the right status and a message saying what is wrong."""
    url, _ = server
    got, _, body = get(url + path.replace('"', "%22"), accept=accept)
    assert got == status and message in body.replace("&#39;", "'").replace("&#34;", '"')
    assert "Traceback" not in body


def test_curl_gets_the_page_by_default_and_json_on_request(server):
    """curl's Accept */* gets the HTML page; -H 'Accept: application/json' gets JSON."""
    url, _ = server
    target = explain_url(url, "body:nasa", "org:memberOf", "body:imewg")
    html = subprocess.run(["curl", "-s", "-w", "\n%{content_type}", target], capture_output=True, text=True)
    assert html.stdout.endswith("text/html; charset=utf-8") and "Why does this hold?" in html.stdout
    data = subprocess.run(["curl", "-s", "-H", "Accept: application/json", target], capture_output=True, text=True)
    assert json.loads(data.stdout)["status"] == "inferred"


def test_health_is_503_until_a_store_exists(tmp_path):
    """/-/health answers 503 with the reason, in plain text, while no store is built; the app keeps serving."""
    from server import create_app

    client = create_app(Settings(store_dir=str(tmp_path / "store"))).test_client()
    first, second = client.get("/-/health"), client.get("/-/health")
    assert first.status_code == second.status_code == 503
    assert first.content_type == "text/plain; charset=utf-8" and b"run 'kg build' first" in first.data


def test_bad_port_setting_is_a_usage_error(tmp_path, run_kg):
    """``kg serve`` with an unusable port exits 2 naming the setting."""
    done = run_kg("serve", cwd=tmp_path, env={"KG_PORT": "80000"})
    assert done.returncode == 2 and "KG_PORT" in done.stderr


def test_server_follows_a_rebuild(server, run_kg):
    """After ``kg build`` swaps in a new store version, every worker answers from it."""
    url, project = server
    source = project / "data" / "msr-conferences" / "msr-2018-announcement.ttl"
    original = source.read_text(encoding="utf-8")
    target = explain_url(url, "body:nasa", "skos:altLabel", '"NASA"', format="json")

    def graphs() -> set[str]:
        status, _, body = get(target)
        assert status == 200
        return {a["graph"].rsplit("/", 1)[1] for a in json.loads(body)["asserted_in"]}

    assert "msr-2018-announcement" in graphs()
    try:
        source.write_text(original.replace('body:nasa skos:altLabel "NASA" .\n', ""), encoding="utf-8")
        assert run_kg("build", cwd=project).returncode == 0
        for _ in range(4):  # reach both workers
            assert graphs() == {"imewg-article", "isecg-about"}
    finally:
        source.write_text(original, encoding="utf-8")
        assert run_kg("build", cwd=project).returncode == 0
