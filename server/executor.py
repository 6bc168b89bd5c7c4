"""Queries run in the server process, watched; past the time limit the process answers 503 and ends.

pyoxigraph cannot cancel a query, but it lets go of Python's lock while it
evaluates. So each server process evaluates its queries itself, on the store it
has open, and a watchdog thread waits beside them: at a query's deadline the
watchdog sends the client the 503 (the query's own thread is still inside
pyoxigraph) and ends the process; gunicorn's master starts another, and the
other server processes serve on meanwhile.  Watching costs a query almost
nothing: no hand-off, no wake-up; the watchdog sleeps until the earliest
moment a query can be late.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

import pyoxigraph as ox

from kg.namespaces import PREFIXES

from . import results

log = logging.getLogger("kg.server")


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
    kind: str              # "solutions", "boolean", "graph" or "error"
    body: bytes = b""
    fmt: str | None = None
    message: str = ""


def evaluate(store: ox.Store, r: Request) -> Answer:
    """Run ``r`` on ``store`` and serialise its result; every failure is an Answer with its status."""
    graphs = [ox.NamedNode(g) for g in r.default_graph] if r.default_graph is not None else None
    named = [ox.NamedNode(g) for g in r.named_graphs] if r.named_graphs is not None else None

    def run():
        return store.query(r.query, prefixes=PREFIXES, default_graph=graphs, named_graphs=named)
    try:
        result = run()
        kind = ("boolean" if isinstance(result, ox.QueryBoolean) else
                "solutions" if isinstance(result, ox.QuerySolutions) else "graph")
        fmt = r.formats["graph" if kind == "graph" else "solutions"]
        if fmt is None:
            return Answer(406, kind, message=f"no acceptable format for a {kind} result")
        if kind == "boolean":
            data = results.boolean(bool(result), fmt)
        elif kind == "solutions":
            data = results.solutions(result, fmt, r.max_rows, r.max_bytes, again=run)
        else:
            data = results.triples(result, fmt, r.max_rows, r.max_bytes)
    except SyntaxError as e:
        return Answer(400, "error", message=f"query: {e}")
    except (results.TooManyRows, results.TooLarge) as e:
        return Answer(400, "error", message=str(e))
    except (OSError, RuntimeError) as e:  # rows are read lazily: a remote's bad answer surfaces here too
        if r.federated:
            return Answer(502, "error", message=f"a SERVICE call failed: {e}")
        return Answer(500, "error", message=f"evaluation failed: {e}")
    return Answer(200, kind, data, fmt)


class Watchdog:
    """Ends this process, after ``on_timeout`` has answered, when a query runs past ``seconds``.

    Only one query is watched at a time (a sync worker serves one request at a
    time).  Arming and disarming set a field under an uncontended lock; the
    thread sleeps until the armed deadline, or for ``seconds`` when none is
    armed: no query armed later can be due before then, so it never needs waking.
    """

    def __init__(self, seconds: float, exit: Callable[[int], None] = os._exit):
        self.seconds = seconds
        self._exit = exit
        self._lock = threading.Lock()
        self._armed: tuple[float, Callable[[], None]] | None = None  # (deadline, on_timeout)
        self._fired = False
        self._thread: threading.Thread | None = None

    def watch(self, on_timeout: Callable[[], None]) -> "_Watch":
        """A context in which the running query is watched; ``on_timeout`` answers the client if it is late."""
        if self._thread is None:  # started in the process that watches: threads do not survive a fork
            self._thread = threading.Thread(target=self._run, daemon=True, name="kg-watchdog")
            self._thread.start()
        return _Watch(self, on_timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                armed = self._armed
                now = time.monotonic()
                if armed is not None and armed[0] <= now:
                    self._fired = True
                    break
            time.sleep((armed[0] if armed is not None else now + self.seconds) - now)
        log.warning("a query ran past KG_QUERY_TIMEOUT (%g s): answering 503 and ending this server process "
                    "(pid %d); gunicorn starts another", self.seconds, os.getpid())
        try:
            armed[1]()
        except Exception:  # noqa: BLE001 -- the process must end all the same
            log.exception("the late answer could not be sent")
        finally:
            self._exit(0)


class _Watch:
    def __init__(self, dog: Watchdog, on_timeout: Callable[[], None]):
        self.dog, self.on_timeout = dog, on_timeout

    def __enter__(self) -> None:
        with self.dog._lock:
            self.dog._armed = (time.monotonic() + self.dog.seconds, self.on_timeout)

    def __exit__(self, *exc) -> None:
        with self.dog._lock:
            self.dog._armed = None
            fired = self.dog._fired
        if fired:  # too late: the watchdog is answering the client and ending the process
            threading.Event().wait()
