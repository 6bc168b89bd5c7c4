"""One error shape per audience: JSON callers get one JSON body, browsers an HTML page, everyone else
(curl, monitoring, SPARQL clients) the status and a plain-text message.

Every error is (status, message): an HTTPException a view raises (``abort(404, ...)``),
or a kg.errors.KgError, whose kind gives the status.  The JSON body, pinned by
tests/server/test_errors.py:

    {"status": 404, "error": "Not Found", "message": "..."}

An unexpected exception is logged with its trace and answered with a plain 500:
the trace never reaches the client.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from kg.errors import KgError

from .negotiate import is_browser, prefers_json

log = logging.getLogger("kg.server")


def respond(e: HTTPException):
    """The error ``e`` in the shape its audience reads, with its headers (Allow, WWW-Authenticate)."""
    status, title, message = e.code or 500, e.name, e.description or e.name
    headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]
    if status != 406 and prefers_json():
        return jsonify(status=status, error=title, message=message), status, headers
    if status != 406 and is_browser():
        return render_template("error.html", status=status, title=title, message=message), status, headers
    return message + "\n", status, [*headers, ("Content-Type", "text/plain; charset=utf-8")]


def http_error(e: KgError) -> HTTPException:
    """The HTTP error of ``e``'s kind, with its message."""
    return default_exceptions[e.status](str(e))


def _kg_error(e: KgError):
    if e.status == 500:  # a bug, with its trace
        log.error("%s", e, exc_info=e)
    return respond(http_error(e))


def _internal(e: Exception):
    log.exception("internal error")
    return respond(InternalServerError("internal error; it has been logged"))


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, respond)
    app.register_error_handler(KgError, _kg_error)
    app.register_error_handler(Exception, _internal)
