"""The ``kg`` command: one sub-command per pipeline stage.

Exit codes (a contract, also in the README):
  0  success
  1  the input is invalid: a data or ontology file, a shape, a check or a query;
     the message names the place, and nothing was changed
  2  usage error, or nothing to work on (no store built yet)
  3  internal error (a bug: please report it)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

import click

from . import store as store_
from .build import build as run_build, update as run_update, validated
from .explain import Explainer, SearchExhausted, parse_triple
from .load import InputError
from .namespaces import graph_iri, turtle_prefixes
from .query import FORMATS, STATS_CLASSES, STATS_DEFAULT, STATS_GRAPHS, QueryError, read_query, render, run
from .settings import SETTINGS, Settings
from .update import UpdateRefused
from .validate import ValidationFailed, grouped

EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3


def _settings_options(f):
    for s in reversed(SETTINGS):
        f = click.option("--" + s.name.replace("_", "-"), s.name, default=None,
                         help=f"{s.help} [env KG_{s.name.upper()}; default {s.default}]")(f)
    return f


def _fail(message: str, code: int) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _settings(options: dict) -> Settings:
    try:
        return Settings.from_env(**options)
    except ValueError as e:
        _fail(f"kg: {e}", EXIT_USAGE)


def _report_validation(e: ValidationFailed) -> None:
    for line in grouped(e.problems):
        click.echo(line, err=True)
    _fail(f"kg: the data does not conform: {len(e.problems)} problem(s); nothing was changed",
          EXIT_INVALID)


@click.group()
@click.version_option(package_name="spacecoord-kg")
def cli():
    """Build, check and query the space-exploration coordination knowledge graph."""


@cli.command()
@_settings_options
def build(**options):
    """Load, validate, reason and write the store (swapped in only if all succeeds)."""
    settings = _settings(options)
    _publish(lambda: run_build(settings), "build failed; the previous store is untouched")


def _publish(run, failure: str) -> None:
    """Run a build or an update and print its report; a failure exits with its code, having changed nothing."""
    try:
        report = run()
    except (InputError, UpdateRefused) as e:  # UpdateRefused from a build: the journal cannot be replayed
        _fail(f"{e}\nkg: {failure}", EXIT_INVALID)
    except ValidationFailed as e:
        _report_validation(e)
    except store_.StoreError as e:
        _fail(f"kg: {e}", EXIT_USAGE)
    for line in report.lines():
        click.echo(line)


def _text(query_or_file: str) -> str:
    """A query or update given as text, a file, or - for stdin."""
    try:
        return sys.stdin.read() if query_or_file == "-" else read_query(query_or_file)
    except OSError as e:
        _fail(f"kg: {query_or_file}: {e.strerror}", EXIT_USAGE)


@cli.command()
@_settings_options
def validate(**options):
    """Check the data against the SHACL shapes and the SPARQL checks; write nothing."""
    settings = _settings(options)
    try:
        _, _, report = validated(settings)
    except (InputError, UpdateRefused) as e:
        _fail(str(e), EXIT_INVALID)
    except ValidationFailed as e:
        _report_validation(e)
    click.echo(f"conforms: {sum(report.triples.values())} quads, "
               f"{len(report.triples)} graphs, all shapes and checks pass")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              help="How to print SELECT results (graphs always print as Turtle).")
@click.argument("query_or_file")
@_settings_options
def query(fmt, query_or_file, **options):
    """Run a SPARQL query (text, a .rq file, or - for stdin) over all graphs.

    The project's prefixes (sc:, org:, skos:, body:, place:, ...) are predeclared.
    """
    settings = _settings(options)
    text = _text(query_or_file)
    try:
        result = run(store_.open_read_only(settings.store_dir), text)
        click.echo(render(result, fmt), nl=False)
    except QueryError as e:
        _fail(str(e), EXIT_INVALID)
    except store_.StoreError as e:
        _fail(f"kg: {e}", EXIT_USAGE)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="A readable tree, or JSON.")
@click.argument("subject")
@click.argument("predicate")
@click.argument("object_", metavar="OBJECT")
@_settings_options
def explain(fmt, subject, predicate, object_, **options):
    """Say where a triple is asserted, or derive it by OWL 2 RL rules down to asserted triples.

    Terms are written as in Turtle, with the project's prefixes:
    kg explain body:nasa org:memberOf body:imewg
    """
    settings = _settings(options)
    try:
        triple = parse_triple(f"{subject} {predicate} {object_}", turtle_prefixes())
    except SyntaxError as e:
        _fail(f"explain: {e.msg if hasattr(e, 'msg') else e}", EXIT_INVALID)
    try:
        store = store_.open_read_only(settings.store_dir)
    except store_.StoreError as e:
        _fail(f"kg: {e}", EXIT_USAGE)
    explainer = Explainer(store, graph_iri(settings.base_iri, "inferred"))
    try:
        derivation = explainer.explain(triple)
    except SearchExhausted as e:
        _fail(f"kg: {e}; please report it", EXIT_INTERNAL)
    if derivation is None:
        message = f"not entailed: {subject} {predicate} {object_} is neither asserted nor inferred"
        click.echo(json.dumps({"status": "not entailed", "message": message}) if fmt == "json" else message)
        return
    click.echo(json.dumps(derivation.as_json(), indent=2) if fmt == "json" else "\n".join(derivation.lines(show=explainer.show)))


@cli.command()
@click.argument("update_or_file")
@_settings_options
def update(update_or_file, **options):
    """Apply a SPARQL Update (text, a file, or - for stdin) to the named graphs of the store.

    The default graph and graph/inferred are then derived again, the shapes and
    checks run, and the new store is swapped in only if all succeeds; the change
    is recorded in the journal <store_dir>.updates.ru, which 'kg build' replays.
    """
    settings = _settings(options)
    text = _text(update_or_file)
    _publish(lambda: run_update(settings, text), "update refused; nothing was changed")


@cli.command()
@_settings_options
def serve(**options):
    """Serve the graph over HTTP (building it first if there is no store yet).

    Routes: /sparql (SPARQL 1.1 Protocol), /store (Graph Store Protocol),
    /explain?s=S&p=P&o=O (why a triple holds), /resource?iri=X, /-/health,
    /-/stats, /-/metrics.
    """
    settings = _settings(options)
    if not Path(settings.store_dir).exists():
        click.echo(f"kg: no store at {settings.store_dir}; building it first", err=True)
        # In a child process: a store opened here would be inherited, half-alive, by the forked workers.
        done = subprocess.run([sys.executable, "-m", "kg", "build"], env=os.environ | settings.environment())
        if done.returncode:
            sys.exit(done.returncode)
    from server.serve import serve as run_server  # the server's dependencies only when serving

    click.echo(f"kg: serving on http://{settings.host}:{settings.port}/ with {settings.workers} worker(s)", err=True)
    run_server(settings)


@cli.command()
@_settings_options
def stats(**options):
    """Triples per named graph and entities per class."""
    settings = _settings(options)
    try:
        store = store_.open_read_only(settings.store_dir)
    except store_.StoreError as e:
        _fail(f"kg: {e}", EXIT_USAGE)
    click.echo(render(run(store, STATS_DEFAULT)))
    click.echo(render(run(store, STATS_GRAPHS)))
    click.echo(render(run(store, STATS_CLASSES)))


def main() -> None:
    try:
        cli()
    except Exception:  # noqa: BLE001 -- the last resort that keeps exit code 3 meaning "bug"
        traceback.print_exc()
        _fail("kg: internal error (a bug); please report it with the trace above", EXIT_INTERNAL)
