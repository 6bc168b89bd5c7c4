"""What every response gets: CORS for browsers, gzip when the client asks for it, and a place in the metrics."""

from __future__ import annotations

import gzip
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


def register(app: Flask) -> None:
    app.before_request(start)
    app.after_request(finish)
