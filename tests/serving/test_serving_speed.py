"""What makes the embedded server fast (issue 12, bench/serve.py) answers as before: a master's
short byte range read at once, and rate-limit counters shared by several web processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from webradio import urls
from webradio.shared_limits import SharedSQLiteStorage, create, uri_for
from webradio.web import delivery

from .conftest import Served

RANGES = (
    "bytes=0-65535",
    "bytes=100-199",
    "bytes=100-",
    "bytes=0-99999999",
    "bytes=-100",  # a suffix: send_file answers
    "bytes=0-1,5-6",  # several ranges: send_file answers (416)
    "bytes=99999999-",  # past the end: 416
    "bytes=9-3",  # not a range: the whole file
)


def _master(served: Served) -> tuple[str, Path, str]:
    """The published master's public path, its file and its name (the ETag)."""
    episode = served.radio.episode
    path = urls.media(episode.id, episode.media_key or "").removeprefix(urls.base())
    name = path.rsplit("/", 1)[1].removesuffix(".mp3")
    stored = served.app.extensions["webradio.storage"].local_path(episode.media_key or "")
    return path, stored, name


def shown(headers: Headers) -> dict[str, str]:
    """The headers to compare (the date moves; the layer in front adds nosniff)."""
    return {n: v for n, v in headers.items() if n not in {"Date", "X-Content-Type-Options"}}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_short_range_answers_what_send_file_answers(served: Served, method: str) -> None:
    path, stored, name = _master(served)
    for asked in RANGES:
        answer = served.client.open(path, method=method, headers={"Range": asked})
        environ = EnvironBuilder(path, method=method, headers=[("Range", asked)]).get_environ()
        expected = delivery.master_response(stored, name, environ)
        expected_body = b"".join(expected.get_app_iter(environ))
        expected.close()
        assert answer.status_code == expected.status_code, asked
        assert answer.get_data() == expected_body, asked
        assert shown(answer.headers) == shown(expected.headers), asked
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        answer.close()


def test_a_short_range_is_read_without_send_file(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _, _ = _master(served)

    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("send_file")

    monkeypatch.setattr(delivery, "master_response", refused)
    answer = served.client.get(path, headers={"Range": "bytes=10-19"})
    assert answer.status_code == 206 and len(answer.get_data()) == 10
    assert answer.headers["Content-Range"].startswith("bytes 10-19/")
    with pytest.raises(AssertionError, match="send_file"):
        served.client.get(path, headers={"Range": "bytes=10-19", "If-Range": '"x"'})


def test_web_processes_share_their_rate_limit_counters(tmp_path: Path) -> None:
    counters = tmp_path / "ratelimits.sqlite3"
    create(counters)
    assert counters.stat().st_mode & 0o777 == 0o600  # the keys hold addresses
    first, second = SharedSQLiteStorage(uri_for(counters)), SharedSQLiteStorage(uri_for(counters))
    assert [first.incr("ip", 60), second.incr("ip", 60), first.incr("ip", 60)] == [1, 2, 3]
    assert second.get("ip") == 3 and second.get("other") == 0
    assert time.time() < first.get_expiry("ip") <= time.time() + 60
    assert first.incr("short", 1) == 1
    time.sleep(1.05)
    assert second.get("short") == 0 and second.incr("short", 1) == 1  # a new window
    second.clear("ip")
    assert first.get("ip") == 0 and first.check()
    create(counters)  # a new start forgets every counter
    assert SharedSQLiteStorage(uri_for(counters)).get("short") == 0
    named = tmp_path / "named.sqlite3"  # named in RATELIMIT_STORAGE_URI, made on first use
    assert SharedSQLiteStorage(uri_for(named)).incr("ip", 60) == 1
    assert named.stat().st_mode & 0o777 == 0o600
