"""Hardening (issue 12): proxy, sessions, security headers, file modes, classroom limits."""

from __future__ import annotations

import contextvars
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from app_support import app_settings
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm.attributes import set_committed_value
from waitress.server import create_server
from web_support import PASSWORD, fetch, post_file, sign_in
from werkzeug.security import generate_password_hash
from werkzeug.test import Client, TestResponse

from webradio import create_app, people, runtime, schools, serve, storage
from webradio.clock import now_utc
from webradio.extensions import db
from webradio.models import School, Take, TakeOrigin, TakeState

PROXY = "127.0.0.1"


def _settings(root: Path, **overrides: object) -> dict[str, object]:
    """The suite's test settings (tests/app_support.py), with overrides."""
    return {**app_settings(root, root / "webradio.sqlite3"), **overrides}


@pytest.fixture
def proxied(tmp_path: Path, migrated_db: Path) -> Iterator[Flask]:
    """An app told it sits behind one reverse proxy (WEBRADIO_PROXY_FIX)."""
    shutil.copyfile(migrated_db, tmp_path / "webradio.sqlite3")
    application = create_app(_settings(tmp_path, PROXY_FIX=True))
    with application.app_context():
        created = schools.create_school("ecole-web", "École du Web")
        schools.create_user("head@ecole.fr", "head", PASSWORD, created)
        yield application


@pytest.fixture
def school(app: Flask) -> School:
    """A school with a head, a teacher and one class (CM2)."""
    created = schools.create_school("ecole-web", "École du Web")
    schools.create_user("head@ecole.fr", "head", PASSWORD, created)
    schools.create_user("prof@ecole.fr", "teacher", PASSWORD, created)
    schools.add_pupil(created, "CM2", "Léa")
    return created


@pytest.fixture
def cheap_unknown_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrong sign-ins on unknown addresses hash quickly (tests of limits, not of the hash)."""
    from webradio.web import auth

    cheap = generate_password_hash("personne", method="pbkdf2:sha256:1")
    monkeypatch.setattr(auth, "_dummy_hash", lambda: cheap)


def isolated(call: Callable[..., TestResponse], *args: Any, **kwargs: Any) -> TestResponse:
    """Run a request outside the test's app context, as in production (see conftest)."""
    response = contextvars.Context().run(call, *args, **kwargs)
    response.get_data()
    response.close()
    return response


def bad_sign_in(client: Any, email: str, **environ: str) -> int:
    """Try a wrong password; the status code."""
    data = {"email": email, "password": "pas-le-bon"}
    return isolated(client.post, "/connexion", data=data, environ_base=environ).status_code


# 1. Behind a reverse proxy -------------------------------------------------------------------


def test_behind_the_proxy_https_gives_secure_cookies_and_limits_key_on_the_client(
    proxied: Flask, cheap_unknown_accounts: None
) -> None:
    client = proxied.test_client()
    via_proxy = {"REMOTE_ADDR": PROXY}
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    answer = isolated(
        client.post,
        "/connexion",
        data={"email": "head@ecole.fr", "password": PASSWORD},
        headers={**forwarded, "X-Forwarded-For": "203.0.113.9"},
        environ_base=via_proxy,
    )
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "session=" in cookie and "Secure" in cookie
    for _ in range(10):
        assert (
            isolated(
                client.post,
                "/connexion",
                data={"email": "x@y.fr", "password": "faux"},
                headers=forwarded,
                environ_base=via_proxy,
            ).status_code
            == 401
        )
    other = {"X-Forwarded-For": "203.0.113.8", "X-Forwarded-Proto": "https"}
    answer = isolated(
        client.post,
        "/connexion",
        data={"email": "z@y.fr", "password": "faux"},
        headers=other,
        environ_base=via_proxy,
    )
    assert answer.status_code == 401  # another family behind the same proxy is not refused


def test_waitress_is_told_which_proxy_to_trust(
    proxied: Flask, cheap_unknown_accounts: None
) -> None:
    options = serve.waitress_options(proxied.config)
    assert options["trusted_proxy"] == PROXY
    assert {"x-forwarded-for", "x-forwarded-proto"} <= set(options["trusted_proxy_headers"])
    # The same layer waitress puts in front of the app, built from these options.
    server = create_server(proxied, host="127.0.0.1", port=0, _start=False, **options)
    try:
        client = Client(server.application)
        via_proxy = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_PROTO": "https"}
        answer = isolated(
            client.post,
            "/connexion",
            data={"email": "head@ecole.fr", "password": PASSWORD},
            environ_base={**via_proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.7"},
        )
        assert answer.status_code == 302 and "Secure" in answer.headers["Set-Cookie"]
        for n in range(10):
            assert (
                bad_sign_in(client, f"a{n}@y.fr", **via_proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
                == 401
            )
        # Another client behind the proxy has its own bucket.
        assert (
            bad_sign_in(client, "b@y.fr", **via_proxy, HTTP_X_FORWARDED_FOR="198.51.100.2") == 401
        )
        # A client reaching waitress directly cannot pick its address with X-Forwarded-For.
        direct = {"REMOTE_ADDR": "192.0.2.50"}
        for n in range(10):
            spoof = f"192.0.2.{100 + n}"
            assert bad_sign_in(client, f"c{n}@y.fr", **direct, HTTP_X_FORWARDED_FOR=spoof) == 401
        assert bad_sign_in(client, "d@y.fr", **direct, HTTP_X_FORWARDED_FOR="192.0.2.99") == 429
    finally:
        server.close()


def test_without_a_proxy_waitress_trusts_no_forwarded_header(app: Flask) -> None:
    options = serve.waitress_options(app.config)
    assert "trusted_proxy" not in options


# 2. Sessions -----------------------------------------------------------------------------------


def _is_signed_in(app: Flask, cookie: str) -> bool:
    """True when a fresh browser holding only this session cookie reaches the dashboard."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    answer = isolated(thief.get, "/")
    return answer.status_code == 200


def test_a_cookie_copied_before_sign_out_no_longer_works(
    app: Flask, client: FlaskClient, school: School
) -> None:
    sign_in(client, "head@ecole.fr")
    copied = client.get_cookie("session")
    assert copied is not None and _is_signed_in(app, copied.value)
    client.post("/deconnexion")
    assert not _is_signed_in(app, copied.value)
    sign_in(client, "head@ecole.fr")  # signing in again works
    assert fetch(client, "/").status_code == 200


def test_a_password_reset_ends_every_session(
    app: Flask, client: FlaskClient, school: School
) -> None:
    sign_in(client, "prof@ecole.fr")
    copied = client.get_cookie("session")
    assert copied is not None and _is_signed_in(app, copied.value)
    people.reset_password("prof@ecole.fr", "un-tout-nouveau-mot")
    assert not _is_signed_in(app, copied.value)


def test_sign_in_checks_a_password_hash_for_unknown_addresses_too(
    client: FlaskClient, school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webradio.web import auth

    checked: list[str] = []
    real = auth.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    assert bad_sign_in(client, "personne@nulle-part.fr") == 401
    assert checked == ["pas-le-bon"]
    assert bad_sign_in(client, "head@ecole.fr") == 401
    assert checked == ["pas-le-bon", "pas-le-bon"]


def test_the_session_epoch_migration_goes_down_and_up(app: Flask) -> None:
    from flask_migrate import downgrade, upgrade

    downgrade(revision="0003")
    columns = {row[1] for row in db.session.execute(text("PRAGMA table_info(user_account)"))}
    assert "session_epoch" not in columns
    db.session.rollback()
    upgrade()
    columns = {row[1] for row in db.session.execute(text("PRAGMA table_info(user_account)"))}
    assert "session_epoch" in columns


# 3. Headers ------------------------------------------------------------------------------------


def test_staff_pages_cannot_be_framed(client: FlaskClient, school: School) -> None:
    for answer in (fetch(client, "/connexion"), fetch(client, "/studio/")):
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"]
    sign_in(client, "head@ecole.fr")
    dashboard = fetch(client, "/")
    assert dashboard.status_code == 200
    assert "frame-ancestors 'none'" in dashboard.headers["Content-Security-Policy"]


def test_public_pages_are_framed_only_by_the_site_itself(
    client: FlaskClient, school: School
) -> None:
    page = fetch(client, "/radio/ecole-web/")
    assert page.status_code == 200
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    missing = fetch(client, "/nulle-part")
    assert missing.status_code == 404 and missing.headers["X-Content-Type-Options"] == "nosniff"


def test_the_city_widget_stays_frameable(client: FlaskClient, school: School) -> None:
    widget = fetch(client, "/ville/widget")
    assert widget.status_code == 200
    assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget.headers
    assert widget.headers["X-Content-Type-Options"] == "nosniff"


def test_feeds_from_the_fast_path_say_nosniff(client: FlaskClient, school: School) -> None:
    feed = fetch(client, "/feeds/ecole-web.xml")
    assert feed.status_code == 200 and feed.headers["X-Content-Type-Options"] == "nosniff"
    assert "Cookie" not in feed.headers.get("Vary", "")
    static = fetch(client, "/static/player.js")
    assert static.headers["X-Content-Type-Options"] == "nosniff"


# 4. Files --------------------------------------------------------------------------------------


def test_database_and_secret_key_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    previous = os.umask(0o022)
    try:
        application = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(instance),
                "MEDIA_ROOT": str(tmp_path / "media"),
                "FEEDS_ROOT": str(tmp_path / "feeds"),
                "QUEUE_URL": "immediate",
            }
        )
        with application.app_context():
            db.session.execute(text("CREATE TABLE probe (n INTEGER)"))
            db.session.execute(text("INSERT INTO probe VALUES (1)"))
            db.session.commit()
            for name in ("secret_key", "webradio.sqlite3", "webradio.sqlite3-wal"):
                mode = stat.S_IMODE((instance / name).stat().st_mode)
                assert mode == 0o600, f"{name}: {oct(mode)}"
            shm = instance / "webradio.sqlite3-shm"
            assert stat.S_IMODE(shm.stat().st_mode) == 0o600
            db.engine.dispose()
    finally:
        os.umask(previous)


def test_files_left_world_readable_are_tightened_at_start(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("cle-existante")
    (instance / "webradio.sqlite3").write_bytes(b"")
    for name in ("secret_key", "webradio.sqlite3"):
        (instance / name).chmod(0o644)
    create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "FEEDS_ROOT": str(tmp_path / "feeds"),
            "QUEUE_URL": "immediate",
        }
    )
    for name in ("secret_key", "webradio.sqlite3"):
        assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600


def test_the_private_feeds_folder_is_closed_to_other_users(app: Flask) -> None:
    # Families' feeds and the media passes: the app reads them, nginx and other users never.
    private = runtime.feeds_root() / "private"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    private.chmod(0o755)  # left open by an older version: closed at the next start
    create_app(dict(app.config))
    assert stat.S_IMODE(private.stat().st_mode) == 0o700


# 5. Limits that fit a classroom, codes that cannot be guessed ----------------------------------


def _tablets(app: Flask, count: int) -> list[FlaskClient]:
    """`count` tablets of one classroom: separate browsers behind one school address."""
    return [app.test_client() for _ in range(count)]


def test_wrong_expired_and_revoked_codes_answer_alike(
    app: Flask, client: FlaskClient, school: School, take_wav: Path
) -> None:
    school_class = school.classes[0]
    code = schools.open_studio(school_class)
    school_class.studio_expires_at = now_utc() - timedelta(minutes=1)
    db.session.commit()
    wrong = "zzzzzz" if code != "zzzzzz" else "yyyyyy"
    pages = [fetch(client, f"/studio/{c}") for c in (code, wrong)]
    posts = [post_file(client, f"/studio/{c}/prises", take_wav) for c in (code, wrong)]
    schools.close_studio(school_class)
    pages.append(fetch(client, f"/studio/{code}"))
    posts.append(post_file(client, f"/studio/{code}/prises", take_wav))
    assert {p.status_code for p in pages + posts} == {404}
    assert len({p.data for p in pages}) == 1
    assert len({p.data for p in posts}) == 1


def test_two_clicks_at_once_open_one_studio(app: Flask, school: School) -> None:
    """Two requests that both saw the studio closed (a double tap, two teachers) open it once:
    the second gets the code the first gave, not a new one that turns the first away."""
    school_class = school.classes[0]
    first = schools.open_studio(school_class)
    # The second request read the class before the first committed: closed, as it saw it.
    set_committed_value(school_class, "studio_code", None)
    set_committed_value(school_class, "studio_expires_at", None)
    assert schools.open_studio(school_class) == first
    assert schools.class_for_studio_code(first).id == school_class.id


def test_guessing_studio_codes_is_limited_per_address(
    app: Flask, school: School, take_wav: Path
) -> None:
    code = schools.open_studio(school.classes[0])
    guesser = app.test_client()
    answers = [
        isolated(guesser.post, f"/studio/zz{n:04d}/prises", headers={"Accept": "application/json"})
        for n in range(25)
    ]
    assert answers[0].status_code == 404
    refused = answers[-1]
    assert refused.status_code == 429
    assert "essais" in refused.get_json()["error"]
    assert int(refused.headers["Retry-After"]) > 0
    # Guesses from elsewhere do not close the studio to the class that holds the right code.
    tablet = app.test_client()
    assert isolated(tablet.get, f"/studio/{code}").status_code == 200


def test_a_classroom_of_24_tablets_is_never_refused(app: Flask, school: School) -> None:
    school_class = school.classes[0]
    code = schools.open_studio(school_class)
    take = Take(  # a take the class sent, being analysed: what the tablets follow
        school_id=school.id,
        class_id=school_class.id,
        origin=TakeOrigin.STUDIO,
        sha256="0" * 64,
        storage_key="prises/suivie.wav",
        size_bytes=1,
        state=TakeState.ANALYSING,
    )
    db.session.add(take)
    db.session.commit()
    status_url = f"/studio/{code}/prises/{take.id}/etat"
    tablets = _tablets(app, 24)
    statuses: list[int] = []
    for tablet in tablets:  # each types the code and opens the studio
        entered = isolated(tablet.post, "/studio/", data={"code": code.upper()})
        statuses.append(entered.status_code)
        statuses.append(isolated(tablet.get, entered.headers["Location"]).status_code)
    assert statuses == [302, 200] * 24
    # Each tablet sends (here: a form without a file, refused for that only) ...
    for tablet in tablets:
        sent = isolated(
            tablet.post, f"/studio/{code}/prises", headers={"Accept": "application/json"}
        )
        assert sent.status_code == 400
    # ... and follows its take for a minute (upload.js polls every 1.5 s).
    polls = {
        isolated(tablet.get, status_url, headers={"Accept": "application/json"}).status_code
        for _ in range(40)
        for tablet in tablets
    }
    assert polls == {200}


def test_sign_in_is_limited_per_account_as_well_as_per_address(app: Flask, school: School) -> None:
    client = app.test_client()
    for n in range(10):  # someone tries the head's password from ten addresses
        assert bad_sign_in(client, "head@ecole.fr", REMOTE_ADDR=f"198.51.100.{n}") == 401
    assert bad_sign_in(client, "head@ecole.fr", REMOTE_ADDR="198.51.100.77") == 429
    # The teacher of the same school still signs in, from any address.
    answer = isolated(
        client.post,
        "/connexion",
        data={"email": "prof@ecole.fr", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.78"},
    )
    assert answer.status_code == 302


def test_an_unforeseen_error_answers_a_french_page_not_a_bare_500(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug nobody foresaw")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production
    monkeypatch.setitem(app.view_functions, "auth.login", broken)
    answer = fetch(app.test_client(), "/connexion")
    assert answer.status_code == 500
    assert "Une erreur inattendue" in answer.text and "Internal Server Error" not in answer.text
    assert "a bug nobody foresaw" not in answer.text


def test_temporary_files_a_crash_left_are_removed(app: Flask) -> None:
    scratch, feeds_root = runtime.storage().scratch_dir(), runtime.feeds_root()
    (feeds_root / "site").mkdir(parents=True, exist_ok=True)
    left = [scratch / "tmpk2j3h4", scratch / "ep1-reedit.mp3", feeds_root / "site/.x.html.k2.tmp"]
    fresh = [scratch / "tmpnow", feeds_root / ".y.xml.q9.tmp"]
    (scratch / "envois").mkdir(exist_ok=True)  # tus uploads: their own folder and expiry
    kept = [scratch / "envois/abc.json", feeds_root / "site/page.html", *fresh]
    for path in left + kept:
        path.write_bytes(b"x")
    old = time.time() - storage.LEFTOVER_AFTER_S - 60
    for path in [*left, scratch / "envois/abc.json", feeds_root / "site/page.html"]:
        os.utime(path, (old, old))
    assert storage.remove_leftovers(scratch, feeds_root) == len(left)
    assert not any(path.exists() for path in left) and all(path.exists() for path in kept)
    # The worker does it every hour.
    huey = app.extensions["webradio.huey"]
    assert "webradio.leftovers_sweep" in {task.__name__ for task in huey._registry._periodic_tasks}
