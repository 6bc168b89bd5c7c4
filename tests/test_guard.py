"""The text checks that keep queries from reaching endpoints off the allow-list, and updates from LOADing.

Each refused text below made pyoxigraph contact a local listener while an
earlier, tokenizing check saw no SERVICE or LOAD (found by an adversarial review).
"""

from __future__ import annotations

import re
import socket
import sys
import threading

import pytest

from kg import guard
from kg.guard import Unclear, may_load, may_name_dataset, service_targets
from kg.namespaces import PREFIXES

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
    E + f"PREFIX w: <https://query.wikidata.org/> # x\rPREFIX w: <{LOCAL}>\nSELECT * {{ ?s e:p ?o SERVICE w:sparql {{ }} }}",
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


def test_reading_a_query_for_its_keywords_contacts_nothing():
    """Deciding what an odd 'service' or 'from' is, pyoxigraph reads a copy of an ASK (evaluated at once)
    whose SERVICE calls were made GRAPH patterns: the endpoint they name hears nothing.  (It hangs up on
    whoever calls, so a copy that did call fails here at once instead of waiting for an answer.)"""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    calls, done = [], threading.Event()

    def hang_up():
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            calls.append(1)
            connection.close()
    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    target = f"<http://127.0.0.1:{listener.getsockname()[1]}/sparql>"
    try:
        assert service_targets(f'ASK {{ SERVICE {target} {{ ?s ?p "a service" }} }}', PREFIXES,
                               query=True) == [target[1:-1]]
        assert not may_name_dataset(f"ASK {{ ?from ?p ?o SERVICE {target} {{ ?s ?p ?o }} }}", PREFIXES)
        # found by review: a call nested in an earlier call's endpoint kept its letters in the copy
        nested = f'PREFIX : <{target[1:-len("sparql>")]}>\nASK {{ ?s ?p ?service\nSERVICE:sparql {{ }} ' \
                 'FILTER(?s != "a service") }'
        with pytest.raises(Unclear):
            service_targets(nested, PREFIXES, query=True)
        may_name_dataset(nested.replace('"a service"', "?from"), PREFIXES)  # whatever it says: it calls no one
    finally:
        done.set()
        thread.join()
        listener.close()
    assert calls == []


@pytest.mark.parametrize("text, loads", [
    (f"LOAD <{LOCAL}x.ttl>", True),
    (f"# x\rLOAD <{LOCAL}x.ttl>", True),
    (f"LOADSILENT<{LOCAL}x.ttl>", True),
    (f'INSERT DATA {{ <http://e/a> <http://e/b> """\\"""" }} ; LOAD <{LOCAL}x.ttl>', True),
    (f"INSERT DATA {{ <http://e/a> <http://e/b> 1 }};load <{LOCAL}x.ttl>", True),
    ('INSERT DATA { <http://e/a> <http://e/b> "a payload to download" }', False),
])
def test_load_is_found_wherever_it_could_be_a_keyword(text, loads):
    """Any 'load' not inside a word counts as a LOAD; inside a word it cannot be one."""
    assert may_load(text) is loads


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
    assert set("erv" + "from" + "load") <= set(guard.PLAIN_LETTERS)
    assert guard.service_targets("SeRvIcE <http://a/> {}", {}) == ["http://a/"]
    assert guard.may_name_dataset("SELECT * FrOm <x> {}") and guard.may_load("lOaD <x>")
