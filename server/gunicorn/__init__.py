"""``kg serve``'s server: the app under gunicorn, with a worker (worker.py) and a runtime (runtime.py) of
its own, started by serve.py."""
