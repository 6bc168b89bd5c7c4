"""Competency questions: SPARQL files under tests/competency/, each with its expected answer.

Each NAME.rq opens with the question, a ``# covers:`` line naming the source
paragraphs it checks, and ``# vocabulary: standard`` when it uses only W3C ORG,
SKOS, OWL-Time, DCTERMS and PROV terms.  NAME.csv is the expected answer in
SPARQL CSV; rows are compared in order when the query has ORDER BY, as a
multiset otherwise.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

FOLDER = Path(__file__).parent / "competency"
QUERIES = sorted(FOLDER.glob("*.rq"))

# Every paragraph of the three source documents the graph is built from (data/sources.ttl describes them).
PARAGRAPHS = {
    "000-intro", "000-founders", "000-recommendations", "000-charter-1996", "000-mission-losses",
    "000-themes", "000-imars", "000-tor-2024", "000-agencies", "000-previously", "000-see-also",
    "001-first-conference", "001-second-conference", "001-indication-of-interest", "001-ncts",
    "001-rationale", "001-photo",
    "002-ges", "002-meetings", "002-chair", "002-scope", "002-principles", "002-footnote",
}

STANDARD_NAMESPACES = ("http://www.w3.org/ns/org#", "http://www.w3.org/2004/02/skos/core#",
                       "http://www.w3.org/2006/time#", "http://purl.org/dc/terms/",
                       "http://www.w3.org/ns/prov#", "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                       "http://www.w3.org/2000/01/rdf-schema#", "http://www.w3.org/2001/XMLSchema#",
                       "http://xmlns.com/foaf/0.1/")


def header(path: Path, key: str) -> list[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# {key}:"):
            return [v.strip() for v in line.split(":", 1)[1].split(",")]
    return []


def test_the_suite_has_not_shrunk():
    """The suite holds 44 competency questions, 17 of them in standard vocabularies only."""
    assert len(QUERIES) == 44
    assert sum(1 for q in QUERIES if header(q, "vocabulary") == ["standard"]) == 17


def test_every_source_paragraph_is_covered():
    """Together the questions cover every paragraph of the three source documents."""
    covered = {p for q in QUERIES for p in header(q, "covers")}
    assert covered - PARAGRAPHS == set(), "unknown paragraph names"
    assert PARAGRAPHS - covered == set(), "paragraphs no question covers"


@pytest.mark.parametrize("path", [q for q in QUERIES if header(q, "vocabulary") == ["standard"]],
                         ids=lambda p: p.stem)
def test_standard_questions_use_only_standard_terms(path):
    """A question marked standard uses no term of our own ontology."""
    text = path.read_text(encoding="utf-8")
    prefixes = dict(re.findall(r"PREFIX\s+(\w*):\s*<([^>]+)>", text))
    assert all(ns in STANDARD_NAMESPACES for ns in prefixes.values()), prefixes
    assert "spacecoord/ontology" not in text


def rows(csv_text: str) -> list[tuple[str, ...]]:
    return [tuple(r) for r in csv.reader(io.StringIO(csv_text))]


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_competency_question(built_store, path):
    """The question's answer over the built store is the expected one."""
    query = path.read_text(encoding="utf-8")
    expected = rows(path.with_suffix(".csv").read_text(encoding="utf-8"))
    result = built_store.query(query)
    actual = rows(result.serialize(format=ox.QueryResultsFormat.CSV).decode("utf-8"))
    assert actual[0] == expected[0], "columns differ"
    assert len(actual) > 1, "the question has no answer"
    if re.search(r"\bORDER\s+BY\b", query, re.IGNORECASE):
        assert actual[1:] == expected[1:]
    else:
        assert sorted(actual[1:]) == sorted(expected[1:])
