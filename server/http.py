"""What every response gets: CORS for browsers, gzip when the client asks for it."""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

GZIP_FROM = 1024  # bytes; smaller bodies are sent as they are


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
    return response


def register(app: Flask) -> None:
    app.after_request(finish)
