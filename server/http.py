"""What every response gets: CORS for browsers, gzip when the client asks for it, and a place in the
metrics.

A streamed body (a generator, such as a /store download) is compressed as it
goes, never gathered first.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterable, Iterator

from flask import Flask, Request, Response, current_app, request

GZIP_FROM = 1024  # bytes; smaller bodies are sent as they are
STARTED = "kg.started"  # in the WSGI environ: when the request reached the app (time.perf_counter)


def start() -> None:
    request.environ[STARTED] = time.perf_counter()


def finish(response: Response) -> Response:
    req = request._get_current_object()  # each use of a Flask proxy costs a look-up: one, not five
    response.headers["Access-Control-Allow-Origin"] = "*"
    if req.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    current_app.extensions["kg"].metrics.observe(req.url_rule.rule if req.url_rule else None, response.status_code,
                                                 time.perf_counter() - req.environ.get(STARTED, time.perf_counter()))
    return compressed(response, req)


def compressed(response: Response, req: Request) -> Response:
    """``response`` gzipped if ``req``'s client accepts it and the body is streamed or large enough."""
    if response.direct_passthrough or "Content-Encoding" in response.headers:
        return response
    if not response.is_streamed and (response.content_length or 0) < GZIP_FROM:
        return response  # most answers: decided before the Accept-Encoding header is read
    offered = req.environ.get("HTTP_ACCEPT_ENCODING", "").lower()
    if "gzip" not in offered and "*" not in offered:
        return response  # no need to parse it
    if not req.accept_encodings["gzip"] > 0:  # its quality, by name or by *; "gzip;q=0" refuses it
        return response
    if response.is_streamed:
        response.response = gzip_stream(response.response)
    else:
        response.set_data(gzip.compress(response.get_data(), compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` gzipped as they come; closing it closes ``chunks``."""
    compressor = zlib.compressobj(5, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: a gzip header
    try:
        for chunk in chunks:
            if out := compressor.compress(chunk):
                yield out
        yield compressor.flush()
    finally:
        if hasattr(chunks, "close"):
            chunks.close()


def register(app: Flask) -> None:
    """Time every request, and give every response what it gets."""
    app.before_request(start)
    app.after_request(finish)
