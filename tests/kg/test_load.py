"""Loading: every file goes to the graph of its source, the rules and the journal come along, and bad
input is refused naming the file (and line and column)."""

from __future__ import annotations

import shutil

import pytest

from kg.errors import InvalidInput
from kg.load import load
from kg.terms import graph_iri


@pytest.fixture
def project(root, tmp_path, project_settings):
    """Settings of a copy of the project's ontology and data that a test may break."""
    for folder in ("ontology", "data"):
        shutil.copytree(root / folder, tmp_path / folder)
    return project_settings.with_(ontology_dir=tmp_path / "ontology", data_dir=tmp_path / "data",
                                  store_dir=tmp_path / "var" / "store")


def test_each_file_goes_to_the_graph_of_its_source(project_settings):
    """Ontology files go to graph/ontology, sources.ttl to graph/metadata, a data file to graph/<its name>."""
    inputs = load(project_settings)
    graphs = {f.path.name: f.graph.value.rsplit("/", 1)[1] for f in inputs.dataset.files}
    assert graphs["spacecoord.ttl"] == "ontology"
    assert graphs["sources.ttl"] == "metadata"
    assert graphs["imewg-article.ttl"] == "imewg-article"
    assert len(inputs.dataset.graph_names()) > 40


def test_the_rules_come_with_the_graphs(project_settings):
    """The shapes and every check are read, each check with its opening comment as its reason."""
    rules = load(project_settings).rules
    assert rules.shapes_path.name == "shapes.ttl"
    assert len(rules.shapes) > 100
    assert len(rules.checks) == 19
    assert all(check.why for check in rules.checks)


def test_the_journal_is_read_when_there_is_one(project):
    """No journal beside the store: none; one: its text, for the build to replay."""
    assert load(project).journal is None
    project.store_dir.parent.mkdir(parents=True)
    (project.store_dir.parent / "store.updates.ru").write_text("# applied\nINSERT DATA { }\n")
    assert load(project).journal.text.startswith("# applied")


def test_graph_names_follow_the_base_iri(project):
    """With another base IRI, graph names and minted IRIs are rewritten to it."""
    inputs = load(project.with_(base_iri="https://example.org/kg/"))
    assert graph_iri("https://example.org/kg/", "ontology") in inputs.dataset.graph_names()
    assert not [g for g in inputs.dataset.graph_names() if g.value.startswith("https://w3id.org/")]


def refused(settings) -> str:
    with pytest.raises(InvalidInput) as e:
        load(settings)
    return str(e.value)


def test_a_data_file_without_a_source_is_refused(project):
    """A data file not named after a source graph that sources.ttl describes is refused, naming both."""
    (project.data_dir / "imewg" / "notes.ttl").write_text("")
    assert "data/imewg/notes.ttl: its facts would go to graph <https://w3id.org/spacecoord/graph/notes>, which " \
        in refused(project)


def test_a_syntax_error_names_file_line_and_column(project):
    """A Turtle error is reported as file:line:column: message."""
    with open(project.data_dir / "isecg" / "isecg-about.ttl", "a", encoding="utf-8") as f:
        f.write("nope:thing a sc:SpaceAgency .\n")
    assert refused(project).endswith("data/isecg/isecg-about.ttl:254:1: The prefix nope: has not been declared")


@pytest.mark.parametrize("remove, says", [
    ("data/sources.ttl", "sources.ttl: missing; it describes the source of every data file"),
    ("ontology/shapes.ttl", "shapes.ttl: missing; the SHACL shapes live here"),
    ("data", "no such folder (run from the project root or set KG_DATA_DIR)"),
])
def test_a_missing_input_is_refused_naming_it(project, remove, says):
    """Without its sources, its shapes or its data folder, a project does not load, and says what is missing."""
    path = project.data_dir.parent / remove
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert says in refused(project)


def test_a_check_must_say_why_it_exists(project):
    """A check without an opening comment is refused at its first line."""
    (project.ontology_dir / "checks" / "silent.rq").write_text("SELECT ?s WHERE { ?s ?p ?o } LIMIT 0\n")
    assert refused(project).endswith("silent.rq:1:1: a check must open with a comment saying why it exists")
