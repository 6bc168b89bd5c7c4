"""Query results as bytes in a negotiated format, within a row limit and a byte limit.

SELECT results go through pyoxigraph's own writers (SPARQL 1.1 Query Results
JSON, XML, CSV and TSV) into a buffer that refuses to grow past the byte limit;
their rows are counted in the written text afterwards.  Written in Rust, a
small result takes a third less time than read into Python and written here.
Graphs (CONSTRUCT, DESCRIBE) and datasets go through pyoxigraph's serialisers
once their triples are counted.
"""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox

# format name -> media type, in order of preference
SOLUTION_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}
DATASET_FORMATS = {
    "trig": "application/trig",
    "nquads": "application/n-quads",
}
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD, "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS,
}


class TooManyRows(Exception):
    """The result has more rows (solutions or triples) than the limit allows."""


class TooLarge(Exception):
    """The result, written, would be longer than the limit allows."""


class _Capped(io.BytesIO):
    """A buffer that raises TooLarge rather than hold more than ``limit`` bytes.  pyoxigraph writes
    into it in blocks of 8 KB, so a small result costs one call."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def write(self, data) -> int:
        if self.tell() + len(data) > self.limit:
            raise TooLarge(f"the response would be more than {self.limit} bytes (KG_MAX_RESPONSE_BYTES); "
                           f"add a LIMIT or narrow the query")
        return super().write(data)


# per format: pyoxigraph's writer, and a text that its output holds at least once per row (more often
# only where a literal holds it too) with how many times it occurs besides: a count of rows that is
# never too low, read in C, and checked exactly only when it is over the limit
RESULTS_FORMATS = {
    "json": (ox.QueryResultsFormat.JSON, b"},{", -1),   # between two rows: {...},{...}
    "xml": (ox.QueryResultsFormat.XML, b"<result>", 0),  # a < in a value is written &lt;
    "csv": (ox.QueryResultsFormat.CSV, b"\n", 1),        # the header line, then a line per row
    "tsv": (ox.QueryResultsFormat.TSV, b"\n", 1),
}


def solutions(result: ox.QuerySolutions, fmt: str, max_rows: int, max_bytes: int) -> bytes:
    """SELECT results in ``fmt`` (a key of SOLUTION_FORMATS); raises TooManyRows, TooLarge."""
    writer, mark, besides = RESULTS_FORMATS[fmt]
    out = _Capped(max_bytes)
    result.serialize(out, format=writer)
    data = out.getvalue()
    if data.count(mark) - besides > max_rows and _rows(data, fmt) > max_rows:
        raise TooManyRows(f"the result has more than {max_rows} rows (KG_MAX_ROWS); add a LIMIT or narrow the query")
    return data


def _rows(data: bytes, fmt: str) -> int:
    """The rows of a written result, read back (pyoxigraph does not read CSV: it loses term kinds)."""
    if fmt == "csv":
        return sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline=""))) - 1
    return sum(1 for _ in ox.parse_query_results(data, RESULTS_FORMATS[fmt][0]))


def boolean(value: bool, fmt: str) -> bytes:
    """An ASK result in ``fmt``."""
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if fmt == "xml":
        return (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{str(value).lower()}</boolean></sparql>\n").encode("utf-8")
    return (("_askResult\r\n" if fmt == "csv" else "?_askResult\n") + str(value).lower() + "\n").encode("utf-8")


def triples(result, fmt: str, max_rows: int, max_bytes: int) -> bytes:
    """CONSTRUCT or DESCRIBE results (or a graph's quads) in ``fmt``; raises TooManyRows, TooLarge."""
    items = []
    for item in result:
        if len(items) == max_rows:
            raise TooManyRows(f"the result has more than {max_rows} triples (KG_MAX_ROWS); add a LIMIT or narrow "
                              f"the query")
        items.append(item)
    out = _Capped(max_bytes)
    ox.serialize(items, out, format=RDF_FORMATS[fmt])
    return out.getvalue()
