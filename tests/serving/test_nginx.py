"""nginx serves the public files with the lines the README gives: pages, embeds, companions and
the 410 records of a withdrawal straight from the feeds folder, everything else from the app."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser_support import free_port
from flask import Flask
from werkzeug.serving import make_server

from webradio import authorisations, runtime, urls
from webradio.web.delivery import EMBED_CSP

from .conftest import Radio
from .test_public_files import WITHDRAWN, addresses

CONFIG = Path(__file__).with_name("nginx_public.conf")
HTTP_CONFIG = Path(__file__).with_name("nginx_http.conf")  # the map choosing a feed's page
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


@dataclass
class Proxy:
    """nginx's address, and how to stop the app behind it."""

    base: str
    stop_app: Callable[[], None]


@dataclass
class Answer:
    """What nginx answered."""

    status: int
    headers: dict[str, str]
    body: bytes
    cache_control: tuple[str, ...] = ()  # every Cache-Control line nginx sent

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode()


@pytest.fixture
def proxy(app: Flask, tmp_path: Path) -> Iterator[Proxy]:
    """nginx on a free port, in front of the app served by a real WSGI server."""
    with nginx_in_front(app, tmp_path) as started:
        yield started


@contextmanager
def nginx_in_front(app: Flask, tmp_path: Path, tz: str | None = None) -> Iterator[Proxy]:
    """nginx (in the time zone `tz`, as its environment says) in front of the app."""
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed")
    app_port, port = free_port(), free_port()
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = CONFIG.read_text().replace("@FEEDS@", str(runtime.feeds_root()))
    site = site.replace("@UPSTREAM@", f"http://127.0.0.1:{app_port}")
    conf = tmp_path / "nginx.conf"
    temp = "".join(f" {kind}_temp_path {tmp_path}/{kind};\n" for kind in TEMP_PATHS)
    conf.write_text(
        f"daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        + ("user root;\n" if os.getuid() == 0 else "")  # files under a root-only tmp_path
        + "events {}\nhttp {\n include /etc/nginx/mime.types; access_log off;\n"
        + HTTP_CONFIG.read_text()
        + temp
        + f" server {{\n listen 127.0.0.1:{port};\n{site}\n }}\n}}\n"
    )
    env = {**os.environ, **({"TZ": tz} if tz else {})}
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)], env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/site/", timeout=1)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.05)
        yield Proxy(f"http://127.0.0.1:{port}", server.shutdown)
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.shutdown()
        server.server_close()


def get(base: str, path: str, **headers: str) -> Answer:
    """GET through nginx, without following redirects' bodies (errors are answers too)."""
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            cache = tuple(response.headers.get_all("Cache-Control") or ())
            return Answer(response.status, dict(response.headers), response.read(), cache)
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def test_nginx_serves_the_files_and_the_410_records(proxy: Proxy, radio: Radio) -> None:
    base = proxy.base
    at = addresses(radio)
    root = runtime.feeds_root()
    school = get(base, at["school"])
    assert school.status == 200 and school.headers["Content-Type"] == "text/html; charset=utf-8"
    assert school.body == (root / "site/radio/ecole-fichiers/index.html").read_bytes()
    assert "frame-ancestors 'self'" in school.headers["Content-Security-Policy"]
    assert school.headers["X-Content-Type-Options"] == "nosniff"
    packed = get(base, at["page"], **{"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and b"Le potager" in gzip.decompress(
        packed.body
    )
    english = get(base, at["page"] + "?lang=en")  # another rendering: from the app
    assert english.status == 200 and 'lang="en"' in english.text
    embed = get(base, at["embed"])
    assert embed.status == 200 and embed.headers["Content-Security-Policy"] == EMBED_CSP
    chapters = get(base, at["chapters"])
    assert chapters.headers["Content-Type"].startswith("application/json+chapters")
    assert chapters.headers["Access-Control-Allow-Origin"] == "*"
    assert get(base, at["transcript"]).headers["Content-Type"].startswith("text/vtt")
    assert get(base, at["widget"]).headers["Content-Security-Policy"] == EMBED_CSP
    assert get(base, at["feed"]).headers["Content-Type"].startswith("application/rss+xml")
    browser = get(base, at["feed"], Accept="text/html,application/xml;q=0.9,*/*;q=0.8")
    assert browser.headers["Content-Type"] == "text/html; charset=utf-8"
    assert browser.headers["Vary"] == "Accept, Accept-Encoding"
    assert get(base, at["oembed"]).status == 200  # the app's fast path
    media = urls.media(radio.episode.id, radio.episode.media_key or "").removeprefix(urls.base())
    assert get(base, media, Range="bytes=0-1").status == 206
    assert get(base, "/site/radio/ecole-fichiers/index.html").status == 404
    assert get(base, "/feeds/private/outputs.json").status == 404
    (root / "site/radio/ecole-fichiers/index.html").unlink()  # missing: the app rewrites it
    assert get(base, at["school"]).status == 200

    authorisations.withdraw(radio.lea)
    assert get(base, at["oembed"]).status == 404
    proxy.stop_app()  # what follows comes from the files alone
    assert get(base, "/connexion").status == 502
    page = get(base, at["page"])
    assert page.status == 410 and WITHDRAWN in page.text
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    gone = get(base, at["embed"])
    assert gone.status == 410 and 'class="gone"' in gone.text
    assert gone.headers["Content-Security-Policy"] == EMBED_CSP
    assert get(base, at["chapters"]).status == 410
    assert get(base, media).status == 410
    assert radio.episode.guid not in get(base, at["feed"]).text
    assert radio.episode.id not in get(base, at["school"]).text


def zone_at(hours: int, minutes: int, seconds: int) -> str:
    """A POSIX time zone in which it is now hours:minutes:seconds (nginx's clock stays real)."""
    now = datetime.now(UTC)
    offset = now.hour * 3600 + now.minute * 60 + now.second - hours * 3600 - minutes * 60 - seconds
    offset %= 86400
    return f"WRX+{offset // 3600:02d}:{offset % 3600 // 60:02d}:{offset % 60:02d}"


@pytest.mark.parametrize(
    ("clock", "pages", "texts"),
    [
        ((12, 0, 0), "public, max-age=60", "public, max-age=300"),  # the contract's headers
        ((23, 56, 0), "public, max-age=60", "public, max-age=0"),  # texts: revalidated
        ((23, 59, 20), "public, max-age=0", "public, max-age=0"),  # both: revalidated
    ],
)
def test_nginx_lets_no_cache_keep_a_file_past_midnight(
    app: Flask, tmp_path: Path, radio: Radio, clock: tuple[int, int, int], pages: str, texts: str
) -> None:
    """Midnight may end an authorisation: what nginx serves from the files is not kept past it,
    as the app's own answers are not (README, Deploying at scale)."""
    at = addresses(radio)
    with nginx_in_front(app, tmp_path, zone_at(*clock)) as started:
        for name in ("school", "page", "embed", "widget", "feed"):
            answer = get(started.base, at[name])
            assert answer.status == 200 and answer.cache_control == (pages,), name
        for name in ("chapters", "transcript"):
            answer = get(started.base, at[name])
            assert answer.status == 200 and answer.cache_control == (texts,), name


def test_the_readme_gives_the_lines_tested_here() -> None:
    """Every line of the tested templates is in the README's deployment, as written there."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for template in (CONFIG, HTTP_CONFIG):
        for line in template.read_text().splitlines():
            code = line.strip() if line.strip().startswith('"~') else line.split("#")[0].strip()
            if code and "@FEEDS@" not in code and "@UPSTREAM@" not in code:
                assert code in readme, (template.name, code)
