"""``kg serve``: the server's own command, which the ``kg`` command finds through the ``kg.commands``
entry point (pyproject.toml), so that kg never imports the server."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from kg.cli import settings, settings_options


@click.command()
@settings_options
def serve(**options):
    """Serve the graph over HTTP (building it first if there is no store yet).

    Routes: /sparql (SPARQL 1.1 Protocol), /store (Graph Store Protocol),
    /resource?iri=X, /explain?s=S&p=P&o=O (why a triple holds), /-/health,
    /-/stats, /-/metrics.
    """
    s = settings(options)
    if not s.store_dir.exists():
        click.echo(f"kg: no store at {s.store_dir}; building it first", err=True)
        # In a child process: a store opened here would be inherited, half-alive, by the forked workers.
        done = subprocess.run([sys.executable, "-m", "kg", "build"], env=os.environ | s.environment())
        if done.returncode:
            sys.exit(done.returncode)
    from .gunicorn.serve import serve as run  # gunicorn only when serving

    click.echo(f"kg: serving on http://{s.host}:{s.port}/ with {s.workers} worker(s)", err=True)
    run(s)
