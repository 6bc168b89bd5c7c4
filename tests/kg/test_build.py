"""``kg build``: a good build, broken input that changes nothing (through the installed command), and what
a build derives (in process)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build, derive, replayed
from kg.errors import InvalidInput
from kg.load import load

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def store_state(run_kg, project: Path) -> tuple[str, str]:
    """Where the store link points, and how many triples the default graph holds."""
    count = run_kg("query", "--format", "csv", COUNT, cwd=project)
    assert count.returncode == 0, count.stderr
    return str((project / "var" / "store").readlink()), count.stdout


def test_build_reports_graphs_and_stages(built_project, run_kg, tmp_path):
    """A good build prints the triples per graph and the time of each stage, and exits 0."""
    shutil.copytree(built_project, tmp_path / "p", symlinks=True)
    done = run_kg("build", cwd=tmp_path / "p")
    assert done.returncode == 0, done.stderr
    assert "graph:imewg-article" in done.stdout
    assert "graph:inferred" in done.stdout
    stages = r"stages: load [\d.]+s, reason [\d.]+s, write [\d.]+s, shapes [\d.]+s, checks [\d.]+s, publish"
    assert re.search(stages, done.stdout)


def test_rebuild_swaps_in_a_new_store(project_copy, run_kg):
    """A second good build points the store link at a new version and keeps the data."""
    before = store_state(run_kg, project_copy)
    assert run_kg("build", cwd=project_copy).returncode == 0
    after = store_state(run_kg, project_copy)
    assert after[0] != before[0]
    assert after[1] == before[1]


BROKEN = {
    "turtle syntax error": (
        "data/imewg/imewg-article.ttl", 'body:imewg skos:note "never closed .\n',
        r"data/imewg/imewg-article\.ttl:\d+:\d+: "),
    "undefined prefix": (
        "data/isecg/isecg-about.ttl", "nope:thing a sc:SpaceAgency .\n",
        r"data/isecg/isecg-about\.ttl:\d+:1: The prefix nope: has not been declared"),
    "shape violation": (
        "data/isecg/isecg-about.ttl",
        "membership:isecg-orphan a org:Membership ; skos:prefLabel \"orphan\"@en ; org:organization body:isecg ; "
        "org:role role:member .\n",
        r"data/isecg/isecg-about\.ttl: membership:isecg-orphan: org:member: "),
    "literal where an IRI belongs (shape)": (
        "data/agencies/imewg-article.ttl", 'membership:imewg-nasa org:organization "IMEWG" .\n',
        r"data/agencies/imewg-article\.ttl: membership:imewg-nasa: org:organization: .*\(value: \"IMEWG\"\)"),
    "literal where an IRI belongs (check)": (
        "data/imewg/imewg-article.ttl", 'body:imewg sc:theme "exobiology" .\n',
        r"object-property-value\.rq: .*\n  data/imewg/imewg-article\.ttl: body:imewg sc:theme \"exobiology\""),
    "misspelt term": (
        "data/imewg/imewg-article.ttl", "body:imars sc:charterdBy body:imewg .\n",
        r"undeclared-term\.rq: .*\n  data/imewg/imewg-article\.ttl: sc:charterdBy graph:imewg-article"),
}


@pytest.mark.parametrize("case", BROKEN, ids=str)
def test_broken_input_fails_and_changes_nothing(project_copy, run_kg, case):
    """Broken data gives exit 1 and a message naming the place, and the previous store stays as it was."""
    path, addition, message = BROKEN[case]
    before = store_state(run_kg, project_copy)
    with open(project_copy / path, "a", encoding="utf-8") as f:
        f.write(addition)
    done = run_kg("build", cwd=project_copy)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(message, done.stderr), done.stderr
    assert "Traceback" not in done.stderr
    assert store_state(run_kg, project_copy) == before
    assert len(list((project_copy / "var" / "store.versions").iterdir())) == 1


def test_data_file_without_a_source_is_refused(project_copy, run_kg):
    """A data file not named after a described source graph fails the build, naming the file."""
    (project_copy / "data" / "imewg" / "notes.ttl").write_text("")
    done = run_kg("build", cwd=project_copy)
    assert done.returncode == 1
    assert "data/imewg/notes.ttl: its facts would go to graph <https://w3id.org/spacecoord/graph/notes>" in done.stderr


def test_validate_writes_nothing(project_copy, run_kg):
    """``kg validate`` checks the data, exits 0 and leaves the store alone."""
    before = store_state(run_kg, project_copy)
    done = run_kg("validate", cwd=project_copy)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("conforms:")
    assert store_state(run_kg, project_copy) == before


def test_validate_reports_a_violation_with_exit_1(project_copy, run_kg):
    """``kg validate`` on broken data exits 1 and names the offending resource and file."""
    with open(project_copy / "data/imewg/imewg-article.ttl", "a", encoding="utf-8") as f:
        f.write("body:imewg sc:succeeds body:imewg .\n")
    done = run_kg("validate", cwd=project_copy)
    assert done.returncode == 1
    assert "succeeds-itself.rq: No organisation succeeds itself" in done.stderr
    assert "body:imewg" in done.stderr


def test_a_stray_directory_is_not_replaced(project_copy, run_kg):
    """If the store path is a real folder, the build refuses to replace it (exit 2)."""
    target = project_copy / "elsewhere"
    target.mkdir()
    done = run_kg("build", "--store-dir", str(target), cwd=project_copy)
    assert done.returncode == 2
    assert "is not a store link made by 'kg build'" in done.stderr


def test_another_base_iri_rewrites_every_minted_iri(project_settings):
    """With KG_BASE_IRI set, the graph is built under that base and no canonical IRI is left."""
    settings = project_settings.with_(base_iri="https://example.org/kg/")
    store, _ = derive(settings, load(settings))
    iris = {t.value for q in store for t in (q.subject, q.predicate, q.object, q.graph_name)
            if isinstance(t, ox.NamedNode)}
    assert "https://example.org/kg/body/nasa" in iris
    assert "https://example.org/kg/graph/imewg-article" in iris
    assert not [i for i in iris if i.startswith("https://w3id.org/spacecoord/")]


def test_a_journal_that_cannot_be_replayed_fails_the_build_naming_its_line(project_settings, tmp_path):
    """A journal that is not a SPARQL Update fails the build with its line and column; no store is made."""
    settings = project_settings.with_(store_dir=tmp_path / "store")
    (tmp_path / "store.updates.ru").write_text("# applied\nINSERT DATA { <urn:a> <urn:b> }\n")
    with pytest.raises(InvalidInput, match=r"store\.updates\.ru:2:\d+: "):
        build(settings)
    assert not (tmp_path / "store").exists()


def test_the_journal_is_replayed_after_the_files(project_settings, tmp_path):
    """What the journal inserts is in the graphs a build derives from."""
    settings = project_settings.with_(store_dir=tmp_path / "store")
    graph = "https://w3id.org/spacecoord/graph/wikipedia-ilewg"
    (tmp_path / "store.updates.ru").write_text(
        f"INSERT DATA {{ GRAPH <{graph}> {{ <https://w3id.org/spacecoord/body/esa> "
        f"<http://www.w3.org/2004/02/skos/core#altLabel> \"Journal\" }} }}\n")
    quads = set(replayed(load(settings)).dataset.quads())
    assert ox.Quad(ox.NamedNode("https://w3id.org/spacecoord/body/esa"),
                   ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"), ox.Literal("Journal"),
                   ox.NamedNode(graph)) in quads
