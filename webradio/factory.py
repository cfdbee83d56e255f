"""The app factory: config layers, extensions, blueprints, storage and the job queue."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from webradio import config as config_layers
from webradio.extensions import babel, csrf, db, limiter, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES = PACKAGE_DIR.parent / "templates"
LANGUAGES = ("fr", "en")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config layers, extensions, blueprints, storage and the job queue."""
    app = config_layers.layered_app(test_config, template_folder=str(TEMPLATES))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config_layers.finalise(dict(app.config), Path(app.instance_path)))

    for url in (app.config["SQLALCHEMY_DATABASE_URI"], app.config["QUEUE_URL"]):
        database = _sqlite_file(url)
        if database is not None:
            _private_sqlite(database)
    _private_folder(Path(app.config["FEEDS_ROOT"]) / "private")
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_locale, timezone_selector=lambda: "Europe/Paris")
    if app.config["PROXY_FIX"]:
        # Believed only from the proxy's address, whatever server runs the app (gunicorn
        # passes X-Forwarded-* from anyone who reaches it).
        from webradio.serve import ForwardedOnlyFromProxy

        app.wsgi_app = ForwardedOnlyFromProxy(  # type: ignore[method-assign]
            ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1), str(app.config["PROXY_ADDRESS"])
        )

    from webradio import jobs, outputs, storage

    outputs.listen()  # public outputs follow every commit
    from webradio.web import register_web

    app.extensions["webradio.storage"] = storage.open_storage(
        app.config["STORAGE"], app.config["MEDIA_ROOT"]
    )
    huey = jobs.make_huey(app.config["QUEUE_URL"])
    app.extensions["webradio.huey"] = huey
    app.extensions["webradio.tasks"] = jobs.register_tasks(huey, app)
    register_web(app)
    from webradio.web import delivery

    delivery.bind_fast_path(app)  # public pages answered from their files, with the app's headers
    return app


def _locale() -> str:
    """French unless the person chose English (?lang=en, kept in the session)."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return str(current_app.config["LANGUAGE"])
    chosen = request.args.get("lang") or session.get("lang")
    return str(chosen) if chosen in LANGUAGES else str(current_app.config["LANGUAGE"])


def _sqlite_file(url: str | None) -> Path | None:
    """The file of an SQLite URL (`sqlite:///path`), None for other databases or memory."""
    if not url or not url.startswith("sqlite:///"):
        return None
    name = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(name) if name and name != ":memory:" else None


def _private_sqlite(path: Path) -> None:
    """Create an SQLite file 0600 (SQLite gives its -wal and -shm the same mode), or tighten
    one left readable by others: it holds accounts, pupils' names and family tokens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for companion in ("", "-wal", "-shm", "-journal"):
        found = path.with_name(path.name + companion)
        if found.exists() and found.stat().st_mode & 0o077:
            found.chmod(0o600)


def _private_folder(path: Path) -> None:
    """Create `feeds/private/` 0700, or close one left open: families' feeds and the media
    passes are for the app alone (nginx never serves them, other users never read them)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite in WAL mode with foreign keys, and patience when the worker writes."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Deleted rows are overwritten, not left in free pages (erasure erases).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
