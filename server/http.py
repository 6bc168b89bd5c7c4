"""What every response gets: CORS for browsers, gzip when the client asks for it, and a place in the metrics."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time

from flask import Flask, Response, current_app, g, request

GZIP_FROM = 1024  # bytes; smaller bodies are sent as they are


def start() -> None:
    g.kg_started = time.perf_counter()


def finish(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    if ("gzip" in request.accept_encodings and not response.direct_passthrough
            and "Content-Encoding" not in response.headers and response.content_length
            and response.content_length >= GZIP_FROM):
        response.set_data(gzip.compress(response.get_data(), compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
    current_app.extensions["kg_metrics"].observe(request.url_rule.rule if request.url_rule else None,
                                                 response.status_code,
                                                 time.perf_counter() - g.get("kg_started", time.perf_counter()))
    return response


@contextlib.contextmanager
def kept_alive():
    """While the block runs, tell gunicorn's master every second that this worker is alive.

    For the long requests (an update, a download) that must not be taken for a
    hung worker; a query is bounded by KG_QUERY_TIMEOUT instead.
    """
    heartbeat = current_app.extensions.get("kg_heartbeat")  # set by kg serve; none in tests of the bare app
    stop = threading.Event()
    if heartbeat is not None:
        threading.Thread(target=_beat, args=(heartbeat, stop), daemon=True, name="kg-heartbeat").start()
    try:
        yield
    finally:
        stop.set()


def _beat(heartbeat, stop: threading.Event) -> None:
    while not stop.wait(1):
        heartbeat()


def register(app: Flask) -> None:
    app.before_request(start)
    app.after_request(finish)
