"""System routes under the reserved prefix ``/-/``."""

from __future__ import annotations

from flask import Blueprint

from .graph import graph

bp = Blueprint("system", __name__, url_prefix="/-")


@bp.get("/health")
def health():
    """200 once this process has the store open; 503 (StoreError) while none is built."""
    graph().store
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
