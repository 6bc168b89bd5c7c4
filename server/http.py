"""What every response gets: CORS for browsers, gzip when the client asks for it.

A streamed body (a generator, such as a /store download) is compressed as it
goes, never gathered first.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Iterable, Iterator

from flask import Flask, Response, request

GZIP_FROM = 1024  # bytes; smaller bodies are sent as they are


def finish(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    if ("gzip" not in request.accept_encodings or response.direct_passthrough
            or "Content-Encoding" in response.headers):
        return response
    if response.is_streamed:
        response.response = gzip_stream(response.response)
    elif response.content_length and response.content_length >= GZIP_FROM:
        response.set_data(gzip.compress(response.get_data(), compresslevel=5))
    else:
        return response
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
    app.after_request(finish)
