"""The SPARQL 1.1 Graph Store HTTP Protocol, /store, as Oxigraph's server has it: a graph or the whole
dataset, streamed; writes with the update token.

  GET /store?graph=IRI   one named graph: Turtle (default), N-Triples, RDF/XML, JSON-LD
  GET /store?default     the default graph queries see: the union of all graphs, or KG_DEFAULT_GRAPH's
  GET /store             the whole dataset as quads: TriG (default) or N-Quads

A graph can hold millions of triples, so bodies are streamed in batches and
never held whole in memory; a download is not subject to KG_MAX_RESPONSE_BYTES.
The stream keeps the store version it started on: ``kg build`` keeps the
previous version on disk (kg.store.KEEP_VERSIONS), and a read-only store that
is open reads on even once its folder is removed.

Writes, with the update token (writes.py): PUT replaces a named graph,
POST adds to it, DELETE drops it; each is the SPARQL Update it stands for,
applied as any other update (derived again, checked, journalled).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from itertools import islice

import pyoxigraph as ox
from flask import Blueprint, Response, abort, request

from kg.errors import InvalidInput
from kg.terms import PREFIXES, parse_term, turtle_prefixes
from kg.update import data_operation

from . import writes
from .context import context
from .negotiate import known, not_acceptable, pick
from .results import DATASET_FORMATS, GRAPH_FORMATS, RDF_FORMATS

bp = Blueprint("graphstore", __name__)
BATCH = 10_000     # quads serialised at a time by the line-based formats
PIECE = 1 << 16    # bytes handed to the server at a time; the worker's heartbeat beats between pieces
QUEUED = 64        # chunks (8 KB each) an RDF/XML or JSON-LD serialiser may run ahead of the client
_END = object()


def target() -> ox.NamedNode | ox.DefaultGraph | None:
    """The graph the request names: a named graph (``graph``), the default graph (``default``),
    or None for the whole dataset; aborts 400 naming the parameter."""
    graphs = request.args.getlist("graph")
    if graphs and "default" in request.args:
        abort(400, "parameters 'graph' and 'default' exclude each other; give one of them, or neither for the dataset")
    if len(graphs) > 1:
        abort(400, f"parameter 'graph' is given {len(graphs)} times; give it once")
    if "default" in request.args:
        return ox.DefaultGraph()
    if not graphs:
        return None
    value = graphs[0].strip()
    if not value:
        abort(400, "parameter 'graph' is empty; give a graph IRI such as https://w3id.org/spacecoord/graph/inferred")
    try:
        if value.startswith("<") or value.split(":", 1)[0] in PREFIXES:  # <https://...>, graph:inferred
            return parse_term(value)
        return ox.NamedNode(value)
    except (ValueError, InvalidInput) as e:
        abort(400, f"parameter 'graph': {value!r} is not an absolute IRI or a prefixed name: "
              + str(e).removeprefix(f"{value!r}: "))


@bp.get("/store")
def read():
    """A named graph, the default graph, or the whole dataset, streamed in the negotiated format."""
    name = target()
    offers, default = (DATASET_FORMATS, "trig") if name is None else (GRAPH_FORMATS, "turtle")
    fmt = known(request.args.get("format"), GRAPH_FORMATS | DATASET_FORMATS)
    fmt = pick(offers, default, fmt) or not_acceptable(offers)
    ctx = context()
    store = ctx.store.open()
    if isinstance(name, ox.NamedNode) and not store.contains_named_graph(name):
        abort(404, f"graph {name} is not in the store; the service description at /sparql lists the named graphs")
    if name == ox.DefaultGraph() and ctx.store.default_graphs() is not None:  # KG_DEFAULT_GRAPH: some graphs merged
        name = [ox.NamedNode(iri) for iri in ctx.store.default_graphs()]
    return Response(pieces(serialise(store, name, fmt), ctx.runtime.heartbeat),
                    200, {"Content-Type": f"{offers[fmt]}; charset=utf-8", "Vary": "Accept, Accept-Encoding"})


@bp.route("/store", methods=["PUT", "POST", "DELETE"])
def write():
    """Replace (PUT), add to (POST) or drop (DELETE) a named graph; 201 when PUT or POST creates it."""
    ctx = context()
    writes.authorize(ctx.settings)
    name = target()
    if not isinstance(name, ox.NamedNode):
        abort(400, "name the graph to write with ?graph=IRI: the default graph is derived (the union of all "
                   "graphs), and the dataset is written a graph at a time")
    existed = ctx.store.open().contains_named_graph(name)
    if request.method == "DELETE":
        if not existed:
            abort(404, f"graph {name} is not in the store")
        text = f"DROP GRAPH {name}"
    else:
        data = data_operation("INSERT DATA", (ox.Quad(t.subject, t.predicate, t.object, name)
                                              for t in writes.body_triples()))
        text = (f"DROP SILENT GRAPH {name} ;\n" if request.method == "PUT" else "") + data
    message, status, headers = writes.apply(ctx, text, refuse_load=False)  # a 'load' in the data is data
    created = not existed and ctx.store.open().contains_named_graph(name)  # the store now open is the new one
    return message, 201 if created else status, headers


def serialise(store: ox.Store, name, fmt: str) -> Iterator[bytes]:
    """The quads of graph ``name`` (None: every graph; a list: those graphs merged) of ``store`` in ``fmt``,
    as a stream of bytes."""
    def items():
        if isinstance(name, list):
            return (q.triple for g in name for q in store.quads_for_pattern(None, None, None, g))
        quads = store.quads_for_pattern(None, None, None, name)
        return quads if name is None else (q.triple for q in quads)

    if fmt in ("rdfxml", "jsonld"):
        return _threaded(items, fmt)
    return _batched(items, fmt)


def _batched(items: Callable, fmt: str) -> Iterator[bytes]:
    """Line-based formats, and Turtle and TriG, serialised a batch at a time and concatenated:
    the prefixes are written once, and stripped from the start of each batch."""
    prefixed = fmt in ("turtle", "trig")
    if prefixed:
        yield turtle_prefixes().encode("utf-8")
    kwargs = {"prefixes": PREFIXES} if prefixed else {}
    quads = items()
    while batch := list(islice(quads, BATCH)):
        data = ox.serialize(batch, format=RDF_FORMATS[fmt], **kwargs)
        start = 0
        while prefixed and data.startswith(b"@prefix ", start):
            start = data.index(b"\n", start) + 1
        yield data[start:]


def _threaded(items: Callable, fmt: str) -> Iterator[bytes]:
    """RDF/XML and JSON-LD, which cannot be concatenated: one serialiser runs in a thread and
    writes into a bounded queue this generator empties; closing the generator stops the thread."""
    chunks: queue.Queue = queue.Queue(maxsize=QUEUED)
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                return chunks.put(item, timeout=0.5)
            except queue.Full:
                continue
        raise BrokenPipeError("the client stopped reading")

    class Pipe:
        def write(self, data) -> int:
            put(bytes(data))
            return len(data)

        def flush(self) -> None:
            pass

    def run() -> None:
        try:
            ox.serialize(items(), output=Pipe(), format=RDF_FORMATS[fmt])
            end = _END
        except Exception as e:  # noqa: BLE001 -- handed to the generator, which raises it in the request
            end = e
        try:
            put(end)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=run, name="kg-store-serialiser", daemon=True)
    thread.start()
    try:
        while (chunk := chunks.get()) is not _END:
            if isinstance(chunk, Exception):
                raise chunk
            yield chunk
    finally:
        stop.set()
        thread.join()


def pieces(chunks: Iterator[bytes], heartbeat: Callable[[], None]) -> Iterator[bytes]:
    """``chunks`` in pieces of at most PIECE bytes, calling ``heartbeat`` before each, so that
    gunicorn does not take a long download for a hung worker; closing it closes ``chunks``."""
    try:
        for chunk in chunks:
            for start in range(0, len(chunk), PIECE):
                heartbeat()
                yield chunk[start:start + PIECE]
    finally:
        chunks.close()
