"""What every response gets: CORS for browsers, gzip when the client asks for it, a place in the metrics
and a line in the access log.

A streamed body (a generator, such as a /store download) is compressed as it
goes, never gathered first.  A response can also be sent late, from another
thread, while the view is still busy (answer_late: a query past its time).
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import threading
import time
import zlib
from typing import Callable, Iterable, Iterator

from flask import Flask, Request, Response, current_app, request
from werkzeug.exceptions import HTTPException

from . import errors

GZIP_FROM = 1024  # bytes; smaller bodies are sent as they are
ACCESS_LOG = "%(m)s %(U)s %(s)s %(M)sms"  # gunicorn's access log: method, path, status, milliseconds


STARTED = "kg.started"  # in the WSGI environ: when the request reached the app (time.perf_counter)


def start() -> None:
    request.environ[STARTED] = time.perf_counter()


def finish(response: Response) -> Response:
    req = request._get_current_object()  # each use of a Flask proxy costs 2-3 us here: one lookup, not five
    response.headers["Access-Control-Allow-Origin"] = "*"
    if req.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    current_app.extensions["kg_metrics"].observe(req.url_rule.rule if req.url_rule else None, response.status_code,
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


def answer_late(app: Flask, environ: dict, error: Callable[[], HTTPException], counter: str) -> Callable[[], None]:
    """A function that sends ``error()`` as the response to the request of ``environ``, from another thread,
    while the view is still busy and cannot: in the shape errors.respond gives it, with what every response
    gets (CORS, metrics), written straight to gunicorn's client socket, with a line in the access log, and
    ``counter`` counted.  The caller ends the process after it: the view's own answer must never follow."""
    def send() -> None:
        with app.request_context(environ):
            app.extensions["kg_metrics"].count(counter)
            response = app.process_response(app.make_response(errors.respond(error())))
            head = [f"HTTP/1.1 {response.status}", *(f"{k}: {v}" for k, v in response.get_wsgi_headers(environ)),
                    "Connection: close", "", ""]
            body = b"" if environ["REQUEST_METHOD"] == "HEAD" else response.get_data()
        environ["gunicorn.socket"].sendall("\r\n".join(head).encode("latin-1") + body)
        started = environ.get(STARTED)
        logging.getLogger("gunicorn.access").info(ACCESS_LOG, {
            "m": environ["REQUEST_METHOD"], "U": environ["PATH_INFO"], "s": response.status_code,
            "M": round(1000 * (time.perf_counter() - started)) if started else "-"})
    return send


@contextlib.contextmanager
def kept_alive():
    """While the block runs, tell gunicorn's master every second that this worker is alive.

    For a long request (an update) that must not be taken for a hung worker; a
    query is bounded by KG_QUERY_TIMEOUT instead, a download beats as it sends.
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
