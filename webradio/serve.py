"""`webradio run` and `webradio worker`: the web server and the job worker, one process."""

from __future__ import annotations

import logging
import sys
import threading

from flask import Flask
from waitress.server import create_server

from webradio import jobs, outputs


def _prepare(app: Flask) -> None:
    """Requeue work a stopped process left half-done, and make sure every feed file exists."""
    with app.app_context():
        jobs.recover_interrupted()
        outputs.refresh({outputs.EVERY_SCHOOL})


def run_worker(app: Flask, workers: int) -> None:
    """Run huey's consumer in this (main) thread until SIGINT or SIGTERM."""
    huey = app.extensions["webradio.huey"]
    if huey.immediate:
        return
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    # huey installs its signal handlers here, which only the main thread may do.
    consumer.run()


def run_all(app: Flask, host: str, port: int) -> None:
    """Serve the app with waitress (a production WSGI server) beside the worker threads."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    _prepare(app)
    server = create_server(app, host=host, port=port, threads=8)
    web = threading.Thread(target=server.run, name="web", daemon=True)
    web.start()
    hint = "(Ctrl+C pour arrêter / to stop)"
    print(f"webradio : http://{host}:{port}/  {hint}", file=sys.stderr, flush=True)
    try:
        if app.extensions["webradio.huey"].immediate:
            web.join()
        else:
            run_worker(app, int(app.config["QUEUE_WORKERS"]))
    finally:
        server.close()


def worker_only(app: Flask) -> None:
    """Run a worker alone (scale path: as many as needed, on any machine)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    _prepare(app)
    run_worker(app, int(app.config["QUEUE_WORKERS"]))
