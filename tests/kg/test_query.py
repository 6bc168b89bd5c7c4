"""``kg query`` and ``kg stats`` through the installed command, against a built store."""

from __future__ import annotations

import json
import re

import pytest

IMEWG_MEMBERS = "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m org:memberOf body:imewg }"


def test_query_prints_a_table_by_default(built_project, run_kg):
    """A SELECT prints an aligned table with a row count, using the predeclared prefixes."""
    done = run_kg("query", IMEWG_MEMBERS, cwd=built_project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["n", "--", "42", "(1 row)"]


@pytest.mark.parametrize("fmt, check", [
    ("csv", lambda out: out.replace("\r\n", "\n") == "n\n42\n"),
    ("tsv", lambda out: out.replace("\r\n", "\n").splitlines()[1].startswith("42")),
    ("json", lambda out: json.loads(out)["results"]["bindings"][0]["n"]["value"] == "42"),
])
def test_query_formats(built_project, run_kg, fmt, check):
    """--format csv, tsv and json print the standard SPARQL result serialisations."""
    done = run_kg("query", "--format", fmt, IMEWG_MEMBERS, cwd=built_project)
    assert done.returncode == 0, done.stderr
    assert check(done.stdout), done.stdout


def test_query_from_a_file_and_from_stdin(built_project, run_kg, tmp_path):
    """The query can come from a .rq file or from standard input ('-')."""
    (tmp_path / "q.rq").write_text(IMEWG_MEMBERS)
    assert run_kg("query", "--format", "csv", str(tmp_path / "q.rq"), cwd=built_project).stdout.endswith("42\n")
    assert run_kg("query", "--format", "csv", "-", cwd=built_project, stdin=IMEWG_MEMBERS).stdout.endswith("42\n")


def test_construct_prints_turtle(built_project, run_kg):
    """A CONSTRUCT prints Turtle."""
    text = "CONSTRUCT { body:nasa skos:altLabel ?l } WHERE { body:nasa skos:altLabel ?l }"
    done = run_kg("query", text, cwd=built_project)
    assert done.returncode == 0, done.stderr
    assert '"NASA"' in done.stdout
    assert "<https://w3id.org/spacecoord/body/nasa>" in done.stdout


def test_ask_prints_true_or_false(built_project, run_kg):
    """An ASK prints true or false."""
    assert run_kg("query", "ASK { body:uksa sc:replaces body:bnsc }", cwd=built_project).stdout.strip() == "true"
    assert run_kg("query", "ASK { body:bnsc sc:replaces body:uksa }", cwd=built_project).stdout.strip() == "false"


def test_bad_query_names_line_and_column(built_project, run_kg):
    """A malformed query exits 1 with the line and column within the query itself."""
    done = run_kg("query", "SELECT * WHERE {\n  ?s ?p }", cwd=built_project)
    assert done.returncode == 1
    assert done.stderr.startswith("query: error at 2:")
    assert "Traceback" not in done.stderr


def test_query_file_that_does_not_exist_exits_2(built_project, run_kg):
    """A .rq argument naming no file is a usage error (exit 2) that names the file."""
    done = run_kg("query", "missing.rq", cwd=built_project)
    assert done.returncode == 2
    assert "missing.rq: No such file or directory" in done.stderr


def test_query_without_a_store_exits_2(tmp_path, run_kg):
    """Querying before any build exits 2 and says to run kg build."""
    done = run_kg("query", "ASK {}", cwd=tmp_path)
    assert done.returncode == 2
    assert "run 'kg build' first" in done.stderr


def test_stats_lists_graphs_and_classes(built_project, run_kg):
    """``kg stats`` prints triples per named graph and entities per class."""
    done = run_kg("stats", cwd=built_project)
    assert done.returncode == 0, done.stderr
    assert "graph:imewg-article" in done.stdout
    assert re.search(r"org:Organization +\d+", done.stdout)
