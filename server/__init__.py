"""The HTTP server: ``create_app(settings, runtime)`` builds the whole Flask app over the built store.

  /sparql                the SPARQL 1.1 Protocol (sparql.py): the request read by protocol.py, its SERVICE
                         and FROM checked by guard.py, the result written by results.py; updates with the
                         update token (writes.py); without a query, the service description
                         (description.py), or for a browser the query page and its examples (examples.py)
  /store                 the Graph Store Protocol (graphstore.py): a graph or the dataset, streamed;
                         PUT, POST and DELETE with the update token (writes.py)
  /resource?iri=X        what the graph says about X, each statement with its graphs (pages.py)
  /explain?s=S&p=P&o=O   why a triple holds (pages.py)
  /-/health              200 once the store is open, 503 before it is built (system.py)
  /-/stats, /-/metrics   requests, errors, timeouts and latency of all server processes (metrics.py)

What every response gets (CORS, gzip, metrics) is in http.py, the one error shape in errors.py, the
choice of formats in negotiate.py, what the views share in context.py.  The app runs where it is put:
in-process by default (runtime.py: the Flask test client, ``flask run``), or under gunicorn with
``kg serve`` (cli.py, gunicorn/), which passes a runtime of its own.  Each process opens the store
read-only when it first needs it (under kg serve, as it starts), and again when a build has published
another version.
"""

from __future__ import annotations

import logging

from flask import Flask

from kg.settings import Settings

from . import errors, graphstore, http, pages, sparql, system
from .context import Context, CurrentStore
from .metrics import Metrics
from .runtime import Runtime


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """A new app for ``settings`` (default: from the ``KG_*`` environment), served by ``runtime``
    (default: in-process)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.extensions["kg"] = Context(settings, CurrentStore(settings), runtime or Runtime(), Metrics())
    for blueprint in (sparql.bp, graphstore.bp, pages.bp, system.bp):
        app.register_blueprint(blueprint)
    http.register(app)
    errors.register(app)
    logging.getLogger("kg.server").setLevel(logging.INFO)
    return app
