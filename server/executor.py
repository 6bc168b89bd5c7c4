"""Queries run in a child process, so that a query past its time can really be stopped.

pyoxigraph cannot cancel a query, so each server process hands its queries to
one child process that has the store open; on timeout the child is killed and
a new one started, and the server process goes on serving.  The child also
serialises the result, so the row and size limits are enforced where the
solutions are read.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass

import pyoxigraph as ox

from kg.namespaces import PREFIXES

from . import results


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
    status: int
    kind: str              # "solutions", "boolean", "graph", "error", or "died" (the query process)
    body: bytes = b""
    fmt: str | None = None
    message: str = ""


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped."""


def _store(store_dir: str, held: dict) -> ox.Store:
    version = os.path.realpath(store_dir)
    if held.get("version") != version:
        held["store"] = ox.Store.read_only(version)
        held["version"] = version
    return held["store"]


def evaluate(store: ox.Store, r: Request) -> Answer:
    """Run ``r`` on ``store`` and serialise its result; every failure is an Answer with its status."""
    graphs = [ox.NamedNode(g) for g in r.default_graph] if r.default_graph is not None else None
    named = [ox.NamedNode(g) for g in r.named_graphs] if r.named_graphs is not None else None
    try:
        result = store.query(r.query, prefixes=PREFIXES, default_graph=graphs, named_graphs=named)
        kind = ("boolean" if isinstance(result, ox.QueryBoolean) else
                "solutions" if isinstance(result, ox.QuerySolutions) else "graph")
        fmt = r.formats["graph" if kind == "graph" else "solutions"]
        if fmt is None:
            return Answer(406, kind, message=f"no acceptable format for a {kind} result")
        if kind == "boolean":
            data = results.boolean(bool(result), fmt)
        elif kind == "solutions":
            data = results.solutions(result, fmt, r.max_rows)
        else:
            data = results.triples(result, fmt, r.max_rows)
    except SyntaxError as e:
        return Answer(400, "error", message=f"query: {e}")
    except results.TooManyRows as e:
        return Answer(400, "error", message=str(e))
    except (OSError, RuntimeError) as e:  # rows are read lazily: a remote's bad answer surfaces here too
        if r.federated:
            return Answer(502, "error", message=f"a SERVICE call failed: {e}")
        return Answer(500, "error", message=f"evaluation failed: {e}")
    if len(data) > r.max_bytes:
        return Answer(400, "error", message=f"the response would be {len(data)} bytes, more than the limit of "
                                              f"{r.max_bytes}; add a LIMIT or narrow the query")
    return Answer(200, kind, data, fmt)


def _serve(conn, store_dir: str) -> None:
    held: dict = {}
    try:
        _store(store_dir, held)  # opened before the first query arrives, if it is built yet
    except OSError:
        pass
    while True:
        request = conn.recv()
        try:
            store = _store(store_dir, held)
        except OSError as e:
            conn.send(Answer(503, "error", message=f"the store cannot be opened: {e}"))
            continue
        try:
            answer = evaluate(store, request)
        except Exception as e:  # noqa: BLE001 -- this process must answer and live on, whatever pyoxigraph raises
            answer = Answer(500, "error", message=f"evaluation failed: {type(e).__name__}: {e}")
        conn.send(answer)


class Executor:
    """One query process for one server process; started at worker boot (or on first use), replaced after a timeout."""

    def __init__(self, store_dir: str):
        self.store_dir = store_dir
        self.process = None
        self.conn = None

    def start(self) -> None:
        """Start the query process now, so the first query does not wait for it."""
        if self.process is None or not self.process.is_alive():
            self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh process: nothing of a parent's store
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.store_dir), daemon=True,
                                       name="kg-query")
        self.process.start()
        child.close()

    def run(self, request: Request, timeout: float) -> Answer:
        """The answer to ``request``; raises QueryTimeout after ``timeout`` seconds, having killed the query."""
        self.start()
        self.conn.send(request)
        if not self.conn.poll(timeout):
            self.stop()
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
        try:
            return self.conn.recv()
        except EOFError:  # the query process died (out of memory, a crash)
            self.stop()
            return Answer(500, "died", message="the query process died while evaluating this query")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.process = None
