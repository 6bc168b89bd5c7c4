"""Run the app under gunicorn: ``workers`` processes, each with its own read-only store."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from kg.settings import Settings

from . import create_app, sparql
from .metrics import Metrics

ACCESS_LOG = '%(m)s %(U)s %(s)s %(M)sms'  # method, path, status, milliseconds


def _share_heartbeat(worker) -> None:
    """Let the app tell gunicorn's master that this worker is alive during a long request."""
    worker.wsgi.extensions["kg_heartbeat"] = worker.notify


class _Server(BaseApplication):
    def __init__(self, settings: Settings):
        self.settings = settings
        self.metrics = Metrics()  # here, in the master: the workers forked later share it
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        for name, value in {"bind": f"{s.host}:{s.port}", "workers": int(s.workers),
                            "accesslog": "-", "access_log_format": ACCESS_LOG,
                            "proc_name": "kg-serve",
                            # a worker waiting on a query is silent; gunicorn must not kill it before the query
                            # times out (updates and downloads, longer, keep it alive: see http.kept_alive)
                            "timeout": int(float(s.query_timeout)) + 30,
                            "post_worker_init": _share_heartbeat,
                            "limit_request_line": 0}.items():  # KG_MAX_QUERY_BYTES limits GET queries instead
            self.cfg.set(name, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 24+: no socket in $HOME per server
            self.cfg.set("control_socket_disable", True)

    def load(self):  # in each worker, after the fork
        app = create_app(self.settings, self.metrics)
        sparql.executor(app).start()  # the first query does not wait for a process to start
        return app


def serve(settings: Settings) -> None:
    """Serve until interrupted; returns when gunicorn stops."""
    _Server(settings).run()
