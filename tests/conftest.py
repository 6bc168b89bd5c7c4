"""Shared fixtures: the project's folders and settings, a built store, an app over it with the Flask test
client, the real ``kg`` command, and a real ``kg serve`` where the process is the point.

A test that runs a process (the ``kg`` command or a server) is marked ``process`` by the fixture it
uses, so ``pytest -m 'not process'`` runs the rest, in process, in a fraction of the time.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.settings import Settings
from kg.store import StoreLayout
from server import create_app

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FIXTURES = {"run_kg", "built_project", "project_copy", "served", "serve"}


def pytest_collection_modifyitems(items):
    for item in items:
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.process)


# ---------------------------------------------------------------------------
# The project and its store, in process
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def root() -> Path:
    """The repository's root: ontology/, data/ and tests/data/ are read from here, and nothing outside it."""
    return ROOT


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The settings of the project's own ontology and data (no store)."""
    return Settings(ontology_dir=ROOT / "ontology", data_dir=ROOT / "data")


@pytest.fixture(scope="session")
def built_store_dir(tmp_path_factory, project_settings) -> Path:
    """The project's graph, built once per session in process; read-only: copy it (``store_copy``) to change it."""
    store_dir = tmp_path_factory.mktemp("store") / "store"
    build(project_settings.with_(store_dir=store_dir))
    return store_dir


@pytest.fixture(scope="session")
def built_store(built_store_dir) -> ox.Store:
    """The project's built store, opened read-only."""
    return StoreLayout(built_store_dir).open()


@pytest.fixture
def store_copy(built_store_dir, tmp_path) -> Path:
    """A copy of the built store (its versions and link) that a test may change: its store_dir."""
    shutil.copytree(built_store_dir.parent, tmp_path / "var", symlinks=True)
    return tmp_path / "var" / built_store_dir.name


def with_default_graph(quads: list) -> list:
    """``quads`` plus each distinct triple once more in the default graph, as the build stores them."""
    seen, union = set(), []
    for q in quads:
        if q.triple not in seen:
            seen.add(q.triple)
            union.append(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()))
    return quads + union


@pytest.fixture(scope="session")
def stored():
    """A function: an in-memory store of quads as a build stores them (the default graph their union)."""
    def make(quads) -> ox.Store:
        store = ox.Store()
        store.bulk_extend(with_default_graph(list(quads)))
        return store
    return make


# ---------------------------------------------------------------------------
# The app, in process
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def make_app(built_store_dir, project_settings):
    """A function: an app over the built store with the given settings (``store_dir`` to serve another)."""
    def make(**changes):
        return create_app(project_settings.with_(**{"store_dir": built_store_dir, **changes}))
    return make


@pytest.fixture(scope="session")
def app(make_app):
    """The app over the built store with the default settings."""
    return make_app()


@pytest.fixture
def client(app):
    """The Flask test client of ``app``."""
    return app.test_client()


# ---------------------------------------------------------------------------
# Processes: the kg command and kg serve
# ---------------------------------------------------------------------------

def kg_command() -> list[str]:
    """The installed ``kg`` console script next to this interpreter."""
    script = Path(sys.executable).parent / "kg"
    if not script.exists():
        pytest.fail(f"the kg command is not installed next to {sys.executable}; run pip install '.[test]'")
    return [str(script)]


def environment(**settings) -> dict[str, str]:
    """This process's environment without its KG_* variables, with ``settings`` as KG_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    return env | {"KG_" + k.upper(): str(v) for k, v in settings.items()}


@pytest.fixture
def run_kg():
    """A function: run ``kg ARGS`` in a folder; the completed process (text output)."""
    def run(*args: str, cwd: Path, env: dict | None = None, stdin: str | None = None):
        return subprocess.run(kg_command() + list(args), cwd=cwd, env=environment() | (env or {}), input=stdin,
                              capture_output=True, text=True, timeout=300)
    return run


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """A scratch project (ontology/, data/) whose store ``kg build`` has built; treat as read-only."""
    base = tmp_path_factory.mktemp("project")
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, base / folder)
    done = subprocess.run(kg_command() + ["build"], cwd=base, env=environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return base


@pytest.fixture
def project_copy(built_project, tmp_path) -> Path:
    """A copy of the built project, store included, that a test may change."""
    shutil.copytree(built_project, tmp_path / "project", symlinks=True)
    return tmp_path / "project"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``kg serve``: its base URL, its project folder and its process."""

    url: str
    project: Path
    process: subprocess.Popen

    @property
    def address(self) -> tuple[str, int]:
        """(host, port), for a raw socket or http.client."""
        parts = urllib.parse.urlsplit(self.url)
        return parts.hostname, parts.port

    def log(self) -> str:
        return (self.project / "server.log").read_text(errors="replace")

    def workers(self) -> set[int]:
        """The pids of its running worker processes (its children that are not zombies), from /proc."""
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
            except OSError:
                continue  # ended meanwhile
            if int(parent) == self.process.pid and state != "Z":
                pids.add(int(stat.parent.name))
        return pids

    def wait_for_workers(self, n: int, replacing: set[int] = frozenset(), seconds: float = 10) -> set[int]:
        """Its ``n`` workers, once booted and, if ``replacing`` is given, one of those replaced."""
        deadline = time.monotonic() + seconds
        while (len(self.workers()) < n or (replacing and self.workers() >= replacing)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.workers()


def start_server(project: Path, **settings):
    """Start ``kg serve`` in ``project`` with ``KG_*`` settings; yield it until the test is done."""
    env = environment(port=free_port(), **settings)
    log = open(project / "server.log", "w+")
    process = subprocess.Popen(kg_command() + ["serve"], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{env['KG_PORT']}", project, process)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(server.url + "/-/health", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kg serve did not come up:\n{server.log()}")
            time.sleep(0.2)
    server.wait_for_workers(int(settings.get("workers", 2)), seconds=60)  # every worker booted, not only one
    try:
        yield server
    finally:  # also when a test that started it itself fails inside its loop
        _stop(server, log)


def _stop(server: Server, log) -> None:
    """Stop a server; fail naming its processes if it does not stop in 30 s."""
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        children = server.workers()
        server.process.kill()
        for pid in children:
            os.kill(pid, 9)
        pytest.fail(f"kg serve did not stop within 30 s of SIGTERM; its processes still running: "
                    f"{', '.join(map(str, children)) or 'none'}; its log:\n{server.log()[-4000:]}")
    finally:
        log.close()


@pytest.fixture
def serve(tmp_path_factory, built_store_dir):
    """A function: ``kg serve`` with ``KG_*`` settings, in a new project holding a copy of the built store
    (and of ontology/ and data/, for updates), or in the ``project`` of an earlier one; stopped when the
    test ends."""
    started = []

    def start(project: Path | None = None, **settings) -> Server:
        if project is None:
            project = tmp_path_factory.mktemp("served")
            for folder in ("ontology", "data"):
                shutil.copytree(ROOT / folder, project / folder)
            shutil.copytree(built_store_dir.parent, project / "var", symlinks=True)
        generator = start_server(project, store_dir=project / "var" / built_store_dir.name, **settings)
        started.append(generator)
        return next(generator)
    yield start
    for generator in started:
        generator.close()


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """``kg serve`` with the default settings in a fresh project with no store yet (so it builds first);
    shared by the session: only read from it."""
    project = tmp_path_factory.mktemp("served")
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, project / folder)
    yield from start_server(project)


# ---------------------------------------------------------------------------
# HTTP, for the tests that speak to a real server
# ---------------------------------------------------------------------------

def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body bytes) of a request; error statuses are answers too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="session")
def fetch():
    """The function ``http(method, url, body=None, headers=None)`` -> (status, headers, body bytes)."""
    return http

