"""The HTTP server: ``create_app(settings)`` builds a Flask app over the built store.

Each server process opens the store read-only on its first request; several
processes can serve the same store.  Routes:

  /explain?s=S&p=P&o=O   why a triple holds (HTML or JSON)
  /resource?iri=X        what the graph says about X, each statement with its
                         graphs; inferred ones link to their explanation
  /sparql                the SPARQL 1.1 Protocol (GET, POST; updates with the update token);
                         without a query, the service description, or the query page
  /store                 the Graph Store Protocol: a graph or the dataset, streamed; PUT, POST
                         and DELETE with the update token (KG_UPDATE_TOKEN)
  /-/health              200 once the store is open, 503 before it is built
  /-/stats, /-/metrics   requests, errors, timeouts and latency of all server processes
                         (JSON; Prometheus text)
"""

from __future__ import annotations

import logging

from flask import Flask

from kg.settings import Settings

from . import errors, explain, graphstore, sparql, system
from . import http
from .graph import Graph
from .metrics import Metrics


def create_app(settings: Settings | None = None, metrics: Metrics | None = None) -> Flask:
    """A new app for ``settings`` (default: from the ``KG_*`` environment).

    ``metrics``: counters shared with other server processes (made before they
    were forked); by default this app's own.
    """
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.extensions["kg"] = Graph(settings)
    app.extensions["kg_metrics"] = metrics or Metrics()
    app.register_blueprint(explain.bp)
    app.register_blueprint(system.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(graphstore.bp)
    http.register(app)
    errors.register(app)
    app.extensions["kg_metrics"].bind([rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"])
    logging.getLogger("kg.server").setLevel(logging.INFO)
    return app
