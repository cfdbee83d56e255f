"""Configuration in layers: defaults, instance/config.py, WEBRADIO_* variables, test config."""

from __future__ import annotations

import os
import secrets
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

PREFIX = "WEBRADIO_"

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: an SQLite file in the instance folder
    "MEDIA_ROOT": "media",
    "FEEDS_ROOT": "feeds",
    "BASE_URL": "http://127.0.0.1:5000",
    "QUEUE_URL": None,  # None: huey on an SQLite file in the instance folder; redis://... at scale
    "QUEUE_WORKERS": 2,
    "STORAGE": "local",
    "FFMPEG": None,  # force an ffmpeg binary; otherwise the newest of PATH and imageio-ffmpeg
    "MAX_UPLOAD_MB": 1024,
    "LANGUAGE": "fr",
    "DEFAULT_PRESET": "podcast",
    "STUDIO_CODE_HOURS": 12,
    "PROXY_FIX": False,  # trust X-Forwarded-* from one reverse proxy
    "PROXY_ADDRESS": "127.0.0.1",  # the address that proxy connects from (waitress checks it)
    "RAW_TAKE_RETENTION_DAYS": 30,
    "MAX_GAIN_DB": 24.0,  # the most a quiet take is raised; beyond, finished at the cap, flagged
    "MAX_TAKE_SECONDS": 3 * 3600.0,  # a longer take is refused, from its header or its decode
    "RATELIMIT_STORAGE_URI": "memory://",  # redis://... across machines (run: a file)
    "WEB_PROCESSES": None,  # web processes `webradio run` starts on its socket; None: one per core
    # E-mail (webradio.mail): off while SMTP_HOST is empty; password links are then shown only.
    "SMTP_HOST": "",
    "SMTP_PORT": 587,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": True,  # never send a password or a link in clear to a relay on the network
    "MAIL_FROM": "",  # empty: webradio@ the host of BASE_URL
    "PASSWORD_LINK_HOURS": 72,  # an invitation or reset link works once, this long
}

# Values read from the environment are strings; these keys are converted.
_INTS = {"QUEUE_WORKERS", "MAX_UPLOAD_MB", "STUDIO_CODE_HOURS", "RAW_TAKE_RETENTION_DAYS"}
_INTS |= {"SMTP_PORT", "PASSWORD_LINK_HOURS"}
_FLOATS = {"MAX_GAIN_DB"}
_FLOATS |= {"MAX_TAKE_SECONDS"}
_BOOLS = {"PROXY_FIX", "SMTP_STARTTLS"}


class SettingError(ValueError):
    """A WEBRADIO_* variable that cannot be read: the message names it, in French then English."""


def from_environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    """Return the WEBRADIO_* variables as config keys without the prefix, typed; SettingError
    when a number is not one."""
    values: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(PREFIX):
            continue
        key = name[len(PREFIX) :]
        if key in _INTS or key in _FLOATS:
            kind = (int, "un nombre entier", "a whole number") if key in _INTS else (
                float, "un nombre", "a number")  # fmt: skip
            try:
                values[key] = kind[0](raw)
            except ValueError:
                raise SettingError(
                    f"{name}={raw!r} : {kind[1]} est attendu (rien n'a démarré) / "
                    f"{kind[2]} is expected (nothing was started)"
                ) from None
        elif key in _BOOLS:
            values[key] = raw.strip().lower() in {"1", "true", "yes", "oui", "on"}
        else:
            values[key] = raw
    return values


def instance_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it (mode 0600) on first start."""
    path = instance_path / "secret_key"
    try:
        # Created 0600 from the start: no moment when another account could read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
    return path.read_text().strip()


def finalise(config: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    """Derive the settings the extensions read from the webradio settings."""
    derived: dict[str, Any] = {}
    url = config.get("DATABASE_URL") or f"sqlite:///{instance_path / 'webradio.sqlite3'}"
    derived["DATABASE_URL"] = url
    derived["SQLALCHEMY_DATABASE_URI"] = url
    derived["QUEUE_URL"] = config.get("QUEUE_URL") or f"sqlite:///{instance_path / 'queue.sqlite3'}"
    for key in ("MEDIA_ROOT", "FEEDS_ROOT"):
        derived[key] = str(Path(config[key]).resolve())
    derived["BASE_URL"] = served_base_url(config, instance_path, os.environ).rstrip("/")
    derived["MAX_CONTENT_LENGTH"] = int(config["MAX_UPLOAD_MB"]) * 1024 * 1024
    derived["SESSION_COOKIE_SECURE"] = derived["BASE_URL"].startswith("https://")
    derived["REMEMBER_COOKIE_SECURE"] = derived["SESSION_COOKIE_SECURE"]
    derived["SESSION_COOKIE_SAMESITE"] = "Lax"
    derived["BABEL_DEFAULT_LOCALE"] = config["LANGUAGE"]
    derived["BABEL_DEFAULT_TIMEZONE"] = "Europe/Paris"
    if not config.get("SECRET_KEY"):
        derived["SECRET_KEY"] = instance_secret_key(instance_path)
    return derived


# Written by `make run` (the address it serves, PORT included), so that the command line run
# later in the same checkout builds its links (feeds, pages, `school show`) on that address.
BASE_URL_FILE = "base_url"


def served_base_url(
    config: dict[str, Any], instance_path: Path, environ: dict[str, str] | os._Environ[str]
) -> str:
    """The address links are built on: WEBRADIO_BASE_URL, else a BASE_URL set in
    instance/config.py (or the test config), else the one `make run` last served
    (instance/base_url), else the default."""
    configured = str(config["BASE_URL"])
    if PREFIX + "BASE_URL" in environ or configured != DEFAULTS["BASE_URL"]:
        return configured
    try:
        served = (instance_path / BASE_URL_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return configured
    return served if served.startswith(("http://", "https://")) else configured


def layered_app(test_config: dict[str, Any] | None = None, **options: Any) -> Flask:
    """A Flask app on the instance folder (the test config's INSTANCE_PATH, else
    WEBRADIO_INSTANCE_PATH, else Flask's default), its config stacked in order: defaults, the
    instance's config.py, the WEBRADIO_* variables, then the test config. Nothing is bound to
    it: create_app wires it; `webradio process` only reads its settings."""
    from flask import Flask

    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(PREFIX + "INSTANCE_PATH")
    app = Flask(
        "webradio",
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
        **options,
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(from_environment(os.environ))
    if test_config:
        app.config.from_mapping(test_config)
    return app


def layered_settings() -> dict[str, Any]:
    """The settings layered_app stacks (defaults, the instance's config.py, WEBRADIO_*), read
    without Flask: `webradio process` needs nothing else of it, and importing Flask was a fifth
    of its start-up (0.16 s). The file is read as Flask's from_pyfile reads it, in the folder
    Flask would choose (tests/test_config.py holds the two to the same answers)."""
    settings = dict(DEFAULTS)
    path = Path(instance_path()) / "config.py"
    try:
        code = compile(path.read_bytes(), str(path), "exec")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        code = None
    if code is not None:
        module = types.ModuleType("config")
        module.__file__ = str(path)
        exec(code, module.__dict__)  # noqa: S102 - the instance's own config.py, as Flask does
        settings.update({k: getattr(module, k) for k in dir(module) if k.isupper()})
    settings.update(from_environment(os.environ))
    return settings


def instance_path(package_path: str | None = None) -> str:
    """The instance folder: WEBRADIO_INSTANCE_PATH, else the one Flask finds for the package
    imported from `package_path` (this one's by default): beside it in a checkout,
    PREFIX/var/webradio-instance once installed."""
    configured = os.environ.get(PREFIX + "INSTANCE_PATH")
    if configured:
        return str(Path(configured).resolve())
    if package_path is None:
        package_path = str(Path(__file__).resolve().parent.parent)
    prefix = os.path.abspath(sys.prefix)
    if Path(package_path).is_relative_to(prefix):
        return os.path.join(prefix, "var", "webradio-instance")
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        parent, folder = os.path.split(site_parent)
        if folder.lower() == "lib":
            root = parent
        elif os.path.basename(parent).lower() == "lib":
            root = os.path.dirname(parent)
        else:
            root = site_parent
        return os.path.join(root, "var", "webradio-instance")
    return os.path.join(package_path, "instance")
