"""Request metrics, kept by prometheus_client: responses per route and status class, a latency histogram
per route, queries stopped at their time limit.  /-/metrics shows them in the Prometheus text format,
/-/stats as JSON.

In-process they live in the app's own registry.  Under ``kg serve`` every server process writes its
own file in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, set up by
server.gunicorn before the workers start) and a read sums the files, so the figures are those of all
processes, and a process that has ended leaves its figures behind.  The route is the URL rule
(``/sparql`` whatever its query string); latency is from the request arriving to its response being
ready (a streamed body is not included).  When a server process ends, ``fold`` adds its files into
one archive per kind of figure, so the files stay as few as the processes running, however many ended;
a read and a fold take turns (a lock file), so no figure is read twice or missed meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import operator
import os
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)  # s; +Inf
CLASSES = ("2xx", "3xx", "4xx", "5xx")
UNMATCHED = "(no route)"
MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The figures of one app; shared with the other server processes when ``PROMETHEUS_MULTIPROC_DIR``
    is set."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.responses = Counter("kg_http_responses", "HTTP responses by route and status class.",
                                 ["route", "status"], registry=self.registry)
        self.latency = Histogram("kg_http_request_duration_seconds", "Time from a request to its response being ready.",
                                 ["route"], buckets=BUCKETS, registry=self.registry)
        self.timeouts = Counter("kg_timeouts", "Queries stopped at the time limit (KG_QUERY_TIMEOUT).",
                                registry=self.registry)
        self.started = Gauge("kg_start_time_seconds", "When the server started, in seconds since the epoch.",
                             multiprocess_mode="min", registry=self.registry)
        self.started.set(time.time())
        self._series: dict = {}  # (route, status class) -> (its counter, its histogram): labels looked up once

    def observe(self, route: str | None, status: int, seconds: float) -> None:
        """Count one response of ``route`` (None: no route matched) with ``status``, ready after ``seconds``."""
        key = (route or UNMATCHED, CLASSES[min(max(status // 100 - 2, 0), 3)])
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (self.responses.labels(*key), self.latency.labels(key[0]))
        series[0].inc()
        series[1].observe(seconds)

    def _read(self):
        """What collects every process's figures: this app's registry, or all the files of the directory."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        return _Files(directory) if directory else self.registry

    def exposition(self) -> bytes:
        """The figures in the Prometheus text format 0.0.4."""
        return generate_latest(self._read())

    def snapshot(self) -> dict:
        """Per route: responses by status class, the sum of seconds and the count per latency bucket (the last
        one +Inf); the timeouts; when the server started."""
        routes: dict = {}
        out = {"started": time.time(), "routes": routes, "counters": {"timeouts": 0}}

        def route(name: str) -> dict:
            return routes.setdefault(name, {"responses": dict.fromkeys(CLASSES, 0), "seconds": 0.0,
                                            "cumulative": [0] * (len(BUCKETS) + 1)})
        bounds = [*map(float, BUCKETS), float("inf")]
        for family in self._read().collect():
            for s in family.samples:
                if s.name == "kg_http_responses_total":
                    route(s.labels["route"])["responses"][s.labels["status"]] += int(s.value)
                elif s.name == "kg_http_request_duration_seconds_bucket":
                    route(s.labels["route"])["cumulative"][bounds.index(float(s.labels["le"]))] += int(s.value)
                elif s.name == "kg_http_request_duration_seconds_sum":
                    route(s.labels["route"])["seconds"] += s.value
                elif s.name == "kg_timeouts_total":
                    out["counters"]["timeouts"] += int(s.value)
                elif s.name == "kg_start_time_seconds":
                    out["started"] = s.value
        for r in routes.values():
            cumulative = r.pop("cumulative")
            r["buckets"] = [n - (cumulative[i - 1] if i else 0) for i, n in enumerate(cumulative)]
        return out


class _Files:
    """The figures of every file in a multiprocess directory, read in turn with folds."""

    def __init__(self, directory: str):
        self.directory = directory

    def collect(self):
        with _turn(self.directory, fcntl.LOCK_SH):
            return MultiProcessCollector.merge(glob.glob(os.path.join(self.directory, "*.db")))


@contextlib.contextmanager
def _turn(directory: str, kind: int):
    with open(os.path.join(directory, "fold.lock"), "a") as lock:
        fcntl.flock(lock, kind)
        yield


# How the figures of an ended process join the archive, by prometheus_client's file names: kind_pid.db
FOLD = {"counter": operator.add, "histogram": operator.add, "gauge_min": min, "gauge_max": max,
        "gauge_sum": operator.add}


def fold(directory: str, pid: int) -> None:
    """Add the figures of the ended process ``pid`` in the multiprocess ``directory`` into its archive files,
    then remove its own files.  Only the gunicorn master calls it, after the process has ended."""
    with _turn(directory, fcntl.LOCK_EX):
        for kind, combine in FOLD.items():
            ended = os.path.join(directory, f"{kind}_{pid}.db")
            if not os.path.exists(ended):
                continue
            archive = MmapedDict(os.path.join(directory, f"{kind}_archive.db"))
            try:
                known = {key: value for key, value, _ in archive.read_all_values()}
                for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(ended):
                    archive.write_value(key, combine(known[key], value) if key in known else value, timestamp)
            finally:
                archive.close()
            os.remove(ended)


def quantile(q: float, buckets: list[int]) -> float | None:
    """The ``q`` quantile in seconds, interpolated within its bucket as Prometheus' histogram_quantile does."""
    total = sum(buckets)
    if not total:
        return None
    rank, seen = q * total, 0
    for i, n in enumerate(buckets):
        if seen + n >= rank and n:
            if i == len(BUCKETS):              # in +Inf: the highest finite bound is all that is known
                return BUCKETS[-1]
            low = BUCKETS[i - 1] if i else 0.0
            return low + (BUCKETS[i] - low) * (rank - seen) / n
        seen += n
    return BUCKETS[-1]


def stats(snapshot: dict, workers: int) -> dict:
    """The /-/stats document: totals, then per route responses by status class and latency."""
    routes = {name: r for name, r in snapshot["routes"].items() if any(r["responses"].values())}
    out = {"uptime_seconds": round(time.time() - snapshot["started"], 1), "workers": workers,
           "requests": sum(sum(r["responses"].values()) for r in routes.values()),
           "errors": {c: sum(r["responses"][c] for r in routes.values()) for c in ("4xx", "5xx")},
           **snapshot["counters"], "routes": {}}
    for name, r in sorted(routes.items()):
        n = sum(r["responses"].values())
        out["routes"][name] = {
            "requests": n, "responses": r["responses"],
            "latency_ms": {"mean": round(1000 * r["seconds"] / n, 2),
                           **{label: round(1000 * quantile(q, r["buckets"]), 2)
                              for label, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))}}}
    return out
