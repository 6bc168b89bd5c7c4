"""Run the app under gunicorn: ``workers`` processes, each with its own read-only store."""

from __future__ import annotations

import time

from gunicorn.app.base import BaseApplication

from kg.settings import Settings
from kg.store import StoreError

from . import create_app
from .executor import Watchdog
from .http import ACCESS_LOG
from .metrics import Metrics
from .worker import Worker


class _Server(BaseApplication):
    def __init__(self, settings: Settings):
        self.settings = settings
        self.metrics = Metrics()  # here, in the master: the workers forked later share it
        self.worker = None
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        for name, value in {"bind": f"{s.host}:{s.port}", "workers": int(s.workers),
                            "accesslog": "-", "access_log_format": ACCESS_LOG,
                            "proc_name": "kg-serve", "post_fork": self.post_fork,
                            "worker_class": Worker,  # gunicorn's sync worker, woken alone per connection
                            # a worker waiting on a query is silent; gunicorn must not kill it before the query
                            # times out (updates and downloads, longer, send heartbeats: see heartbeat())
                            "timeout": int(float(s.query_timeout)) + 30,
                            "limit_request_line": 0}.items():  # KG_MAX_QUERY_BYTES limits GET queries instead
            self.cfg.set(name, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 24+: no socket in $HOME per server
            self.cfg.set("control_socket_disable", True)

    def post_fork(self, arbiter, worker) -> None:  # in each worker, before load()
        self.worker = worker

    def load(self):  # in each worker, after the fork
        app = create_app(self.settings, self.metrics)
        app.extensions["kg_heartbeat"] = heartbeat(self.worker)
        app.extensions["kg_watchdog"] = Watchdog(float(self.settings.query_timeout))
        try:
            app.extensions["kg"].store  # opened now, so the first query does not wait for it
        except StoreError:
            pass  # not built yet: /-/health says 503 until it is
        return app


def heartbeat(worker):
    """A function that tells gunicorn's arbiter the worker is alive, at most once a second:
    a long download or update calls it as it goes, so it is not taken for a hung worker (killed after
    gunicorn's timeout, KG_QUERY_TIMEOUT + 30 s)."""
    last = [0.0]

    def beat() -> None:
        now = time.monotonic()
        if worker is not None and now - last[0] >= 1:
            worker.notify()
            last[0] = now
    return beat


def serve(settings: Settings) -> None:
    """Serve until interrupted; returns when gunicorn stops."""
    _Server(settings).run()
