"""The one error contract over HTTP: one JSON body for JSON callers, an HTML page for browsers, plain text
for everyone else; a KgError gets its kind's status; a bug is logged, and its trace never sent."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from kg.errors import Bug, InvalidInput, Refused, Unavailable, UsageError
from server import create_app
from server.errors import http_error


def test_error_shape_for_json_callers(client):
    """A JSON caller's error is one body: status, error title and a message naming the parameter."""
    response = client.get("/explain?s=body:nasa&p=nope:x&o=body:imewg", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {"status": 400, "error": "Bad Request",
                             "message": "parameter 'p': 'nope:x': The prefix nope: has not been declared"}


def test_error_shape_for_browsers(client):
    """A browser gets an HTML page with the status and the message, escaped."""
    response = client.get("/resource?iri=body:%3Cb%3E", headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<h1>400 Bad Request</h1>" in response.data
    assert b"<b>" not in response.data


@pytest.mark.parametrize("accept", [None, "*/*", "text/plain"])
def test_error_shape_for_everyone_else(client, accept):
    """curl, monitoring and SPARQL clients get the status and the message as plain text."""
    response = client.get("/no-such-page", headers={"Accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data == (NotFound.description + "\n").encode()


@pytest.mark.parametrize("kind, status", [
    (InvalidInput, 400), (Refused, 403), (UsageError, 400), (Unavailable, 503), (Bug, 500)])
def test_each_kind_of_error_gets_its_status(kind, status):
    """A KgError becomes the HTTP error of its kind, keeping its message."""
    error = http_error(kind("what went wrong"))
    assert error.code == status
    assert error.description == "what went wrong"


def test_no_store_is_503_until_one_is_built(project_settings, tmp_path):
    """/-/health answers 503 with the reason, in plain text, while no store is built; the app keeps serving."""
    client = create_app(project_settings.with_(store_dir=tmp_path / "store")).test_client()
    first, second = client.get("/-/health"), client.get("/-/health")
    assert first.status_code == second.status_code == 503
    assert first.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b"run 'kg build' first" in first.data


@pytest.mark.parametrize("error, status, message", [
    (ZeroDivisionError("secret detail"), 500, b"internal error; it has been logged\n"),
    (Bug("the search gave up"), 500, b"the search gave up\n"),
])
def test_a_bug_is_logged_with_its_trace_and_answered_without_it(make_app, caplog, error, status, message):
    """An unexpected exception, or a Bug, is logged with its trace; the client gets the status and a plain
    message, never the trace (nor, for an unexpected one, its detail)."""
    app = make_app()

    def broken():
        raise error
    app.add_url_rule("/broken", view_func=broken)
    response = app.test_client().get("/broken")
    assert response.status_code == status
    assert response.data == message
    assert "Traceback" in caplog.text
