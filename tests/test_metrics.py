"""The shared request metrics: every process's figures are counted, however many processes come and go."""

from __future__ import annotations

import os

from server.metrics import ROWS, Metrics, quantile


def test_figures_of_more_processes_than_rows_are_all_counted():
    """Processes that ended leave their figures behind, even when there were more of them than rows."""
    metrics = Metrics()
    metrics.bind(["/sparql"])
    for _ in range(ROWS + 5):
        pid = os.fork()
        if pid == 0:
            for _ in range(3):
                metrics.observe("/sparql", 200, 0.002)
            metrics.count("timeouts")
            os._exit(0)
        os.waitpid(pid, 0)
    metrics.observe("/nowhere", 404, 0.001)
    snapshot = metrics.snapshot()
    assert snapshot["routes"]["/sparql"]["responses"]["2xx"] == 3 * (ROWS + 5)
    assert snapshot["counters"]["timeouts"] == ROWS + 5
    assert snapshot["routes"]["(no route)"]["responses"]["4xx"] == 1


def test_quantiles_interpolate_within_a_bucket():
    """A quantile falls inside the bucket holding its rank, as Prometheus' histogram_quantile places it."""
    buckets = [0, 10, 10] + [0] * 13  # 10 responses in (1, 2.5] ms, 10 in (2.5, 5] ms
    assert quantile(0.5, buckets) == 0.0025
    assert 0.0025 < quantile(0.75, buckets) < 0.005
    assert quantile(0.5, [0] * 16) is None
