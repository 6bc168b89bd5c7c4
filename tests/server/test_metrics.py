"""The request metrics: counted per route and status class, kept by prometheus_client, and summed over every
server process, however many come and go."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from server.metrics import Metrics, quantile


def test_responses_are_counted_per_route_and_status_class():
    """Each response counts once under its route and status class, with its latency; no route is one too."""
    metrics = Metrics()
    metrics.observe("/sparql", 200, 0.002)
    metrics.observe("/sparql", 204, 0.004)
    metrics.observe("/sparql", 404, 0.001)
    metrics.observe(None, 404, 0.001)
    routes = metrics.snapshot()["routes"]
    assert routes["/sparql"]["responses"] == {"2xx": 2, "3xx": 0, "4xx": 1, "5xx": 0}
    assert sum(routes["/sparql"]["buckets"]) == 3
    assert routes["(no route)"]["responses"]["4xx"] == 1


@pytest.mark.process
def test_figures_of_processes_that_ended_are_all_counted(tmp_path):
    """Under kg serve (prometheus_client's multiprocess mode), processes that ended leave their figures behind,
    however many there were."""
    script = textwrap.dedent("""
        import json, os, sys, time
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
        from server.metrics import Metrics, fold
        before = time.time()
        first = Metrics()  # the first server process, the one that started first
        started = (before, time.time())
        for _ in range(70):
            pid = os.fork()
            if pid == 0:  # a server process that starts later, makes its own app, answers and ends
                metrics = Metrics()
                for _ in range(3):
                    metrics.observe("/sparql", 200, 0.002)
                metrics.timeouts.inc()
                os._exit(0)
            os.waitpid(pid, 0)
            fold(sys.argv[1], pid)  # as gunicorn's master does once a worker has ended
        first.observe(None, 404, 0.001)
        print(json.dumps({"snapshot": first.snapshot(), "started": started}))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    snapshot = out["snapshot"]
    assert snapshot["routes"]["/sparql"]["responses"]["2xx"] == 3 * 70
    assert snapshot["counters"]["timeouts"] == 70
    assert snapshot["routes"]["(no route)"]["responses"]["4xx"] == 1
    assert out["started"][0] <= snapshot["started"] <= out["started"][1]  # the first process's start, kept
    assert len(list(tmp_path.glob("*.db"))) <= 6  # this process's files and the archive's, not a set per process


def test_quantiles_interpolate_within_a_bucket():
    """A quantile falls inside the bucket holding its rank, as Prometheus' histogram_quantile places it."""
    buckets = [0, 10, 10] + [0] * 13  # 10 responses in (1, 2.5] ms, 10 in (2.5, 5] ms
    assert quantile(0.5, buckets) == 0.0025
    assert 0.0025 < quantile(0.75, buckets) < 0.005
    assert quantile(0.5, [0] * 16) is None
