"""Run the app under gunicorn: ``workers`` processes, each with its own read-only store, its own app and a
WorkerRuntime, and all of them writing their metrics where the others read them."""

from __future__ import annotations

import os
import shutil
import tempfile

from gunicorn.app.base import BaseApplication
from prometheus_client import values

from kg.errors import Unavailable
from kg.settings import Settings

from .. import create_app
from ..metrics import fold
from .runtime import ACCESS_LOG, WorkerRuntime
from .worker import Worker


class _Server(BaseApplication):
    def __init__(self, settings: Settings, metrics: str):
        self.settings, self.metrics = settings, metrics
        self.worker = None
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        for name, value in {"bind": f"{s.host}:{s.port}", "workers": s.workers,
                            "accesslog": "-", "access_log_format": ACCESS_LOG,
                            "proc_name": "kg-serve", "post_fork": self.post_fork, "child_exit": self.child_exit,
                            "worker_class": Worker,  # gunicorn's sync worker, woken alone per connection
                            # a worker waiting on a query is silent; gunicorn must not kill it before the query
                            # times out (updates and downloads, longer, send heartbeats: WorkerRuntime.heartbeat)
                            "timeout": int(s.query_timeout) + 30,
                            "limit_request_line": 0}.items():  # KG_MAX_QUERY_BYTES limits GET queries instead
            self.cfg.set(name, value)
        self.cfg.set("control_socket_disable", True)  # no control socket in $HOME per server

    def post_fork(self, arbiter, worker) -> None:  # in each worker, before load()
        self.worker = worker

    def child_exit(self, arbiter, worker) -> None:  # in the master, once a worker has ended
        fold(self.metrics, worker.pid)

    def load(self):  # in each worker, after the fork
        app = create_app(self.settings, WorkerRuntime(self.worker))
        try:
            app.extensions["kg"].store.open()  # now, so the first query does not wait for it
        except Unavailable:
            pass  # not built yet: /-/health says 503 until it is
        return app


def serve(settings: Settings) -> None:
    """Serve until interrupted; returns when gunicorn stops."""
    master, before = os.getpid(), (os.environ.get("PROMETHEUS_MULTIPROC_DIR"), values.ValueClass)
    shared = tempfile.mkdtemp(prefix="kg-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared  # each worker's metrics go to a file here; a read sums them
    values.ValueClass = values.MultiProcessValue()  # as if the variable was set before prometheus_client was imported
    try:
        _Server(settings, shared).run()
    finally:
        if os.getpid() == master:  # a worker leaving gunicorn's loop unwinds this frame too: not its to undo
            shutil.rmtree(shared, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR")
            if before[0] is not None:
                os.environ["PROMETHEUS_MULTIPROC_DIR"] = before[0]
            values.ValueClass = before[1]
