"""The runtime ``kg serve`` gives the app in each gunicorn worker: a query past its deadline is answered
503 by a watchdog thread, written straight to the client's socket, and then the worker process ends,
and the query with it; long requests tell gunicorn's arbiter they are alive.

pyoxigraph cannot cancel a query, but it lets go of Python's lock while it
evaluates.  So each server process evaluates its queries itself, on the store it
has open, and a watchdog thread waits beside them: at a query's deadline the
watchdog sends the client the 503 (the query's own thread is still inside
pyoxigraph) and ends the process; gunicorn's master starts another, and the
other server processes serve on meanwhile.  Watching costs a query almost
nothing: no hand-off, and no wake-up, as the watchdog sleeps until the earliest
moment a query can be late.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from .. import errors
from ..http import STARTED
from ..runtime import Runtime

T = TypeVar("T")
ACCESS_LOG = "%(m)s %(U)s %(s)s %(M)sms pid %(p)s"  # gunicorn's access log: method, path, status, ms, process
log = logging.getLogger("kg.server")


class WorkerRuntime(Runtime):
    """The runtime of one gunicorn worker; ``end`` ends the process (a test passes another)."""

    def __init__(self, worker, end: Callable[[int], None] = os._exit):
        super().__init__()
        self.worker = worker
        self.watchdog = Watchdog(end)
        self._last_beat = 0.0

    def within(self, seconds: float, work: Callable[[], T], late: Callable[[], HTTPException]) -> T:
        """``work()`` in this thread, watched: past ``seconds`` the watchdog sends ``late()`` to the client
        and ends the process."""
        ctx = request_ctx._get_current_object()  # each use of a Flask proxy costs a look-up: one, not two
        app, environ = ctx.app, ctx.request.environ
        with self.watchdog.watch(seconds, lambda: answer_late(app, environ, late())):
            return work()

    def heartbeat(self) -> None:
        """Tell gunicorn's arbiter the worker is alive, at most once a second: a long download or update
        is not then taken for a hung worker (killed after gunicorn's timeout, KG_QUERY_TIMEOUT + 30 s)."""
        now = time.monotonic()
        if now - self._last_beat >= 1:
            self.worker.notify()
            self._last_beat = now


def answer_late(app: Flask, environ: dict, error: HTTPException) -> None:
    """Send ``error`` as the response to the request of ``environ``, from another thread, while the view is
    still busy and cannot: in the shape server.errors gives it, with what every response gets (CORS,
    metrics), written straight to gunicorn's client socket, with a line in the access log.  The caller
    ends the process after it: the view's own answer must never follow."""
    with app.request_context(environ):
        response = app.process_response(app.make_response(errors.respond(error)))
        head = [f"HTTP/1.1 {response.status}", *(f"{k}: {v}" for k, v in response.get_wsgi_headers(environ)),
                "Connection: close", "", ""]
        body = b"" if environ["REQUEST_METHOD"] == "HEAD" else response.get_data()
    environ["gunicorn.socket"].sendall("\r\n".join(head).encode("latin-1") + body)
    started = environ.get(STARTED)
    logging.getLogger("gunicorn.access").info(ACCESS_LOG, {
        "m": environ["REQUEST_METHOD"], "U": environ["PATH_INFO"], "s": response.status_code,
        "M": round(1000 * (time.perf_counter() - started)) if started else "-", "p": f"<{os.getpid()}>"})


class Watchdog:
    """Ends this process, after the late answer, when a watched block runs past its deadline.

    One block is watched at a time (a sync worker serves one request at a time).
    Arming and disarming set a field under an uncontended lock.  The thread sleeps
    until the armed deadline, or, with none armed, for the shortest time limit
    armed so far: a block armed later is due no sooner, so the thread is never
    woken early but for the first time limit, or a shorter one.
    """

    def __init__(self, end: Callable[[int], None] = os._exit):
        self._end = end
        self._cond = threading.Condition(threading.Lock())
        self._armed: tuple[float, Callable[[], None], float] | None = None  # (deadline, answer the client, seconds)
        self._wakes = float("inf")  # when the thread looks next
        self._idle = float("inf")   # how long it sleeps with nothing armed
        self._fired = False
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, on_timeout: Callable[[], None]) -> _Watch:
        """A context in which the running block is watched; ``on_timeout`` answers the client if it is late."""
        if self._thread is None:  # started in the process that watches: threads do not survive a fork
            self._thread = threading.Thread(target=self._run, daemon=True, name="kg-watchdog")
            self._thread.start()
        return _Watch(self, seconds, on_timeout)

    def _arm(self, seconds: float, on_timeout: Callable[[], None]) -> None:
        with self._cond:
            deadline = time.monotonic() + seconds
            self._armed = (deadline, on_timeout, seconds)
            self._idle = min(self._idle, seconds)
            if deadline < self._wakes:
                self._cond.notify()

    def _disarm(self) -> bool:
        """Disarm; whether the watchdog had fired (then it is answering the client and ending the process)."""
        with self._cond:
            self._armed = None
            return self._fired

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                armed = self._armed
                if armed is not None and armed[0] <= now:
                    self._fired = True
                    break
                self._wakes = armed[0] if armed is not None else now + self._idle
                self._cond.wait(None if self._wakes == float("inf") else self._wakes - now)
        log.warning("a query ran past KG_QUERY_TIMEOUT (%g s): answering 503 and ending this server process "
                    "(pid %d); gunicorn starts another", armed[2], os.getpid())
        try:
            armed[1]()
        except Exception:  # noqa: BLE001 -- the process must end all the same
            log.exception("the late answer could not be sent")
        finally:
            self._end(0)


class _Watch:
    def __init__(self, dog: Watchdog, seconds: float, on_timeout: Callable[[], None]):
        self.dog, self.seconds, self.on_timeout = dog, seconds, on_timeout

    def __enter__(self) -> None:
        self.dog._arm(self.seconds, self.on_timeout)

    def __exit__(self, *exc) -> None:
        if self.dog._disarm():  # too late: the watchdog is answering the client and ending the process
            threading.Event().wait()
