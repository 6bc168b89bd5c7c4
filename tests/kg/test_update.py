"""Updates: ``kg update`` changes the named graphs, derives again, and survives a rebuild through the journal;
an update that cannot be applied is refused with the reason and changes nothing."""

from __future__ import annotations

import json

import pytest

from kg.errors import InvalidInput, Refused
from kg.query import run
from kg.store import StoreLayout
from kg.update import may_load, update

G = "https://w3id.org/spacecoord/graph/wikipedia-ilewg"
NEW = f"""INSERT DATA {{ GRAPH <{G}> {{
    body:test-agency a sc:SpaceAgency ; skos:prefLabel "Test Space Agency"@en . }} }}"""
IS_ORG = "ASK { body:test-agency a org:Organization }"  # only by inference from sc:SpaceAgency


@pytest.fixture
def settings(project_settings, store_copy):
    """Settings of the project_copy over a copy of the built store, to change freely."""
    return project_settings.with_(store_dir=store_copy)


def ask(settings, query: str) -> bool:
    return bool(run(StoreLayout(settings.store_dir).open(), query))


def test_an_update_changes_a_source_graph_and_derives_again(settings):
    """An update inserts into a source graph; the union and the inferences follow; the journal records it."""
    report = update(settings, NEW)
    assert report.changed == (0, 2)
    assert ask(settings, IS_ORG)
    assert ask(settings, f"ASK {{ GRAPH <{G}> {{ body:test-agency a sc:SpaceAgency }} }}")
    assert "INSERT DATA" in StoreLayout(settings.store_dir).journal.read_text()


@pytest.mark.parametrize("text, kind, message", [
    ("INSERT DATA { body:x a sc:SpaceAgency }", InvalidInput, "changes the default graph, which is derived"),
    ("INSERT DATA { GRAPH graph:inferred { body:x a sc:SpaceAgency } }", InvalidInput,
     "graph/inferred>, which is derived"),
    ("INSERT DATA { GRAPH graph:nowhere { body:x a sc:SpaceAgency } }", InvalidInput,
     "graph <https://w3id.org/spacecoord/graph/nowhere> is not described in graph/metadata"),
    (f"INSERT DATA {{ GRAPH <{G}> {{ body:x a sc:SpaceAgency }} }}", InvalidInput,  # no label: the shapes refuse it
     f"graph <{G}> (as updated)"),
    ("INSERT DATA { GRAPH graph:metadata { body:x a sc:SpaceAgency  }", InvalidInput, "update: error at 1:"),
    (f"INSERT DATA {{ GRAPH <{G}> {{ body:x skos:note [ skos:prefLabel \"a note\"@en ] }} }}", InvalidInput,
     "blank nodes, which the journal cannot name again"),
    (f"INSERT DATA {{ GRAPH <{G}> {{ body:x a sc:SpaceAgency }} }};LOAD <http://127.0.0.1:1/x>", Refused,
     "LOAD is refused"),
    ("INSERT DATA { GRAPH graph:ontology { sc:X owl:someValuesFrom sc:Y } }", InvalidInput,
     "the fast reasoner does not apply cls-svf1/2"),
])
def test_a_refused_update_says_why_and_changes_nothing(settings, text, kind, message):
    """An update that writes a derived graph, an undescribed graph, data that fails the shapes, a schema the
    reasoner does not follow, a LOAD or bad syntax is refused with the reason, and leaves the store and the
    journal as they were."""
    layout = StoreLayout(settings.store_dir)
    before = layout.current()
    with pytest.raises(kind) as refused:
        update(settings, text)
    assert message in str(refused.value)
    assert layout.current() == before
    assert not layout.journal.exists()


def test_an_update_that_changes_nothing_makes_no_new_version(settings):
    """Deleting what is not there leaves the same store version and no journal entry."""
    layout = StoreLayout(settings.store_dir)
    before = layout.current()
    report = update(settings, f"DELETE DATA {{ GRAPH <{G}> {{ body:nothing a sc:SpaceAgency }} }}")
    assert report.lines() == ["the update changed nothing; the store is as it was"]
    assert layout.current() == before
    assert not layout.journal.exists()


def test_an_update_the_journal_cannot_record_changes_nothing(settings):
    """If the journal cannot be written, the update fails and the store stays: no change the next build would lose."""
    layout = StoreLayout(settings.store_dir)
    before = layout.current()
    layout.journal.mkdir()  # not writable as a file
    with pytest.raises(OSError):
        update(settings, NEW)
    assert layout.current() == before
    assert not ask(settings, IS_ORG)


@pytest.mark.parametrize("text, loads", [
    ("LOAD <http://127.0.0.1:1/x.ttl>", True),
    ("# x\rLOAD <http://127.0.0.1:1/x.ttl>", True),
    ("LOADSILENT<http://127.0.0.1:1/x.ttl>", True),
    ('INSERT DATA { <http://e/a> <http://e/b> """\\"""" } ; LOAD <http://127.0.0.1:1/x.ttl>', True),
    ("INSERT DATA { <http://e/a> <http://e/b> 1 };load <http://127.0.0.1:1/x.ttl>", True),
    ("INSERT DATA { <http://e/a> <http://e/b> 1 };lOaD <http://127.0.0.1:1/x.ttl>", True),
    ('INSERT DATA { <http://e/a> <http://e/b> "a payload to download" }', False),
])
def test_load_is_found_wherever_it_could_be_a_keyword(text, loads):
    """Any 'load' not inside a word counts as a LOAD; inside a word it cannot be one."""
    assert may_load(text) is loads


def test_kg_update_and_a_rebuild_keep_the_change(run_kg, project_copy):
    """``kg update`` applies an update (exit 0, saying what changed); ``kg build`` replays it from the journal,
    and a delete too."""
    done = run_kg("update", NEW, cwd=project_copy)
    assert done.returncode == 0, done.stderr
    assert "0 quads deleted, 2 inserted" in done.stdout
    assert run_kg("build", cwd=project_copy).returncode == 0
    assert json.loads(run_kg("query", "--format", "json", IS_ORG, cwd=project_copy).stdout) is True
    done = run_kg("update", f"DELETE WHERE {{ GRAPH <{G}> {{ body:test-agency ?p ?o }} }}", cwd=project_copy)
    assert "2 quads deleted" in done.stdout
    assert run_kg("build", cwd=project_copy).returncode == 0
    assert json.loads(run_kg("query", "--format", "json", IS_ORG, cwd=project_copy).stdout) is False


def test_kg_update_refused_exits_1_saying_nothing_changed(run_kg, project_copy):
    """A refused ``kg update`` exits 1 with the reason and says that nothing was changed."""
    done = run_kg("update", "INSERT DATA { body:x a sc:SpaceAgency }", cwd=project_copy)
    assert done.returncode == 1
    assert "changes the default graph, which is derived" in done.stderr
    assert done.stderr.endswith("kg: update refused; nothing was changed\n")


def test_the_journal_replays_escaped_literals_exactly(run_kg, project_copy):
    """A literal with quotes, a backslash, a newline and non-ASCII text comes back identical after a rebuild."""
    literal = r'"He said \"ok\" \\ then\nleft: Ørsted, 東京"'  # as SPARQL writes it
    text = f"""INSERT DATA {{ GRAPH <{G}> {{ body:test-agency a sc:SpaceAgency ;
                 skos:prefLabel "Test Space Agency"@en ; skos:note {literal} }} }}"""
    assert run_kg("update", text, cwd=project_copy).returncode == 0
    assert run_kg("build", cwd=project_copy).returncode == 0
    done = run_kg("query", "--format", "json", "SELECT ?n WHERE { body:test-agency skos:note ?n }", cwd=project_copy)
    notes = [row["n"]["value"] for row in json.loads(done.stdout)["results"]["bindings"]]
    assert notes == ['He said "ok" \\ then\nleft: Ørsted, 東京']

