"""kg serve's runtime: the watchdog answers a query past its time and then ends the worker, never waking
early; the late answer is written to the client's socket in the shape the client asked for."""

from __future__ import annotations

import json
import socket
import threading
import time

from werkzeug.exceptions import ServiceUnavailable

from server.gunicorn.runtime import Watchdog, WorkerRuntime, answer_late


def test_the_watchdog_times_each_query_from_its_own_start():
    """Many quick queries in a row, together longer than the limit, each under it: the watchdog never fires."""
    fired = []
    dog = Watchdog(end=fired.append)
    started = time.monotonic()
    while time.monotonic() - started < 0.6:
        with dog.watch(0.2, lambda: fired.append("answered")):
            time.sleep(0.005)
    time.sleep(0.3)  # past the last query's deadline, disarmed
    assert fired == []


def test_the_watchdog_answers_a_late_query_then_ends_the_process():
    """A query past the limit gets the late answer, and then the process is ended (here: recorded)."""
    ended = threading.Event()
    calls = []
    dog = Watchdog(end=lambda code: (calls.append(("exit", code)), ended.set()))
    threading.Thread(target=lambda: dog.watch(0.05, lambda: calls.append("answered")).__enter__(), daemon=True).start()
    assert ended.wait(5)
    assert calls == ["answered", ("exit", 0)]


def test_a_shorter_limit_armed_later_is_kept():
    """A query armed with a shorter limit than any before is still answered at its own limit."""
    ended = threading.Event()
    dog = Watchdog(end=lambda code: ended.set())
    with dog.watch(30, lambda: None):
        pass  # the watchdog now sleeps as long as 30 s with nothing armed
    started = time.monotonic()
    threading.Thread(target=lambda: dog.watch(0.2, lambda: None).__enter__(), daemon=True).start()
    assert ended.wait(5)
    assert time.monotonic() - started < 1


def test_arming_does_not_wake_the_watchdog():
    """Once it knows the limit, arming and disarming never wake the watchdog's thread: a query pays no wake-up."""
    dog = Watchdog(end=lambda code: None)
    with dog.watch(10, lambda: None):
        pass
    time.sleep(0.05)
    wakes = []
    original = dog._cond.wait
    dog._cond.wait = lambda timeout=None: (wakes.append(timeout), original(timeout))[1]
    for _ in range(200):
        with dog.watch(10, lambda: None):
            pass
    time.sleep(0.05)
    assert wakes == []


class Recorded:
    """A stand-in for gunicorn's worker, for the heartbeat: it counts notify() calls."""

    def __init__(self):
        self.notified = 0

    def notify(self):
        self.notified += 1


def test_the_heartbeat_tells_gunicorn_at_most_once_a_second():
    """Many heartbeats within a second tell gunicorn's arbiter once."""
    worker = Recorded()
    runtime = WorkerRuntime(worker)
    for _ in range(1000):
        runtime.heartbeat()
    assert worker.notified == 1


def test_the_late_answer_is_written_to_the_client_s_socket(app):
    """The late answer goes straight to the client's socket as a whole HTTP response: the status, the headers
    every response gets (CORS), the error shape the client asked for (JSON here), and Connection: close."""
    ours, theirs = socket.socketpair()
    with app.test_request_context("/sparql?query=ASK{}", headers={"Accept": "application/json"}) as ctx:
        environ = ctx.request.environ | {"gunicorn.socket": ours}
    answer_late(app, environ, ServiceUnavailable("the query ran past the time limit"))
    ours.close()
    head, _, body = theirs.makefile("rb").read().partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 503 SERVICE UNAVAILABLE"
    assert "Access-Control-Allow-Origin: *" in lines
    assert "Connection: close" in lines
    assert json.loads(body) == {"status": 503, "error": "Service Unavailable",
                                "message": "the query ran past the time limit"}
    theirs.close()


def test_a_late_query_is_answered_and_the_worker_ends(app):
    """Under the worker's runtime, a view's query past its time: the client gets the late answer, then the
    process ends (here: recorded), and the view never answers after it."""
    ours, theirs = socket.socketpair()
    ended = threading.Event()
    runtime = WorkerRuntime(Recorded(), end=lambda code: ended.set())

    def view():
        with app.test_request_context("/sparql?query=ASK{}") as ctx:
            ctx.request.environ["gunicorn.socket"] = ours
            runtime.within(0.2, lambda: time.sleep(10), lambda: ServiceUnavailable("late"))
    threading.Thread(target=view, daemon=True).start()
    assert ended.wait(5)
    ours.close()
    answer = theirs.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 503 ")
    assert answer.endswith(b"\r\n\r\nlate\n")
    theirs.close()
