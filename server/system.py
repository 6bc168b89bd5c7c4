"""System routes under the reserved prefix ``/-/``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from . import metrics
from .graph import graph

bp = Blueprint("system", __name__, url_prefix="/-")


@bp.get("/health")
def health():
    """200 once this process has the store open; 503 (StoreError) while none is built."""
    graph().store
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/stats")
def stats():
    """Requests, errors, timeouts and latency per route, summed over all server processes, as JSON."""
    snapshot = current_app.extensions["kg_metrics"].snapshot()
    return jsonify(metrics.stats(snapshot, int(graph().settings.workers)))


@bp.get("/metrics")
def prometheus():
    """The same figures for Prometheus to scrape."""
    text = metrics.prometheus(current_app.extensions["kg_metrics"].snapshot())
    return text, 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
