"""Shared fixtures: the project's folders, a built store, and a runner for the real ``kg`` command."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kg.build import build
from kg.settings import Settings
from kg.store import open_read_only

ROOT = Path(__file__).resolve().parent.parent


def kg_command() -> list[str]:
    """The installed ``kg`` console script next to this interpreter."""
    script = Path(sys.executable).parent / "kg"
    if not script.exists():
        pytest.fail(f"the kg command is not installed next to {sys.executable}; run pip install -e .[test]")
    return [str(script)]


def with_default_graph(quads):
    """``quads`` plus each distinct triple once more in the default graph, as the build stores them."""
    import pyoxigraph as ox

    seen = set()
    union = []
    for q in quads:
        if q.triple not in seen:
            seen.add(q.triple)
            union.append(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()))
    return quads + union


@pytest.fixture
def run_kg():
    """Run ``kg ARGS`` in a folder; return the completed process (text output)."""

    def run(*args: str, cwd: Path, env: dict | None = None, input: str | None = None):
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
        environ.update(env or {})
        return subprocess.run(kg_command() + list(args), cwd=cwd, env=environ, input=input,
                              capture_output=True, text=True, timeout=300)

    return run


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """A scratch project (ontology/, data/) whose store ``kg build`` has built; treat as read-only."""
    base = tmp_path_factory.mktemp("project")
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, base / folder)
    done = subprocess.run(kg_command() + ["build"], cwd=base, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return base


@pytest.fixture(scope="session")
def built_store(tmp_path_factory):
    """The project's own graph, built once per test session into a scratch store."""
    store_dir = tmp_path_factory.mktemp("store") / "store"
    settings = Settings(ontology_dir=str(ROOT / "ontology"), data_dir=str(ROOT / "data"),
                        store_dir=str(store_dir))
    build(settings)
    return open_read_only(store_dir)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(project: Path, **settings):
    """Start ``kg serve`` in ``project`` with ``KG_*`` settings; yield its base URL until the test is done."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")} | {"KG_PORT": str(port)}
    env |= {"KG_" + k.upper(): str(v) for k, v in settings.items()}
    log = open(project / "server.log", "w+")
    process = subprocess.Popen(kg_command() + ["serve"], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/-/health", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"kg serve did not come up:\n{log.read()}")
            time.sleep(0.2)
    workers = int(settings.get("workers", 2))
    while len(subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()) \
            < workers and time.monotonic() < deadline:
        time.sleep(0.1)  # every server process booted, not only the one that answered
    try:
        yield url
    finally:  # also when a test that started it itself fails inside its loop
        stop_server(process, log)


def stop_server(process: subprocess.Popen, log) -> None:
    """Stop a server started by start_server; fail naming its processes if it does not stop in 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:  # say which server processes did not stop, with the end of the log
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        process.kill()
        for pid in children:
            subprocess.run(["kill", "-9", pid])
        log.seek(0)
        pytest.fail(f"kg serve did not stop within 30 s of SIGTERM; its processes still running: "
                    f"{', '.join(children) or 'none'}; its log:\n{log.read()[-4000:]}")
    finally:
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """``kg serve`` in a fresh project with no store yet (so it builds first); yields (base URL, project)."""
    project = tmp_path_factory.mktemp("served")
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, project / folder)
    for url in start_server(project):
        yield url, project
