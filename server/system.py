"""System routes under the reserved prefix ``/-/``: health, and the metrics as JSON and as Prometheus text."""

from __future__ import annotations

from flask import Blueprint, jsonify

from . import metrics
from .context import context

bp = Blueprint("system", __name__, url_prefix="/-")


@bp.get("/health")
def health():
    """200 once this process has the store open; 503 (kg.errors.Unavailable) while none is built."""
    context().store.open()
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/stats")
def stats():
    """Requests, errors, timeouts and latency per route, summed over all server processes, as JSON."""
    ctx = context()
    return jsonify(metrics.stats(ctx.metrics.snapshot(), ctx.settings.workers))


@bp.get("/metrics")
def prometheus():
    """The same figures for Prometheus to scrape."""
    return context().metrics.exposition(), 200, {"Content-Type": metrics.MEDIA_TYPE}
