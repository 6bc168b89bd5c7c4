"""kg serve's gunicorn worker: a connection wakes one idle worker, not all, and is seen waiting; and the parts
of gunicorn it overrides or calls are there, with the signatures it relies on."""

from __future__ import annotations

import inspect
import os
import socket
import threading
import time

import gunicorn
import pytest
from gunicorn import http, util
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.http import wsgi
from gunicorn.http.parser import Parser
from gunicorn.workers.base import Worker as BaseWorker
from gunicorn.workers.sync import SyncWorker

from server.gunicorn.worker import Worker


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


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


@pytest.mark.parametrize("function, starts_with", [
    (SyncWorker.run, ["self"]),
    (SyncWorker.wait, ["self", "timeout"]),
    (SyncWorker.handle, ["self", "listener", "client", "addr"]),
    (SyncWorker.handle_request, ["self", "listener", "req", "client", "addr"]),
    (BaseWorker.notify, ["self"]),
    (BaseWorker.handle_error, ["self", "req", "client", "addr", "exc"]),
    (http.get_parser, ["cfg", "source", "source_addr"]),
    (Parser.finish_body, ["self", "deadline", "max_bytes"]),
    (wsgi.create, ["req", "sock", "client", "server", "cfg"]),
    (wsgi.Response.force_close, ["self"]),
    (wsgi.Response.should_close, ["self"]),
    (wsgi.Response.write_file, ["self", "respiter"]),
    (util.close, ["sock"]),
    (util.close_graceful, ["sock"]),
    (util.close_on_exec, ["fd"]),
    (Logger.access, ["self", "resp", "req", "environ", "request_time"]),
], ids=lambda v: getattr(v, "__qualname__", None))
def test_the_gunicorn_the_worker_relies_on_is_there(function, starts_with):
    """Each method the worker overrides or calls exists in the installed gunicorn with the parameters it uses
    (pyproject.toml pins gunicorn 27.x; this says so when another release changes them)."""
    assert parameters(function)[:len(starts_with)] == starts_with


def test_the_pinned_gunicorn_is_installed():
    """The installed gunicorn is of the major release pyproject.toml pins, with the settings kg serve sets."""
    assert gunicorn.__version__.split(".")[0] == "27"
    for name in ("keepalive", "pre_request", "post_request", "control_socket_disable", "limit_request_line",
                 "access_log_format", "post_fork"):
        assert name in Config().settings, name


def test_a_worker_has_the_attributes_the_worker_uses():
    """A worker made as gunicorn makes one has what the overrides read: its sockets, wake-up pipe, counters."""
    listener = socket.create_server(("127.0.0.1", 0))
    worker = waiting(Worker, listener)
    for name in ("sockets", "PIPE", "alive", "nr", "max_requests", "cfg", "log", "tmp"):
        assert hasattr(worker, name), name
    worker.tmp.close()
    listener.close()
