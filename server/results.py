"""A query evaluated and its result written: bytes in a negotiated format, within a row limit and a
byte limit.

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
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.exceptions import BadGateway, InternalServerError

from kg.errors import InvalidInput
from kg.terms import PREFIXES

from .negotiate import not_acceptable

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
RDF_OFFERS = GRAPH_FORMATS | DATASET_FORMATS  # a CONSTRUCT or DESCRIBE result may come as a dataset too
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD, "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS,
}


class TooManyRows(InvalidInput):
    """The result has more rows (solutions or triples) than the limit allows."""


class TooLarge(InvalidInput):
    """The result, written, would be longer than the limit allows."""


@dataclass(frozen=True)
class Request:
    query: str
    formats: dict          # "solutions" / "graph" -> format name or None (nothing acceptable)
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    max_rows: int = 100_000
    max_bytes: int = 100_000_000
    federated: bool = False  # calls a SERVICE: a network failure is the remote's (502), not ours


@dataclass(frozen=True)
class Answer:
    kind: str              # "solutions", "boolean" or "graph"
    body: bytes
    media_type: str


def answer(store: ox.Store, r: Request) -> Answer:
    """Run ``r`` on ``store`` and write its result.  Raises InvalidInput for a malformed query or a result
    past a limit, NotAcceptable when no format fits the kind of result, BadGateway when a SERVICE call
    fails, InternalServerError when the evaluation fails otherwise."""
    graphs = [ox.NamedNode(g) for g in r.default_graph] if r.default_graph is not None else None
    named = [ox.NamedNode(g) for g in r.named_graphs] if r.named_graphs is not None else None

    def run():
        return store.query(r.query, prefixes=PREFIXES, default_graph=graphs, named_graphs=named)
    try:
        result = run()
        kind = ("boolean" if isinstance(result, ox.QueryBoolean) else
                "solutions" if isinstance(result, ox.QuerySolutions) else "graph")
        offers = RDF_OFFERS if kind == "graph" else SOLUTION_FORMATS
        fmt = r.formats["graph" if kind == "graph" else "solutions"] or not_acceptable(offers)
        if kind == "boolean":
            data = boolean(bool(result), fmt)
        elif kind == "solutions":
            data = solutions(result, fmt, r.max_rows, r.max_bytes, again=run)
        else:
            data = triples(result, fmt, r.max_rows, r.max_bytes)
    except SyntaxError as e:
        raise InvalidInput(f"query: {e}") from None
    except (OSError, RuntimeError) as e:  # rows are read lazily: a remote's bad answer surfaces here too
        if r.federated:
            raise BadGateway(f"a SERVICE call failed: {e}") from None
        raise InternalServerError(f"evaluation failed: {e}") from None
    return Answer(kind, data, offers[fmt])


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
                f"<head/><boolean>{str(value).lower()}</boolean></sparql>\n").encode()
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
