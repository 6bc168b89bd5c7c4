"""Query the built store (``kg query``, ``kg stats``) and render results for a terminal or a file."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pyoxigraph as ox

from .errors import InvalidInput
from .terms import compact, sparql_prefixes

FORMATS = ("table", "csv", "tsv", "json")


def read_query(query_or_file: str) -> str:
    """The query text: the argument itself, or the file it names ('-' for stdin is the CLI's job)."""
    path = Path(query_or_file)
    if query_or_file.endswith((".rq", ".ru", ".sparql")) or (len(query_or_file) < 4096 and path.is_file()):
        return path.read_text(encoding="utf-8")
    return query_or_file


_POSITION = re.compile(r"error at (\d+):(\d+): ")


def where_and_why(e: SyntaxError, lines_before: int = 0) -> tuple[str, str]:
    """A SPARQL syntax error of pyoxigraph's as ("line:column", what is wrong), the line counted from
    after ``lines_before`` lines that were put before the text."""
    message = str(e)
    found = _POSITION.search(message)
    if found is None:
        return "1:1", message
    return f"{int(found.group(1)) - lines_before}:{found.group(2)}", message[found.end():]


def run(store: ox.Store, text: str, prefixes: bool = True):
    """Evaluate a SPARQL query; the store's default graph is the union of all graphs.

    The project's prefixes (sc:, org:, body:, ...) are predeclared unless
    ``prefixes`` is false.  Raises InvalidInput on a syntax error, with the line and column within ``text``.
    """
    header = sparql_prefixes() if prefixes else ""
    try:
        return store.query(header + text)
    except SyntaxError as e:
        where, why = where_and_why(e, header.count("\n"))
        raise InvalidInput(f"query: error at {where}: {why}") from None


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value)
    if isinstance(term, ox.Literal):
        return term.value + (f"@{term.language}" if term.language else "")
    return str(term)


def render(result, fmt: str = "table") -> str:
    """Render SELECT/ASK results as table, csv, tsv or json; graphs as Turtle.

    The table shows IRIs as prefixed names where the project knows the prefix;
    csv, tsv and json are the standard SPARQL result formats, unchanged.
    """
    if isinstance(result, bool):
        return "true" if result else "false"
    if isinstance(result, ox.QueryBoolean):
        return "true" if bool(result) else "false"
    if isinstance(result, ox.QueryTriples):
        return ox.serialize(list(result), format=ox.RdfFormat.TURTLE).decode("utf-8")
    if fmt in ("csv", "tsv", "json"):
        kind = {"csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
                "json": ox.QueryResultsFormat.JSON}[fmt]
        return result.serialize(format=kind).decode("utf-8")
    names = [v.value for v in result.variables]
    rows = [[_cell(row[v]) for v in result.variables] for row in result]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    out = io.StringIO()
    out.write("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return out.getvalue()


STATS_DEFAULT = "SELECT (COUNT(*) AS ?triples_in_default_graph_the_union) WHERE { ?s ?p ?o }"
STATS_GRAPHS = ("SELECT ?graph (COUNT(*) AS ?triples) WHERE { GRAPH ?graph { ?s ?p ?o } } "
                "GROUP BY ?graph ORDER BY ?graph")
STATS_CLASSES = """SELECT ?class (COUNT(DISTINCT ?entity) AS ?entities)
WHERE { ?entity a ?class . FILTER(isIRI(?entity)) } GROUP BY ?class ORDER BY DESC(?entities) ?class"""
