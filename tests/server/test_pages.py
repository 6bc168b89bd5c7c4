"""The pages of the graph, through the Flask test client: /explain says why a triple holds, /resource what the
graph says about a resource; each links to the other, in HTML and in JSON."""

from __future__ import annotations

import json
import urllib.parse
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.settings import CANONICAL_BASE
from kg.terms import graph_iri

INFERRED = graph_iri(CANONICAL_BASE, "inferred")
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


def explain_url(s: str, p: str, o: str, **params) -> str:
    return "/explain?" + urllib.parse.urlencode({"s": s, "p": p, "o": o, **params})


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


def links(page: bytes) -> Links:
    parser = Links()
    parser.feed(page.decode("utf-8"))
    return parser


def triple_of(href: str) -> tuple[str, str, str]:
    """The (s, p, o) parameters of an /explain link."""
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
    return params["s"][0], params["p"][0], params["o"][0]


def test_explain_json_is_the_command_s_explanation(client, built_store_dir, project_settings):
    """/explain?format=json gives the same derivation as ``kg explain --format json``."""
    response = client.get(explain_url("body:uksa", "sc:replaces", "body:bnsc", format="json"))
    assert response.headers["Content-Type"] == "application/json"
    by_command = CliRunner().invoke(cli, ["explain", "--format", "json", "--store-dir", str(built_store_dir),
                                          "body:uksa", "sc:replaces", "body:bnsc"])
    assert response.json == json.loads(by_command.output)
    assert response.json["rule"] == "prp-spo2"


def test_explain_page_shows_rules_premises_and_sources(client):
    """The HTML explanation names each rule, links inferred premises to their own page, and ends at sources."""
    response = client.get(explain_url("body:nasa", "org:memberOf", "body:imewg"), headers=HTML)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    for rule in ("prp-spo1", "prp-spo2", "prp-inv1"):
        assert f">{rule}</a>" in page
    assert "asserted in" in page
    assert "https://en.wikipedia.org/wiki/International_Mars_Exploration_Working_Group" in page
    steps = [h for h in links(response.data).hrefs if h.startswith("/explain?")]
    assert len(steps) >= 3
    for href in steps:
        assert client.get(href).status_code == 200, href


def test_asserted_triple_names_graph_and_source(client):
    """An asserted triple is explained as asserted, with its graph and source document."""
    data = client.get(explain_url("body:nasa", "a", "sc:SpaceAgency", format="json")).json
    assert data["status"] == "asserted"
    assert {"graph": "https://w3id.org/spacecoord/graph/imewg-article",
            "source": "https://en.wikipedia.org/wiki/International_Mars_Exploration_Working_Group"} \
        in data["asserted_in"]


def test_not_entailed_triple_says_so_in_json(client):
    """A triple neither asserted nor inferred is answered as not entailed, in the command's JSON shape."""
    response = client.get(explain_url("body:bnsc", "sc:replaces", "body:uksa"), headers=JSON)
    assert response.status_code == 200
    assert response.json == {"subject": "<https://w3id.org/spacecoord/body/bnsc>",
                             "predicate": "<https://w3id.org/spacecoord/ontology#replaces>",
                             "object": "<https://w3id.org/spacecoord/body/uksa>",
                             "status": "not entailed", "message": "neither asserted nor inferred"}


def test_not_entailed_triple_says_so_in_html(client):
    """A browser is told the same in words."""
    response = client.get(explain_url("body:bnsc", "sc:replaces", "body:uksa"), headers=HTML)
    assert b"Not entailed" in response.data


def test_every_inferred_triple_is_linked_from_its_subjects_page(client, built_store):
    """Each inferred triple appears on its subject's resource page with a link to its explanation."""
    inferred = {}
    for q in built_store.quads_for_pattern(None, None, None, INFERRED):
        inferred.setdefault(q.subject, set()).add(q.triple)
    assert sum(map(len, inferred.values())) > 1000
    for subject, triples in inferred.items():
        response = client.get("/resource", query_string={"iri": str(subject)}, headers=HTML)
        assert response.status_code == 200, subject
        linked = {triple_of(h) for row in links(response.data).inferred_rows for h in row}
        for t in triples:
            assert (str(t.subject), str(t.predicate), str(t.object)) in linked, t


def test_resource_page_links_explanations_that_derive(client):
    """Following every 'why?' link of a resource page gives a derivation by a named rule."""
    rows = links(client.get("/resource?iri=body:nasa").data).inferred_rows
    assert len(rows) > 10
    for row in rows:
        assert len(row) == 1
        assert client.get(row[0] + "&format=json").json["status"] == "inferred", row[0]


def test_resource_json_separates_asserted_and_inferred(client):
    """The resource page as JSON lists each statement with its status, graphs and explanation link."""
    data = client.get("/resource?iri=body:nasa&format=json").json
    assert {st["status"] for st in data["statements"]} == {"asserted", "inferred"}
    label = next(st for st in data["statements"] if st["predicate"].endswith("#prefLabel>"))
    assert label["asserted_in"][0]["graph"].endswith("/graph/imewg-article")
    assert all(st["explanation"].startswith("/explain?") for st in data["statements"])


@pytest.mark.parametrize("path, accept, status, message", [
    ("/explain?s=body:nasa&o=body:imewg", "application/json", 400, "parameter 'p' must be given once"),
    ("/explain?s=body:nasa&s=body:esa&p=a&o=sc:SpaceAgency", "application/json", 400, "given 2 times"),
    ('/explain?s="x"&p=a&o=sc:SpaceAgency', "application/json", 400, "is a literal; expected an IRI or a blank node"),
    ("/explain?s=body:nasa&p=a&o=sc:SpaceAgency&format=xml", "application/json", 400,
     "'xml' is not one of: html, json"),
    ("/explain?s=body:nasa&p=a&o=sc:SpaceAgency", "image/png", 406,
     "acceptable media types: text/html, application/json"),
    ("/resource?iri=body:nothing-here", "application/json", 404, "is in no statement of the graph"),
    ("/resource?iri=body:nothing-here", "text/html", 404, "is in no statement of the graph"),
    ("/resource?iri=%3C%3E", "application/json", 400, "parameter 'iri'"),
])
def test_bad_requests_are_answered_plainly(client, path, accept, status, message):
    """Bad parameters, formats and resources get the right status and a message saying what is wrong."""
    response = client.get(path.replace('"', "%22"), headers={"Accept": accept})
    assert response.status_code == status
    assert message in response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')
    assert b"Traceback" not in response.data
