"""``kg query`` and ``kg stats`` through the installed command, against a built store."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IMEWG_MEMBERS = "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m org:memberOf body:imewg }"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder whose store has been built by ``kg build``."""
    from conftest import kg_command

    base = tmp_path_factory.mktemp("cli")
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, base / folder)
    done = subprocess.run(kg_command() + ["build"], cwd=base, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return base


def test_query_prints_a_table_by_default(project, run_kg):
    """A SELECT prints an aligned table with a row count, using the predeclared prefixes."""
    done = run_kg("query", IMEWG_MEMBERS, cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["n", "--", "42", "(1 row)"]


@pytest.mark.parametrize("fmt, check", [
    ("csv", lambda out: out.replace("\r\n", "\n") == "n\n42\n"),
    ("tsv", lambda out: out.replace("\r\n", "\n").splitlines()[1].startswith("42")),
    ("json", lambda out: json.loads(out)["results"]["bindings"][0]["n"]["value"] == "42"),
])
def test_query_formats(project, run_kg, fmt, check):
    """--format csv, tsv and json print the standard SPARQL result serialisations."""
    done = run_kg("query", "--format", fmt, IMEWG_MEMBERS, cwd=project)
    assert done.returncode == 0, done.stderr
    assert check(done.stdout), done.stdout


def test_query_from_a_file_and_from_stdin(project, run_kg):
    """The query can come from a .rq file or from standard input ('-')."""
    (project / "q.rq").write_text(IMEWG_MEMBERS)
    assert run_kg("query", "--format", "csv", "q.rq", cwd=project).stdout.endswith("42\n")
    assert run_kg("query", "--format", "csv", "-", cwd=project, input=IMEWG_MEMBERS).stdout.endswith("42\n")


def test_construct_prints_turtle(project, run_kg):
    """A CONSTRUCT prints Turtle."""
    done = run_kg("query", "CONSTRUCT { body:nasa skos:altLabel ?l } WHERE { body:nasa skos:altLabel ?l }", cwd=project)
    assert done.returncode == 0, done.stderr
    assert '"NASA"' in done.stdout and "<https://w3id.org/spacecoord/body/nasa>" in done.stdout


def test_ask_prints_true_or_false(project, run_kg):
    """An ASK prints true or false."""
    assert run_kg("query", "ASK { body:uksa sc:replaces body:bnsc }", cwd=project).stdout.strip() == "true"
    assert run_kg("query", "ASK { body:bnsc sc:replaces body:uksa }", cwd=project).stdout.strip() == "false"


def test_bad_query_names_line_and_column(project, run_kg):
    """A malformed query exits 1 with the line and column within the query itself."""
    done = run_kg("query", "SELECT * WHERE {\n  ?s ?p }", cwd=project)
    assert done.returncode == 1
    assert done.stderr.startswith("query: error at 2:")
    assert "Traceback" not in done.stderr


def test_query_without_a_store_exits_2(tmp_path, run_kg):
    """Querying before any build exits 2 and says to run kg build."""
    done = run_kg("query", "ASK {}", cwd=tmp_path)
    assert done.returncode == 2
    assert "run 'kg build' first" in done.stderr


def test_stats_lists_graphs_and_classes(project, run_kg):
    """``kg stats`` prints triples per named graph and entities per class."""
    done = run_kg("stats", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "https://w3id.org/spacecoord/graph/imewg-article" in done.stdout
    assert "http://www.w3.org/ns/org#Organization" in done.stdout


def test_unknown_option_is_a_usage_error(project, run_kg):
    """An unknown option exits 2, as a usage error."""
    assert run_kg("build", "--no-such-option", cwd=project).returncode == 2
