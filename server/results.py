"""Query results as bytes in a negotiated format, within a row limit and a byte limit.

SELECT results go through pyoxigraph's own writers (SPARQL 1.1 Query Results
JSON, XML, CSV and TSV) into a buffer that refuses to grow past the byte limit
and counts the rows as they are written, by a text the writer puts at least
once per row: a count never too low, so the writing stops as soon as the limit
may be passed; only then are the rows counted one by one, the query run again.
Written in Rust, a small result takes a third less time than read into Python
and written here.  Graphs (CONSTRUCT, DESCRIBE) and datasets go through
pyoxigraph's serialisers once their triples are counted.
"""

from __future__ import annotations

import io
import itertools
import json
from typing import Callable

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


class _Over(Exception):
    """The rows written so far may be more than the limit allows (their count is never too low)."""


class _Capped(io.BytesIO):
    """A buffer for a result being written: raises TooLarge rather than hold more than ``max_bytes``
    bytes, and _Over once ``mark`` has been written more than ``most`` times.  pyoxigraph writes into it
    in blocks of 8 KB, so a small result costs one call."""

    def __init__(self, max_bytes: int, mark: bytes = b"", most: int = 0):
        super().__init__()
        self.max_bytes, self.mark, self.most = max_bytes, mark, most
        self.seen, self.tail = 0, b""  # marks so far; the end of the last block, where a mark may begin

    def write(self, data) -> int:
        if self.mark:
            block = self.tail + bytes(data)
            self.seen += block.count(self.mark)  # the tail is shorter than a mark: none is counted twice
            self.tail = block[1 - len(self.mark):] if len(self.mark) > 1 else b""
            if self.seen > self.most:
                raise _Over()
        if self.tell() + len(data) > self.max_bytes:
            raise TooLarge(f"the response would be more than {self.max_bytes} bytes (KG_MAX_RESPONSE_BYTES); "
                           f"add a LIMIT or narrow the query")
        return super().write(data)


# per format: pyoxigraph's writer, and a text that its output holds at least once per row (more often
# only where a literal holds it too) with how many times it occurs besides
RESULTS_FORMATS = {
    "json": (ox.QueryResultsFormat.JSON, b"},{", -1),   # between two rows: {...},{...}
    "xml": (ox.QueryResultsFormat.XML, b"<result>", 0),  # a < in a value is written &lt;
    "csv": (ox.QueryResultsFormat.CSV, b"\n", 1),        # the header line, then a line per row
    "tsv": (ox.QueryResultsFormat.TSV, b"\n", 1),
}


def solutions(result: ox.QuerySolutions, fmt: str, max_rows: int, max_bytes: int,
              again: Callable[[], ox.QuerySolutions]) -> bytes:
    """SELECT results in ``fmt`` (a key of SOLUTION_FORMATS); raises TooManyRows, TooLarge.  ``again``
    runs the query anew, if the rows must be counted one by one."""
    writer, mark, besides = RESULTS_FORMATS[fmt]
    try:
        return _written(result, writer, _Capped(max_bytes, mark, max_rows + besides))
    except _Over:
        pass
    if sum(1 for _ in itertools.islice(again(), max_rows + 1)) > max_rows:
        raise TooManyRows(f"the result has more than {max_rows} rows (KG_MAX_ROWS); add a LIMIT or narrow the query")
    return _written(again(), writer, _Capped(max_bytes))  # a literal held the mark: only the bytes limit


def _written(result: ox.QuerySolutions, writer: ox.QueryResultsFormat, out: _Capped) -> bytes:
    result.serialize(out, format=writer)
    return out.getvalue()


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
