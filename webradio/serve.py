"""`webradio run` and `webradio worker`: the web server and the job worker, one process."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask
from waitress.server import create_server

from webradio import jobs, outputs


def _prepare(app: Flask) -> None:
    """Requeue work a stopped process left half-done, and make sure every feed file exists."""
    with app.app_context():
        jobs.recover_interrupted()
        outputs.refresh({outputs.EVERY_SCHOOL})


# What a reverse proxy says about the request it forwards (nginx: proxy_set_header lines).
FORWARDED_HEADERS = frozenset(
    {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"}
)


def waitress_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """waitress's settings from the app's config.

    waitress drops every X-Forwarded-* header unless told which proxy sends them; behind one
    (PROXY_FIX) it trusts that address alone, so the client address and HTTPS reach the app,
    and a client connecting directly cannot pick its address.
    """
    options: dict[str, Any] = {"threads": 8}
    if config["PROXY_FIX"]:
        options["trusted_proxy"] = str(config["PROXY_ADDRESS"])
        options["trusted_proxy_count"] = 1
        options["trusted_proxy_headers"] = set(FORWARDED_HEADERS)
        options["clear_untrusted_proxy_headers"] = True
    return options


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
    server = create_server(app, host=host, port=port, **waitress_options(app.config))
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
