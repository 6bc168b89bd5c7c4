"""The server process: a connection wakes one idle gunicorn worker, not all, and is seen waiting; a late query is
answered and ends it."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.workers.sync import SyncWorker

from server.executor import Watchdog
from server.worker import Worker


def waiting(kind, listener):
    cfg = Config()
    worker = kind(0, os.getpid(), [listener], None, 30, cfg, Logger(cfg))
    worker.PIPE = os.pipe()  # these two are made by gunicorn when the worker starts
    worker.wait_fds = [listener, worker.PIPE[0]]
    if kind is Worker:
        worker.wait_alone()
    return worker


@pytest.mark.parametrize("kind, woken", [(Worker, [0, 1]), (SyncWorker, [1, 1])])
def test_a_connection_wakes_one_idle_worker(kind, woken):
    """Two idle workers wait on one listening socket; a connection wakes one of ours (gunicorn's sync
    workers: both, and one finds nothing to accept)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    workers = [waiting(kind, listener) for _ in range(2)]
    ready: list = [None, None]
    threads = [threading.Thread(target=lambda i=i: ready.__setitem__(i, workers[i].wait(1.5))) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # both are waiting
    with socket.create_connection(listener.getsockname()):
        for t in threads:
            t.join()
    assert all(isinstance(r, list) for r in ready)  # each wait returned (a thread that raised leaves None)
    assert sorted(len(r) for r in ready) == woken
    for w in workers:
        w.tmp.close()
    listener.close()


def test_the_watchdog_times_each_query_from_its_own_start():
    """Many quick queries in a row, together longer than the limit, each under it: the watchdog never fires."""
    fired = []
    dog = Watchdog(0.5, exit=fired.append)
    started = time.monotonic()
    while time.monotonic() - started < 1.5:
        with dog.watch(lambda: fired.append("answered")):
            time.sleep(0.005)
    time.sleep(0.6)  # past the last query's deadline, disarmed
    assert fired == []


def test_the_watchdog_answers_a_late_query_then_ends_the_process():
    """A query past the limit gets the late answer, and then the process is ended (here: recorded)."""
    ended = threading.Event()
    calls = []
    dog = Watchdog(0.05, exit=lambda code: (calls.append(("exit", code)), ended.set()))
    entered = threading.Thread(target=lambda: dog.watch(lambda: calls.append("answered")).__enter__(), daemon=True)
    entered.start()  # a query that never ends
    assert ended.wait(5) and calls == ["answered", ("exit", 0)]


def test_a_worker_sees_a_connection_waiting_to_be_accepted():
    """The keep-alive rule's test: a worker knows when a new connection waits on its listener (then the
    answer it is giving closes its connection), and knows when none does."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    worker = waiting(Worker, listener)
    assert not worker.someone_waiting()
    with socket.create_connection(listener.getsockname()):
        time.sleep(0.05)
        assert worker.someone_waiting()
        listener.accept()[0].close()
        assert not worker.someone_waiting()
    worker.tmp.close()
    listener.close()
