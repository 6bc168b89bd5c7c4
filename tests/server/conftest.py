"""Fixtures of the server's tests: a local stand-in for a remote SPARQL endpoint, and a listener that
records whoever connects to it."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Remote(BaseHTTPRequestHandler):
    """A local stand-in for a remote SPARQL endpoint: /sparql answers one Wikidata-shaped row, /moved
    redirects to /internal, which records that it was reached; /slow answers after ``SLOW`` seconds,
    /html answers something that is not SPARQL results."""

    reached: list = []
    SLOW = 3.0

    def do_GET(self):
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/internal")
            self.end_headers()
            return
        if self.path.startswith("/internal"):
            _Remote.reached.append(self.path)
        if self.path.startswith("/slow"):
            time.sleep(self.SLOW)
        if self.path.startswith("/html"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"<html>")
            return
        body = json.dumps({"head": {"vars": ["item"]}, "results": {"bindings": [
            {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q23548"}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.do_GET()

    def log_message(self, *args):
        pass


@dataclass
class Remote:
    url: str       # its base URL
    reached: list  # the redirect targets it was made to reach


@pytest.fixture(scope="session")
def remote() -> Remote:
    """A local stand-in for a remote SPARQL endpoint (see _Remote)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Remote)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Remote(f"http://127.0.0.1:{server.server_port}", _Remote.reached)
    server.shutdown()


@dataclass
class Listener:
    """A listening socket that hangs up on whoever calls.  A call is counted before the caller is hung up on,
    so once a client's request has failed, its call is in ``calls``."""

    url: str
    calls: list

    def heard_nothing(self) -> bool:
        """Whether nobody has called, a moment after the requests (for a call that would come late)."""
        time.sleep(0.3)
        return self.calls == []


@pytest.fixture
def listener() -> Listener:
    """A listener on a free loopback port (see Listener)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.settimeout(0.05)
    calls, done = [], threading.Event()

    def hang_up():
        while not done.is_set():
            try:
                connection, _ = sock.accept()
            except OSError:
                continue
            calls.append(1)
            connection.close()
    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    yield Listener(f"http://127.0.0.1:{sock.getsockname()[1]}", calls)
    done.set()
    thread.join()
    sock.close()
