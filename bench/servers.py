"""The servers bench/endpoint.py measures: `kg serve` and Virtuoso 7 on free loopback ports,
started and stopped by the benchmark, and the CPU and memory of their processes from /proc.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
VIRTUOSO_GRAPH = "urn:bench:default"  # the graph the triples are loaded into; queries name it as their dataset


def each_size(args, bench_size, prefix: str) -> None:
    """Run ``bench_size(size, args, scratch)`` for each of ``args.sizes`` in one scratch folder, having
    checked that Virtuoso is installed if ``args.virtuoso``."""
    if args.virtuoso and shutil.which("virtuoso-t") is None:
        sys.exit("virtuoso-t is not installed (apt-get install virtuoso-opensource), or use --no-virtuoso")
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        for size in args.sizes.split(","):
            bench_size(size, args, Path(scratch))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float, log: Path) -> None:
    """Wait until GET ``url`` answers 200; raise with the log's tail if the process ends or time runs out."""
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up; {log}:\n{log.read_text(errors='replace')[-2000:]}")


def start_kg(store_dir: Path, workers: int, log: Path, tree: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """``kg serve`` of the source ``tree`` (this checkout, or another one, such as an older commit's
    ``git worktree``) on ``store_dir``; the process and its SPARQL endpoint's URL."""
    port = free_port()
    env = os.environ | {"KG_STORE_DIR": str(store_dir), "KG_PORT": str(port), "KG_HOST": "127.0.0.1",
                        "KG_WORKERS": str(workers), "PYTHONPATH": str(tree)}
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve"], cwd=tree, env=env,
                               stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    wait_for(f"http://127.0.0.1:{port}/-/health", process, 60, log)
    deadline = time.monotonic() + 60
    while len(children(process.pid)) < workers:  # every worker booted
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"kg serve did not start its {workers} workers; {log}:\n"
                               f"{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    return process, f"http://127.0.0.1:{port}/sparql"


VIRTUOSO_INI = """[Database]
DatabaseFile = $dir/virtuoso.db
ErrorLogFile = $dir/virtuoso.log
LockFile = $dir/virtuoso.lck
TransactionFile = $dir/virtuoso.trx
xa_persistent_file = $dir/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = $dir/virtuoso-temp.db
TransactionFile = $dir/virtuoso-temp.trx
[Parameters]
ServerPort = $sql_port
DisableUnixSocket = 1
DirsAllowed = ., $dir
NumberOfBuffers = 340000
MaxDirtyBuffers = 250000
MaxQueryMem = 2G
[HTTPServer]
ServerPort = 127.0.0.1:$http_port
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""


def start_virtuoso(work: Path, triples: Path) -> tuple[subprocess.Popen, str, float]:
    """Virtuoso on free ports in ``work`` with ``triples`` (N-Triples) loaded into VIRTUOSO_GRAPH;
    the process, the endpoint and the seconds the load took."""
    work.mkdir()
    sql_port, http_port = free_port(), free_port()
    ini = work / "virtuoso.ini"
    ini.write_text(Template(VIRTUOSO_INI).substitute(dir=work, sql_port=sql_port, http_port=http_port))
    log = work / "virtuoso.out"
    process = subprocess.Popen(["virtuoso-t", "+foreground", "+configfile", str(ini)], cwd=work,
                               stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http_port}/sparql"
    wait_for(url + "?query=ASK%7B%7D", process, 120, log)
    started = time.perf_counter()
    isql(sql_port, f"ld_dir('{triples.parent}', '{triples.name}', '{VIRTUOSO_GRAPH}'); rdf_loader_run(); checkpoint;")
    return process, url, time.perf_counter() - started


def isql(port: int, sql: str) -> None:
    done = subprocess.run(["isql-vt", str(port), "dba", "dba", f"exec={sql}"], capture_output=True, text=True)
    if done.returncode or "*** Error" in done.stdout + done.stderr:
        raise RuntimeError(f"isql: {sql}: {done.stdout[-1000:]}{done.stderr[-1000:]}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS of ``pid`` in MB, from /proc/<pid>/smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return fields["Rss"], fields["Pss"]


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds of ``pids`` so far (each without its children)."""
    total = 0
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
