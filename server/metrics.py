"""Request metrics shared by all server processes: /-/stats (JSON) and /-/metrics (Prometheus).

The counters live in one block of shared memory that ``kg serve`` allocates in
the gunicorn master before it forks its workers: each worker adds to its own
row of it, a read sums the rows, and a restarted worker loses nothing.  Per route (the URL rule, so
``/sparql`` whatever its query string): responses by status class, and a
latency histogram from 1 ms to 60 s (seconds from the request
arriving to its response being ready; a streamed body is not included).  Beside
them: queries stopped at the time limit (each ends its server process).
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import time

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)  # s; +Inf
CLASSES = ("2xx", "3xx", "4xx", "5xx")
SLOTS = 32                                      # routes; the app has about ten
WIDTH = len(CLASSES) + 1 + len(BUCKETS) + 1     # per route: classes, sum of seconds, buckets, +Inf
COUNTERS = ("timeouts",)
ROW = SLOTS * WIDTH + len(COUNTERS)             # the figures of one process
ROWS = 65                                       # row 0 for processes that have ended, then one per process
UNMATCHED = "(no route)"


class Metrics:
    """Counters in shared memory; create before forking, then ``bind`` in each process to the app's routes.

    Each process writes only its own row, without a lock, so a worker killed in
    the middle of a request can block nobody.  The lock is taken only to claim a
    row, once per process; a row whose process has died is folded into row 0 (the
    retired processes) before it is given to another.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._lock = context.Lock()
        self._owners = context.RawArray("q", ROWS)  # the process id owning each row; 0: free (row 0: retired)
        self._cells = context.RawArray("d", ROWS * ROW + 1)
        self._cells[-1] = time.time()
        self._row: int | None = None
        self._pid = 0
        self.routes: list[str] = []
        self._slots: dict[str, int] = {}

    def bind(self, routes: list[str]) -> None:
        """Give each of ``routes`` a slot; every process binds the same list, so the slots agree."""
        self.routes = sorted(set(routes))[:SLOTS - 1] + [UNMATCHED]
        self._slots = {route: slot for slot, route in enumerate(self.routes)}

    def observe(self, route: str | None, status: int, seconds: float) -> None:
        """Count one response of ``route`` (None: no route matched) with ``status``, ready after ``seconds``."""
        row = self._own_row()
        if row is None:
            return
        slot = self._slots.get(route, len(self.routes) - 1)
        base = row * ROW + slot * WIDTH
        bucket = bisect.bisect_left(BUCKETS, seconds)  # the first bound >= seconds; len(BUCKETS): +Inf
        self._cells[base + min(max(status // 100 - 2, 0), 3)] += 1
        self._cells[base + len(CLASSES)] += seconds
        self._cells[base + len(CLASSES) + 1 + bucket] += 1

    def count(self, counter: str) -> None:
        """Add one to ``counter`` (one of COUNTERS)."""
        row = self._own_row()
        if row is not None:
            self._cells[row * ROW + SLOTS * WIDTH + COUNTERS.index(counter)] += 1

    def _own_row(self) -> int | None:
        """This process's row, claimed on first use; None if no row can be had (the figure is dropped)."""
        if self._pid != os.getpid():
            self._pid, self._row = os.getpid(), None
            if self._lock.acquire(timeout=1):
                try:
                    self._row = self._claim()
                finally:
                    self._lock.release()
        return self._row

    def _claim(self) -> int | None:
        free = [i for i in range(1, ROWS) if self._owners[i] == 0]
        if not free:
            free = [i for i in range(1, ROWS) if not _alive(self._owners[i])]
            for i in free[:1]:  # fold a dead process's figures into the retired row
                for k in range(ROW):
                    self._cells[k] += self._cells[i * ROW + k]
                    self._cells[i * ROW + k] = 0
        if not free:
            return None
        self._owners[free[0]] = os.getpid()
        return free[0]

    def snapshot(self) -> dict:
        """Every route's figures and the counters, summed over all rows."""
        cells = [sum(self._cells[r * ROW + k] for r in range(ROWS)) for k in range(ROW)]
        routes = {}
        for slot, route in enumerate(self.routes):
            row = cells[slot * WIDTH:(slot + 1) * WIDTH]
            by_class = dict(zip(CLASSES, map(int, row[:len(CLASSES)])))
            if any(by_class.values()):
                routes[route] = {"responses": by_class, "seconds": row[len(CLASSES)],
                                 "buckets": [int(n) for n in row[len(CLASSES) + 1:]]}
        counters = dict(zip(COUNTERS, map(int, cells[SLOTS * WIDTH:])))
        return {"started": self._cells[-1], "routes": routes, "counters": counters}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    routes = snapshot["routes"]
    out = {"uptime_seconds": round(time.time() - snapshot["started"], 1), "workers": workers,
           "requests": sum(sum(r["responses"].values()) for r in routes.values()),
           "errors": {c: sum(r["responses"][c] for r in routes.values()) for c in ("4xx", "5xx")},
           **snapshot["counters"], "routes": {}}
    for route, r in sorted(routes.items()):
        n = sum(r["responses"].values())
        out["routes"][route] = {
            "requests": n, "responses": r["responses"],
            "latency_ms": {"mean": round(1000 * r["seconds"] / n, 2),
                           **{name: round(1000 * quantile(q, r["buckets"]), 2)
                              for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))}}}
    return out


def prometheus(snapshot: dict) -> str:
    """The snapshot in the Prometheus text exposition format 0.0.4."""
    lines = ["# HELP kg_http_responses_total HTTP responses by route and status class.",
             "# TYPE kg_http_responses_total counter"]
    for route, r in sorted(snapshot["routes"].items()):
        for cls, n in r["responses"].items():
            lines.append(f'kg_http_responses_total{{route="{_label(route)}",status="{cls}"}} {n}')
    lines += ["# HELP kg_http_request_duration_seconds Time from a request to its response being ready.",
              "# TYPE kg_http_request_duration_seconds histogram"]
    for route, r in sorted(snapshot["routes"].items()):
        label, seen = _label(route), 0
        for bound, n in zip([*map(str, BUCKETS), "+Inf"], r["buckets"]):
            seen += n
            lines.append(f'kg_http_request_duration_seconds_bucket{{route="{label}",le="{bound}"}} {seen}')
        lines.append(f'kg_http_request_duration_seconds_sum{{route="{label}"}} {r["seconds"]:.6f}')
        lines.append(f'kg_http_request_duration_seconds_count{{route="{label}"}} {seen}')
    helps = {"timeouts": "Queries stopped at the time limit (KG_QUERY_TIMEOUT)."}
    for name, n in snapshot["counters"].items():
        lines += [f"# HELP kg_{name}_total {helps[name]}", f"# TYPE kg_{name}_total counter", f"kg_{name}_total {n}"]
    lines += ["# HELP kg_start_time_seconds When the server started, in seconds since the epoch.",
              "# TYPE kg_start_time_seconds gauge", f"kg_start_time_seconds {snapshot['started']:.3f}"]
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
