"""The system routes, through the Flask test client: health, and the metrics as JSON and as Prometheus text."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

ASK = {"query": "ASK { ?s ?p ?o }"}


@pytest.fixture
def fresh(make_app):
    """A client of a new app, whose figures start at nothing."""
    return make_app().test_client()


def test_health_is_ok_once_the_store_is_open(client):
    """/-/health answers 200 'ok' once the store is open."""
    response = client.get("/-/health")
    assert response.status_code == 200
    assert response.data == b"ok\n"


def test_stats_count_requests_errors_and_latency_by_route(fresh):
    """/-/stats counts the requests of each route by status class, with latency quantiles."""
    for _ in range(3):
        assert fresh.get("/sparql", query_string=ASK).status_code == 200
    assert fresh.get("/sparql", query_string={"query": "SELEC"}).status_code == 400
    stats = fresh.get("/-/stats").json
    sparql = stats["routes"]["/sparql"]
    assert sparql["requests"] == 4
    assert sparql["responses"] == {"2xx": 3, "3xx": 0, "4xx": 1, "5xx": 0}
    assert stats["errors"] == {"4xx": 1, "5xx": 0}
    assert stats["timeouts"] == 0
    latency = sparql["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"]
    assert latency["mean"] > 0


def test_metrics_are_prometheus_text_with_the_same_counts(fresh):
    """/-/metrics parses with Prometheus' own client library and carries the same counts as /-/stats."""
    assert fresh.get("/sparql", query_string=ASK).status_code == 200
    response = fresh.get("/-/metrics")
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {"kg_http_responses", "kg_http_request_duration_seconds", "kg_timeouts", "kg_start_time_seconds"} \
        <= set(families)
    ok = [s.value for s in families["kg_http_responses"].samples
          if s.name == "kg_http_responses_total" and s.labels == {"route": "/sparql", "status": "2xx"}]
    counts = [s.value for s in families["kg_http_request_duration_seconds"].samples
              if s.name.endswith("_count") and s.labels == {"route": "/sparql"}]
    assert ok == [1.0]
    assert counts == [1.0]
