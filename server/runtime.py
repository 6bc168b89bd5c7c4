"""What the app asks of the process that serves it: to run a query against its deadline and answer
the client when it is late, and to tell a supervisor that a long request is alive.

``Runtime`` does this in-process, for the Flask test client, ``flask run`` or any
WSGI server: a query runs in a thread of its own, and past its deadline the view
answers 503 while the query runs on to its end (pyoxigraph cannot stop a query).
So that such queries cannot pile up, at most ``running`` of them run at once; a
query that finds no room within its time limit is answered 503 too.
``kg serve`` passes server.gunicorn.runtime.WorkerRuntime instead, which ends the
server process at the deadline, and with it the query.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TypeVar

from werkzeug.exceptions import HTTPException, ServiceUnavailable

T = TypeVar("T")


class Runtime:
    """The in-process runtime: at most ``running`` queries at once, late ones included."""

    def __init__(self, running: int = 4):
        self.running = running
        self._room = threading.BoundedSemaphore(running)

    def within(self, seconds: float, work: Callable[[], T], late: Callable[[], HTTPException]) -> T:
        """``work()``, if it ends within ``seconds``; else the error ``late()`` is raised for the client.
        Raises ServiceUnavailable if the work cannot start within ``seconds``.

        ``work`` must not use Flask's request or app: it runs in another thread.
        """
        deadline = time.monotonic() + seconds
        if not self._room.acquire(timeout=seconds):
            raise ServiceUnavailable(f"no room to run the query within {seconds:g} s: {self.running} queries are "
                                     f"still running (in process, a query past its time limit runs to its end)")
        done: Future = Future()

        def run() -> None:
            try:
                done.set_result(work())
            except BaseException as e:  # noqa: BLE001 -- handed to the view, which raises it
                _let_go(e)
                done.set_exception(e)
            finally:
                self._room.release()
        threading.Thread(target=run, name="kg-query", daemon=True).start()
        try:
            return done.result(timeout=max(deadline - time.monotonic(), 0))
        except TimeoutError:
            raise late() from None

    def heartbeat(self) -> None:
        """Tell whoever supervises this process that it is alive; a long download calls it as it goes.
        In-process nobody supervises."""

    @contextlib.contextmanager
    def kept_alive(self, every: float = 1.0) -> Iterator[None]:
        """While the block runs (a long update), call ``heartbeat`` every ``every`` seconds from a thread."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                self.heartbeat()
        threading.Thread(target=beat, daemon=True, name="kg-heartbeat").start()
        try:
            yield
        finally:
            stop.set()


def _let_go(error: BaseException) -> None:
    """Clear the frames ``error`` (and the errors it was raised from) went through, in this thread: a
    pyoxigraph result may only be dropped by the thread that made it, and those frames hold some."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error = error.__cause__ or error.__context__
