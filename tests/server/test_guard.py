"""The text checks that keep queries and updates from reaching endpoints off the allow-list, and that tell
whether a query names its own dataset.

Each refused text below made pyoxigraph contact a local listener while an
earlier, tokenizing check saw no SERVICE (found by an adversarial review).
"""

from __future__ import annotations

import re
import sys

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from kg.terms import PREFIXES
from server import guard
from server.guard import Unclear, may_name_dataset, service_targets

LOCAL = "http://127.0.0.1:18765/"
WIKIDATA = "https://query.wikidata.org/sparql"
E = "PREFIX e: <http://e/> "


@pytest.mark.parametrize("text", [
    E + f"SELECT * {{ ?s e:p ?o.SERVICE <{LOCAL}sparql> {{ ?z ?y ?w }} }}",                # glued to a variable
    E + f"SELECT * {{ ?s e:n 1SERVICE <{LOCAL}sparql> {{ ?z ?y ?w }} }}",                  # glued to a number
    E + f'SELECT * {{ ?s e:p "x"@en-US.SERVICE <{LOCAL}sparql> {{ ?z ?y ?w }} }}',         # to a language tag
    E + f"SELECT * {{ ?s e:p ?o # hi\rSERVICE <{LOCAL}sparql> {{ ?z ?y ?w }} }}",          # a comment ended by CR
    E + f"PREFIX : <{LOCAL}> SELECT * {{ ?s e:p ?o FILTER(?a<?b)SERVICE:sparql#>\n {{ ?z ?y ?w }} }}",  # < as less-than
    E + f'SELECT * {{ ?s e:p ?o BIND("""x\\"""" AS ?v) SERVICE <{LOCAL}sparql> {{ ?z ?y ?w }} }}',  # escaped quote
    E + f"SELECT * {{ ?s e:p ?o FILTER(?o != <http://e/\u00a0'''>) SERVICE <{LOCAL}sparql> {{ ?z ?y ?w }} }}",
    E + f"SELECT * {{ ?s e:p wd:a\\#b . SERVICE <{LOCAL}sparql> {{ ?z ?y ?w }} }}",          # escaped # in a name
    E + "SELECT * { ?s e:p ?o SERVICE ?endpoint { ?z ?y ?w } }",                      # a variable endpoint
    E + f"SELECT * {{ ?s e:p ?o SERVICE # x\r<{LOCAL}sparql> {{ ?z ?y ?w }}\n<{WIKIDATA}> e:zz* ?k }}",
    E + f"PREFIX w: <https://query.wikidata.org/> # x\rPREFIX w: <{LOCAL}>\n"
        "SELECT * { ?s e:p ?o SERVICE w:sparql { } }",
    # found by review: a copy that swallowed the line after a "service" in a comment, or kept a call nested
    # in an earlier call's endpoint, was read as a query with the real SERVICE out of sight
    f"PREFIX : <{LOCAL}>\nSELECT * {{ # service\nSERVICE:sparql {{ ?a ?b ?c }}\n}}",
    f"SELECT * {{ FILTER( # service\n<http://e/a> != <http://e/b>) SERVICE <{LOCAL}sparql> {{ }} FILTER(\ntrue) }}",
    f"SELECT * {{ SERVICE <{WIKIDATA}> {{ }} FILTER( # service\n<http://e/a> != <http://e/b>) "
    f"SERVICE <{LOCAL}sparql> {{ }} FILTER(\ntrue) }}",
    # found by a second review: a PREFIX line in a comment or a string made a prefixed endpoint look allowed,
    # while pyoxigraph read SILENT:sparql as a name of the PREFIX SILENT:, or wd: as the predeclared one
    f"#PREFIX : <https://query.wikidata.org/>\nPREFIX SILENT: <{LOCAL}>\nSELECT * {{ SERVICE SILENT:sparql {{ }} }}",
    f'PREFIX SILENT: <{LOCAL}>\nSELECT * {{ SERVICE SILENT:sparql {{ }} '
    f'FILTER("PREFIX : <https://query.wikidata.org/>" != "") }}',
    "#PREFIX wd: <https://query.wikidata.org/>\nSELECT * { SERVICE wd:sparql { } }",
])
@pytest.mark.parametrize("query", [False, True])
def test_a_service_the_checks_cannot_read_for_sure_is_refused(text, query):
    """A SERVICE hidden from a tokenizer, or with an endpoint that cannot be resolved for sure, is refused,
    in an update and in a query, where pyoxigraph is asked whether each odd 'service' is a keyword."""
    try:
        targets = service_targets(text, PREFIXES, query=query)
    except Unclear:
        return
    assert any(t != WIKIDATA for t in targets), targets


@pytest.mark.parametrize("text, targets", [
    (f"SELECT * {{ ?s ?p ?o SERVICE <{WIKIDATA}> {{ ?x ?p ?y }} }} # a comment\n", [WIKIDATA]),
    (f'SELECT * {{ ?s ?p "a\\"b" . SERVICE SILENT <{WIKIDATA}> {{ ?x ?p ?y }} }}', [WIKIDATA]),
    ("SELECT * { ?s ?p ?o FILTER(?o < 3) }", []),
    ('SELECT ?l { ?s skos:prefLabel ?l FILTER REGEX(?l, "[s]ervice", "i") }', []),
])
def test_plain_federated_queries_are_read(text, targets):
    """A plain SERVICE call, or none, is read as it is written."""
    assert service_targets(text, PREFIXES) == targets


@pytest.mark.parametrize("text, targets", [
    ('SELECT ?s { ?s skos:prefLabel "Meteorological Service"@en }', []),
    ("SELECT ?service { ?service a <http://schema.org/Service> ; e:service e:Service } # a service", []),
    ('SELECT ?x { VALUES ?x { """a "service" """ } }', []),
    (f'SELECT * {{ SERVICE <{WIKIDATA}> {{ ?s ?p "service" }} ?s e:service ?o }}', [WIKIDATA]),
])
def test_the_word_service_elsewhere_in_a_query_is_read_as_it_is(text, targets):
    """In a query, 'service' in a label, an IRI, a variable, a name or a comment is no SERVICE call:
    pyoxigraph reads the query with the word changed."""
    assert service_targets(E + text, PREFIXES, query=True) == targets


@pytest.mark.parametrize("text", [
    'INSERT DATA { <http://e/a> <http://e/b> "Meteorological Service" }',
    'SELECT ?s { ?s ?p "service" ',  # not a query: nothing can say what the word is
    "SELECT * { SERVICE e:service { } }",  # a prefixed endpoint: write it <IRI>
    'SELECT * { ?s ?p "a servicename" }',  # glued to what follows: not decided
])
def test_the_word_service_elsewhere_is_refused_where_it_cannot_be_read(text):
    """In an update, a text that is no query, a prefixed endpoint or a word glued to what follows, the
    word is refused, and the message says how to write it instead."""
    with pytest.raises(Unclear, match="u0073ervice"):
        service_targets(text, PREFIXES, query=not text.startswith("INSERT"))


def test_reading_a_query_for_its_keywords_contacts_nothing(listener):
    """Deciding what an odd 'service' or 'from' is, pyoxigraph reads a copy of an ASK (evaluated at once)
    whose SERVICE calls were made GRAPH patterns: the endpoint they name hears nothing.  (It hangs up on
    whoever calls, so a copy that did call fails here at once instead of waiting for an answer.)"""
    url = listener.url
    target = f"<{url}/sparql>"
    assert service_targets(f'ASK {{ SERVICE {target} {{ ?s ?p "a service" }} }}', PREFIXES,
                           query=True) == [target[1:-1]]
    assert not may_name_dataset(f"ASK {{ ?from ?p ?o SERVICE {target} {{ ?s ?p ?o }} }}", PREFIXES)
    # found by review: a call nested in an earlier call's endpoint kept its letters in the copy
    nested = f'PREFIX : <{url}/>\nASK {{ ?s ?p ?service\nSERVICE:sparql {{ }} FILTER(?s != "a service") }}'
    with pytest.raises(Unclear):
        service_targets(nested, PREFIXES, query=True)
    may_name_dataset(nested.replace('"a service"', "?from"), PREFIXES)  # whatever it says: it calls no one
    assert listener.heard_nothing()


@pytest.mark.parametrize("text, named", [
    ("SELECT * FROM <http://g> { ?s ?p ?o }", True),
    ("SELECT *FROM <http://g> { ?s ?p ?o }", True),
    ("SELECT * FROM NAMED <http://g> { GRAPH ?g { ?s ?p ?o } }", True),
    ("SELECT * # a comment\rFROM <http://g> { ?s ?p ?o }", True),
    # found by review: pyoxigraph reads FROMe:g as FROM e:g, and the copy's FROxe:g as a name of FROxe:
    ("PREFIX e: <http://e/> PREFIX FROxe: <http://e/> DESCRIBE <http://e/a> FROMe:g { }", True),
    # found by a third review: pyoxigraph reads a FROM glued to the keyword before it
    ("ASKFROM <http://e/g> { ?s ?p ?o }", True),
    ("CONSTRUCTFROM <http://e/g> WHERE { ?s ?p ?o }", True),
    ("ASKFROM NAMED <http://e/g> { GRAPH ?g { ?s ?p ?o } }", True),
    ("SELECT * { ?s ?p ?o }", False),
    ('SELECT ?from { ?s <http://e/from> ?from FILTER(?from != "from") } # from', False),
])
def test_a_query_naming_its_dataset_is_recognised(text, named):
    """A query with FROM keeps its own dataset rather than the server's default graph; the word as a
    variable, in an IRI, a string or a comment is no FROM (without the prefixes to ask pyoxigraph with,
    any 'from' counts)."""
    assert may_name_dataset(text, PREFIXES) is named
    assert may_name_dataset(text) is ("from" in text.lower())


def test_the_quick_letter_test_cannot_miss_a_keyword():
    """Each letter the quick test before a keyword regex relies on is matched by re.IGNORECASE only in
    its two cases, over all of Unicode; and the words it is used for are made of such letters."""
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for letter in guard.PLAIN_LETTERS:
        assert set(re.findall(letter, everything, re.IGNORECASE)) == {letter, letter.upper()}
    assert set("erv" + "from" + "load") <= set(guard.PLAIN_LETTERS)  # load: kg.update.may_load tests the same way
    assert guard.service_targets("SeRvIcE <http://a/> {}", {}) == ["http://a/"]
    assert guard.may_name_dataset("SELECT * FrOm <x> {}")


# ---------------------------------------------------------------------------
# Properties: texts built from pieces that hide or show the keyword, judged against pyoxigraph itself
# ---------------------------------------------------------------------------

CASES = st.sampled_from(["SERVICE", "service", "Service", "sErViCe"])
GAPS = st.sampled_from([" ", "  ", "\t", "\n", "\r", "\r\n", " # a comment\n", "#\r"])
GLUE = st.sampled_from(["", " ", ".", " . ", "} ", "\n"])


def _hidden_calls(forbidden: str):
    """Pieces that call ``forbidden`` in every way the checks have been fooled before."""
    call = st.builds(lambda case, silent, gap, endpoint_gap: f"{case}{silent}{gap}<{forbidden}>{endpoint_gap}{{ }}",
                     CASES, st.sampled_from(["", " SILENT", " silent", "\tSilent"]), GAPS, GAPS)
    prefixed = st.builds(lambda case, gap: f"{case}{gap}f:sparql {{ }}", CASES, GAPS)
    return st.one_of(call, prefixed)


BENIGN = st.sampled_from([
    '?s ?p "a service"', "?s ?p 'Service desk'", '?s ?p """the SERVICE of a"""', "?s ?p <http://e/service>",
    "?service ?p ?o", "?s e:service ?o", "?s e:SERVICE ?o", "# a service\n?s ?p ?o", "?s ?p ?o # SERVICE <http://e/>\n",
    'FILTER(?s != "service")', "?s ?p ?o", 'BIND("x" AS ?service)'])
NEAR_CALLS = st.sampled_from([  # a call in a string or a comment (no call), or right after one (a call)
    '?s ?p "SERVICE <{forbidden}/sparql> { }"', "?s ?p ?o # SERVICE <{forbidden}/sparql> { }\n",
    "?s ?p ?o # x\rSERVICE <{forbidden}/sparql> { }", "?s ?p <{forbidden}/sparql> . SERVICE <{forbidden}/sparql> { }",
    "?s ?p '''SERVICE <{forbidden}/sparql> { }''' . SERVICE <{forbidden}/sparql> { }",
    "SERVICE <http://e/service> { } SERVICE <{forbidden}/sparql> { }",
    "SERVICE <http://e/> { SERVICE <{forbidden}/sparql> { } }"])
AWKWARD = st.sampled_from([  # the word where the checks may not decide (refusing is allowed, calling is not)
    '?s ?p "a servicename"', "?s e:servicename ?o", '?s ?p "\\"service"', "?s ?p ?o #\rservice",
    "?s ?p e:a\\#service", '?s ?p "service" .SERVICE', "?s ?p ?o SERVICE"])


def _text(pieces: list[str], update: bool) -> str:
    body = " . ".join(pieces)
    head = "PREFIX e: <http://e/> PREFIX f: <{forbidden}/> "
    return head + (f"INSERT {{ <urn:a> <urn:b> <urn:c> }} WHERE {{ {body} }}" if update else
                   f"SELECT * WHERE {{ {body} }}")


def _contacts(text: str, update: bool) -> None:
    """Run ``text`` on an empty store in memory, as the endpoint would: whatever it contacts, it contacts."""
    store = ox.Store()
    try:
        if update:
            store.update(text, prefixes=PREFIXES)
        else:
            list(store.query(text, prefixes=PREFIXES))
    except (SyntaxError, OSError, RuntimeError):
        pass


@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # one listener hears every example
@given(data=st.data(), update=st.booleans())
def test_a_text_the_checks_let_through_calls_only_what_they_name(listener, data, update):
    """Whatever mix of calls, words in strings, IRIs, names and comments, glued or nested: if the checks do not
    refuse a text and do not name the forbidden endpoint among its calls, pyoxigraph running it never calls it."""
    url = listener.url
    pieces = data.draw(st.lists(st.one_of(_hidden_calls(url + "/sparql"), BENIGN, NEAR_CALLS, AWKWARD),
                                min_size=1, max_size=4))
    glue = data.draw(st.lists(GLUE, min_size=len(pieces), max_size=len(pieces)))
    text = _text([g + p for g, p in zip(glue, pieces, strict=True)], update).replace("{forbidden}", url)
    try:
        targets = service_targets(text, PREFIXES, query=not update)
    except Unclear:
        event("refused")
        return
    if url + "/sparql" in targets:
        event("names the endpoint")
        return  # named: the endpoint refuses it unless it is on the allow-list
    event("let through, run")
    before = len(listener.calls)
    _contacts(text, update)  # a call it made is counted before it returns (see Listener)
    assert len(listener.calls) == before, text


@settings(max_examples=300, deadline=None, derandomize=True)
@given(pieces=st.lists(BENIGN, min_size=1, max_size=4))
def test_the_word_in_strings_iris_names_and_comments_is_not_refused(pieces):
    """A query whose only 'service' is a word in a string, an IRI, a name or a comment is read, not refused,
    and calls nothing."""
    text = _text(pieces, update=False).replace("{forbidden}", "http://e")
    try:
        ox.Store().query(text, prefixes=PREFIXES)
    except SyntaxError:
        assume(False)  # the pieces do not make a query (a variable bound twice): nothing to read
    assert service_targets(text, PREFIXES, query=True) == []


FROMS = st.sampled_from(["FROM <http://e/g>", "from <http://e/g>", "FrOm e:g", "FROM\te:g", "FROM#c\re:g"])
FROM_WORDS = st.sampled_from(['"from"', "<http://e/from>", "?from", "e:from", "# from\n", "'FROM e:g'"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(before=st.lists(st.one_of(FROMS, FROM_WORDS), max_size=3), glue=st.sampled_from(["", " ", "\n"]))
def test_a_query_that_reads_from_a_graph_is_seen_to_name_its_dataset(before, glue):
    """If pyoxigraph reads a FROM in a query (its default graph is then <http://e/g>, the only graph with data),
    the check says the query names its dataset."""
    words = [w for w in before if not w.upper().startswith("FROM")]
    dataset = [w for w in before if w.upper().startswith("FROM")]
    filters = " ".join(f"FILTER(?o != {w})" if not w.startswith("#") else w for w in words if w != "'FROM e:g'")
    text = f"PREFIX e: <http://e/> ASK{glue}{' '.join(dataset)} {{ ?s ?p ?o {filters} }}"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.NamedNode("http://e/o"),
                      ox.NamedNode("http://e/g")))
    try:
        reads_g = bool(store.query(text, prefixes=PREFIXES))
    except SyntaxError:
        return
    if reads_g:
        assert may_name_dataset(text, PREFIXES), text
