"""The studio's uploads in process: the tus protocol, one take per file, studio codes that do not
pull the rug, tokens that outlive a page, and every recorder's format."""

from __future__ import annotations

import base64
import contextvars
import errno
import io
import os
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, post_file, sign_in
from werkzeug.test import TestResponse

from webradio import runtime, schools, uploads
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.clock import aware
from webradio.extensions import db
from webradio.models import School, SchoolClass, Take

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


@pytest.fixture
def school(app: Flask) -> School:
    created = schools.create_school("ecole-studio", "École du Studio")
    schools.create_user("prof@studio.fr", "teacher", PASSWORD, created)
    schools.get_or_create_class(created, "CM1")
    db.session.commit()
    return created


def _open(client: FlaskClient, method: str, url: str, **kwargs: Any) -> TestResponse:
    response = contextvars.Context().run(client.open, url, method=method, **kwargs)
    response.get_data()
    response.close()
    return response


def _tablet_in(client: FlaskClient, school_class: SchoolClass) -> tuple[str, str]:
    """The teacher opens the class's studio; a tablet enters: its code and its ticket."""
    sign_in(client, "prof@studio.fr")
    _open(client, "POST", f"/classes/{school_class.id}/studio")
    db.session.refresh(school_class)
    code = school_class.studio_code
    assert code is not None
    page = _open(client, "GET", f"/studio/{code}").text
    return code, page.split('data-ticket="', 1)[1].split('"', 1)[0]


def _metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def tus_upload(
    client: FlaskClient,
    endpoint: str,
    data: bytes,
    headers: dict[str, str] | None = None,
    split: int | None = None,
    **metadata: str,
) -> TestResponse:
    """Create an upload, send it in one or two PATCHes; the last answer."""
    extra = {**TUS, **(headers or {})}
    created = _open(
        client,
        "POST",
        endpoint,
        headers={
            **extra,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": _metadata(**metadata),
        },
    )
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    offsets = [0, split, len(data)] if split else [0, len(data)]
    answer = created
    for start, end in zip(offsets, offsets[1:], strict=False):
        answer = _open(
            client,
            "PATCH",
            location,
            data=data[start:end],
            headers={**extra, "Upload-Offset": str(start), "Content-Type": OCTETS},
        )
        assert answer.status_code == 204, answer.text
    return answer


def test_the_tus_protocol_resumes_at_the_offset_and_makes_one_take(
    app: Flask, client: FlaskClient, school: School, take_wav: Path
) -> None:
    code = schools.open_studio(school.classes[0])
    endpoint = f"/studio/{code}/envois/"
    options = _open(client, "OPTIONS", endpoint)
    assert options.status_code == 204
    assert options.headers["Tus-Version"] == "1.0.0"
    assert set(options.headers["Tus-Extension"].split(",")) >= {"creation", "expiration"}
    assert int(options.headers["Tus-Max-Size"]) == app.config["MAX_CONTENT_LENGTH"]
    assert _open(client, "POST", endpoint, headers={"Upload-Length": "10"}).status_code == 412
    too_big = str(app.config["MAX_CONTENT_LENGTH"] + 1)
    refused = _open(client, "POST", endpoint, headers={**TUS, "Upload-Length": too_big})
    assert refused.status_code == 413 and "taille maximale" in refused.get_json()["error"]

    data = take_wav.read_bytes()
    half = len(data) * 45 // 100
    created = _open(
        client,
        "POST",
        endpoint,
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": _metadata(label="Météo"),
        },
    )
    assert created.status_code == 201 and created.headers["Upload-Expires"].endswith("GMT")
    location = created.headers["Location"]
    assert location.startswith(f"/studio/{code}/envois/")
    patch = {**TUS, "Content-Type": OCTETS}
    first = _open(
        client, "PATCH", location, data=data[:half], headers={**patch, "Upload-Offset": "0"}
    )
    assert first.status_code == 204 and first.headers["Upload-Offset"] == str(half)
    # The cut: the client asks where it stands, and a replay from 0 is refused.
    head = _open(client, "HEAD", location, headers=TUS)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(half)
    assert head.headers["Cache-Control"] == "no-store"
    again = _open(client, "PATCH", location, data=data, headers={**patch, "Upload-Offset": "0"})
    assert again.status_code == 409 and "octets" in again.get_json()["error"]
    wrong_type = _open(
        client, "PATCH", location, data=data[half:], headers={**TUS, "Upload-Offset": str(half)}
    )
    assert wrong_type.status_code == 415
    last = _open(
        client, "PATCH", location, data=data[half:], headers={**patch, "Upload-Offset": str(half)}
    )
    assert last.status_code == 204 and last.headers["Upload-Offset"] == str(len(data))
    take = db.session.get(Take, last.headers["Webradio-Take"])
    assert take is not None and take.label == "Météo" and take.size_bytes == len(data)
    assert take.class_id == school.classes[0].id and take.state == "ready"
    # A client whose last answer was lost learns the take from HEAD; no second take.
    head = _open(client, "HEAD", location, headers=TUS)
    assert head.headers["Upload-Offset"] == str(len(data))
    assert head.headers["Webradio-Take"] == take.id
    assert db.session.query(Take).count() == 1


def test_the_same_file_twice_is_one_take(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    code = schools.open_studio(school.classes[0])
    data = take_wav.read_bytes()
    first = tus_upload(client, f"/studio/{code}/envois/", data, split=len(data) // 2)
    second = tus_upload(client, f"/studio/{code}/envois/", data)
    assert second.headers["Webradio-Take"] == first.headers["Webradio-Take"]
    assert second.headers["Webradio-Duplicate"] == "1" and "Webradio-Duplicate" not in first.headers
    plain = post_file(client, f"/studio/{code}/prises", take_wav)
    assert plain.status_code == 200
    body = plain.get_json()
    assert body["id"] == first.headers["Webradio-Take"] and body["duplicate"] is True
    assert "déjà été envoyé" in body["message"]
    assert db.session.query(Take).count() == 1


def test_abandoned_uploads_expire(app: Flask, client: FlaskClient, school: School) -> None:
    code = schools.open_studio(school.classes[0])
    created = _open(
        client, "POST", f"/studio/{code}/envois/", headers={**TUS, "Upload-Length": "100"}
    )
    location = created.headers["Location"]
    assert _open(client, "HEAD", location, headers=TUS).status_code == 200
    assert uploads.remove_expired(now=time.time() + 25 * 3600) == 1
    gone = _open(client, "HEAD", location, headers=TUS)
    assert gone.status_code == 404
    assert list(uploads.folder().iterdir()) == []
    # Termination: a DELETE removes an upload at once.
    created = _open(
        client, "POST", f"/studio/{code}/envois/", headers={**TUS, "Upload-Length": "9"}
    )
    location = created.headers["Location"]
    assert _open(client, "DELETE", location, headers=TUS).status_code == 204
    assert _open(client, "HEAD", location, headers=TUS).status_code == 404


def test_every_upload_needs_a_studio_code_or_a_signed_in_staff(
    app: Flask, client: FlaskClient, school: School, take_wav: Path
) -> None:
    code = schools.open_studio(school.classes[0])
    data = b"x" * 10
    assert (
        _open(
            client, "POST", "/studio/zzzzzz/envois/", headers={**TUS, "Upload-Length": "10"}
        ).status_code
        == 404
    )
    anonymous = _open(client, "POST", "/prises/envois/", headers={**TUS, "Upload-Length": "10"})
    assert anonymous.status_code == 403 and "reconnectez-vous" in anonymous.get_json()["error"]
    # Another class's upload cannot be continued with this class's code.
    other = schools.get_or_create_class(school, "CM2")
    other_code = schools.open_studio(other)
    created = _open(
        client, "POST", f"/studio/{other_code}/envois/", headers={**TUS, "Upload-Length": "10"}
    )
    stolen = created.headers["Location"].replace(other_code, code)
    patched = _open(
        client,
        "PATCH",
        stolen,
        data=data,
        headers={**TUS, "Upload-Offset": "0", "Content-Type": OCTETS},
    )
    assert patched.status_code == 404


def test_staff_uploads_renew_an_expired_token(
    app: Flask, client: FlaskClient, school: School, take_wav: Path
) -> None:
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    sign_in(client, "prof@studio.fr")
    token = _open(client, "GET", "/prises/jeton-envoi").get_json()["csrf_token"]
    time.sleep(2.2)  # past its life (the token counts whole seconds)
    data = take_wav.read_bytes()
    stale = _open(
        client,
        "POST",
        "/prises/envois/",
        headers={**TUS, "Upload-Length": str(len(data)), "X-CSRFToken": token},
    )
    assert stale.status_code == 403
    assert "renouvelé" in stale.get_json()["error"]  # French, JSON, and the page goes on
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    fresh = _open(client, "GET", "/prises/jeton-envoi").get_json()["csrf_token"]
    last = tus_upload(
        client,
        "/prises/envois/",
        data,
        headers={"X-CSRFToken": fresh},
        split=len(data) // 3,
        class_id=school.classes[0].id,
        label="Du bureau",
    )
    take = db.session.get(Take, last.headers["Webradio-Take"])
    assert take is not None and take.origin == "staff" and take.class_id == school.classes[0].id


def test_opening_an_open_studio_keeps_its_code_and_old_tablets_finish(
    app: Flask, client: FlaskClient, school: School, take_wav: Path
) -> None:
    school_class = school.classes[0]
    code, ticket = _tablet_in(client, school_class)
    reopened = _open(client, "POST", f"/classes/{school_class.id}/studio", follow_redirects=True)
    db.session.refresh(school_class)
    assert school_class.studio_code == code and "reste valable" in reopened.text
    dashboard = _open(client, "GET", "/").text
    assert "Nouveau code" in dashboard and "toute nouvelle tablette devra saisir" in dashboard
    assert "Ouvrir un studio" not in dashboard

    renewed = _open(
        client, "POST", f"/classes/{school_class.id}/studio/nouveau-code", follow_redirects=True
    )
    db.session.refresh(school_class)
    assert school_class.studio_code != code and "finissent leurs envois" in renewed.text
    # The tablet that entered with the old code still sends the take it was recording ...
    data = take_wav.read_bytes()
    last = tus_upload(
        client, f"/studio/{code}/envois/", data, headers={"Webradio-Studio-Ticket": ticket}
    )
    assert db.session.get(Take, last.headers["Webradio-Take"]) is not None
    # ... a tablet without the ticket (or with a forged one) is refused the old code ...
    for headers in ({}, {"Webradio-Studio-Ticket": ticket[:-2] + "xx"}):
        refused = _open(
            client,
            "POST",
            f"/studio/{code}/envois/",
            headers={**TUS, **headers, "Upload-Length": "1"},
        )
        assert refused.status_code == 404
    # ... and a ticket ends with its studio (the same studio after a new code): a day later
    # (its delivery grace), or at once when the studio closes.
    with app.test_request_context():
        import webradio.web.studio as studio

        current = str(school_class.studio_code)
        fresh = studio.issue_ticket(school_class, current)
        for held, entered, hours, opens in (
            (fresh, current, 23, True),
            (fresh, current, 25, False),
            (ticket, code, 23, True),
            (ticket, code, 25, False),
        ):
            found = studio.read_ticket(held)
            assert found is not None
            moment = found.ends + timedelta(hours=hours)
            original = studio.now_utc
            studio.now_utc = lambda moment=moment: moment  # type: ignore[assignment]
            try:
                assert (studio.class_for_ticket(held, entered) is not None) is opens
            finally:
                studio.now_utc = original  # type: ignore[assignment]
    _open(client, "POST", f"/classes/{school_class.id}/studio/fermer")
    closed = _open(
        client,
        "POST",
        f"/studio/{code}/envois/",
        headers={**TUS, "Webradio-Studio-Ticket": ticket, "Upload-Length": "1"},
    )
    # The page learns that its studio was closed (it keeps the take and asks for the new code).
    assert closed.status_code == 404 and closed.get_json()["studio_closed"] is True
    assert "demandez le nouveau code" in closed.get_json()["error"]
    reloaded = _open(client, "GET", f"/studio/{code}")
    assert reloaded.status_code == 404 and 'name="code"' in reloaded.text
    assert "pas valide ou a expiré" in reloaded.text


def test_studio_uploads_need_no_session_nor_csrf_token(
    app: Flask, school: School, take_wav: Path
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    code = schools.open_studio(school.classes[0])
    tablet = app.test_client()  # no cookie at all: the page's token and session are long gone
    entered = _open(tablet, "POST", "/studio/", data={"code": code})
    assert entered.status_code == 302
    answer = post_file(tablet, f"/studio/{code}/prises", take_wav)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("codec", "suffix"), [(["-c:a", "aac", "-b:a", "96k"], "m4a"), (["-c:a", "libopus"], "ogg")]
)
def test_safari_and_firefox_recordings_are_accepted(
    client: FlaskClient,
    school: School,
    take_wav: Path,
    tmp_path: Path,
    codec: list[str],
    suffix: str,
) -> None:
    target = tmp_path / f"prise.{suffix}"
    subprocess.run(
        [
            str(getattr(find_ffmpeg(), "path", find_ffmpeg())),
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(take_wav),
            *codec,
            str(target),
        ],
        check=True,
    )
    code = schools.open_studio(school.classes[0])
    last = tus_upload(
        client, f"/studio/{code}/envois/", target.read_bytes(), filetype=f"audio/{suffix}"
    )
    take = db.session.get(Take, last.headers["Webradio-Take"])
    assert take is not None and take.state == "ready", take and take.failure_reason
    assert take.analysis is not None
    assert take.analysis["duration_s"] == pytest.approx(10.0, abs=0.2)


def test_a_stale_form_token_is_refused_in_french(
    app: Flask, client: FlaskClient, school: School, take_wav: Path
) -> None:
    sign_in(client, "prof@studio.fr")
    app.config["WTF_CSRF_ENABLED"] = True
    answer = post_file(client, "/prises/nouvelle", take_wav, csrf_token="perime")
    assert answer.status_code == 400
    assert "Rechargez la page" in answer.get_json()["error"]
    page = _open(client, "POST", f"/classes/{school.classes[0].id}/studio")
    assert page.status_code == 400 and "jeton de sécurité a expiré" in page.text


def test_a_studio_closed_then_reopened_does_not_revive_old_tickets(
    app: Flask, client: FlaskClient, school: School, take_wav: Path
) -> None:
    school_class = school.classes[0]
    code, ticket = _tablet_in(client, school_class)
    ends = school_class.studio_expires_at
    tablet = {"Webradio-Studio-Ticket": ticket}

    # « Nouveau code » keeps the same studio (and its end): the tablet already in goes on.
    _open(client, "POST", f"/classes/{school_class.id}/studio/nouveau-code")
    db.session.refresh(school_class)
    assert school_class.studio_code != code and school_class.studio_expires_at == ends
    last = tus_upload(client, f"/studio/{code}/envois/", take_wav.read_bytes(), headers=tablet)
    assert last.headers["Webradio-Take"]

    # « Fermer » then « Ouvrir » long before the old code would have expired: another studio,
    # and the old tablets' tickets stay dead.
    _open(client, "POST", f"/classes/{school_class.id}/studio/fermer")
    _open(client, "POST", f"/classes/{school_class.id}/studio")
    db.session.refresh(school_class)
    assert school_class.studio_code is not None and school_class.studio_expires_at != ends
    refused = _open(
        client,
        "POST",
        f"/studio/{code}/envois/",
        headers={**TUS, **tablet, "Upload-Length": "1"},
    )
    assert refused.status_code == 404 and refused.get_json()["studio_closed"] is True


def test_a_ticket_past_its_studio_delivers_only_what_was_recorded_before_the_end(
    app: Flask, client: FlaskClient, school: School, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webradio.web.studio as studio

    school_class = school.classes[0]
    code, ticket = _tablet_in(client, school_class)
    ends = school_class.studio_expires_at
    assert ends is not None
    # Two hours past the end: the code is dead, the tablet's ticket still delivers for a day.
    later = ends + timedelta(hours=2)
    monkeypatch.setattr(schools, "now_utc", lambda: later)
    monkeypatch.setattr(studio, "now_utc", lambda: later)
    tablet = {"Webradio-Studio-Ticket": ticket}
    end_ms = int(aware(ends).timestamp() * 1000)
    data = take_wav.read_bytes()

    # Recorded before the end (by the server's clock, as the page counts it): delivered.
    before = tus_upload(
        client, f"/studio/{code}/envois/", data, headers=tablet, recorded_at=str(end_ms - 60_000)
    )
    assert db.session.get(Take, before.headers["Webradio-Take"]) is not None
    # Recorded after the end by a page whose own clock said otherwise: refused, in French, before
    # a byte is stored; the page keeps it for the new code.
    stored = set(uploads.folder().iterdir()) if uploads.folder().exists() else set()
    after = _open(
        client,
        "POST",
        f"/studio/{code}/envois/",
        headers={
            **TUS,
            **tablet,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": _metadata(recorded_at=str(end_ms + 60_000)),
        },
    )
    assert after.status_code == 403, after.text
    assert "après la fin du studio" in after.get_json()["error"]
    assert after.get_json()["studio_closed"] is True
    now_stored = set(uploads.folder().iterdir()) if uploads.folder().exists() else set()
    assert now_stored == stored
    plain = _open(  # the form's plain post (a page without tus) is held to the same end
        client,
        "POST",
        f"/studio/{code}/prises",
        data={
            "ticket": ticket,
            "recorded_at": str(end_ms + 60_000),
            "file": (io.BytesIO(data[:4096]), "x.wav"),
        },
        headers={"Accept": "application/json"},
    )
    assert plain.status_code == 403
    # A page from before this check sends no time: delivered as before (never lose a take).
    untimed = tus_upload(client, f"/studio/{code}/envois/", data[:-2] + b"\0\0", headers=tablet)
    assert untimed.headers["Webradio-Take"]
    # With the studio's live code, whatever the time says, the take goes in (the teacher opened it).
    monkeypatch.setattr(schools, "now_utc", lambda: ends - timedelta(hours=1))
    monkeypatch.setattr(studio, "now_utc", lambda: ends - timedelta(hours=1))
    live = _open(
        client,
        "POST",
        f"/studio/{code}/envois/",
        headers={**TUS, "Upload-Length": "1", "Upload-Metadata": _metadata(recorded_at="9" * 13)},
    )
    assert live.status_code == 201


def test_an_empty_upload_is_refused_in_french_before_it_looks_received(
    client: FlaskClient, school: School
) -> None:
    # tus-js-client calls an upload of 0 bytes a success as soon as it is created: the page said
    # « Reçue par le serveur » and dropped it while no take was ever made.
    code = schools.open_studio(school.classes[0])
    empty = _open(client, "POST", f"/studio/{code}/envois/", headers={**TUS, "Upload-Length": "0"})
    assert empty.status_code == 400
    assert "vide" in empty.get_json()["error"]


def _fill_media_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every new file under the media folder fails with ENOSPC from now on (as in
    tests/serving/test_full_disk.py); monkeypatch.undo() gives the space back."""
    root = str(runtime.storage().scratch_dir().parent)
    real = os.fdopen

    def full(fd: int, *args: object, **kwargs: object) -> object:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(root):
            os.close(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "fdopen", full)


def test_a_full_disk_answers_a_french_retryable_status_and_the_upload_lands_once_space_returns(
    client: FlaskClient, school: School, take_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = schools.open_studio(school.classes[0])
    data = take_wav.read_bytes()
    created = _open(
        client, "POST", f"/studio/{code}/envois/", headers={**TUS, "Upload-Length": str(len(data))}
    )
    location = created.headers["Location"]
    patch = {**TUS, "Content-Type": OCTETS}
    # The chunk's bytes meet a full disk (the kernel's own: /dev/full says ENOSPC to every write).
    part = uploads.data_path(location.rsplit("/", 1)[1])
    part.unlink()
    part.symlink_to("/dev/full")
    full = _open(client, "PATCH", location, data=data, headers={**patch, "Upload-Offset": "0"})
    assert full.status_code == 507, full.text  # retryable: the page keeps the take
    assert full.headers["Retry-After"] == "60" and full.headers["Tus-Resumable"] == "1.0.0"
    assert "manque de place" in full.get_json()["error"]
    part.unlink()
    part.touch()  # space is back
    assert _open(client, "HEAD", location, headers=TUS).headers["Upload-Offset"] == "0"

    # Every byte arrives, then the take cannot be stored: HEAD must not look like a success.
    _fill_media_disk(monkeypatch)
    plain = post_file(client, f"/studio/{code}/prises", take_wav)  # a page without tus: same
    assert plain.status_code == 507 and "disque du serveur est plein" in plain.get_json()["error"]
    last = _open(client, "PATCH", location, data=data, headers={**patch, "Upload-Offset": "0"})
    assert last.status_code == 507 and "Webradio-Take" not in last.headers
    head = _open(client, "HEAD", location, headers=TUS)
    assert head.status_code == 507 and "Webradio-Take" not in head.headers
    assert db.session.query(Take).count() == 0
    monkeypatch.undo()
    head = _open(client, "HEAD", location, headers=TUS)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(len(data))
    take = db.session.get(Take, head.headers["Webradio-Take"])
    assert take is not None and take.size_bytes == len(data)
    assert _open(client, "HEAD", location, headers=TUS).headers["Webradio-Take"] == take.id
    assert db.session.query(Take).count() == 1


def _upload_begun(
    client: FlaskClient, school_class: SchoolClass, length: int
) -> tuple[str, dict[str, str], str]:
    """A tablet enters the open studio and begins an upload: its code, headers and upload URL."""
    code, ticket = _tablet_in(client, school_class)
    tablet = {**TUS, "Webradio-Studio-Ticket": ticket}
    created = _open(
        client, "POST", f"/studio/{code}/envois/", headers={**tablet, "Upload-Length": str(length)}
    )
    return code, tablet, created.headers["Location"]


def test_a_take_in_flight_when_the_teacher_closes_the_studio_still_lands(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    school_class = school.classes[0]
    data = take_wav.read_bytes()
    code, tablet, location = _upload_begun(client, school_class, len(data))
    patch = {**tablet, "Content-Type": OCTETS}
    half = len(data) // 2
    _open(client, "PATCH", location, data=data[:half], headers={**patch, "Upload-Offset": "0"})
    _open(client, "POST", f"/classes/{school_class.id}/studio/fermer")  # the bell rings

    # The upload the tablet began while the studio was open goes on where it stopped ...
    head = _open(client, "HEAD", location, headers=tablet)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(half)
    rest = _open(
        client, "PATCH", location, data=data[half:], headers={**patch, "Upload-Offset": str(half)}
    )
    assert rest.status_code == 204, rest.text
    take = db.session.get(Take, rest.headers["Webradio-Take"])
    assert take is not None and take.class_id == school_class.id
    # ... but nothing new starts, and an upload is not finished without the tablet's ticket.
    new = _open(client, "POST", f"/studio/{code}/envois/", headers={**tablet, "Upload-Length": "9"})
    assert new.status_code == 404 and new.get_json()["studio_closed"] is True
    assert _open(client, "HEAD", location, headers=TUS).status_code == 404


def test_a_tablet_finishing_its_take_after_the_bell_is_not_taken_for_a_guesser(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    """After « Fermer le studio » a tablet's URL holds a code that no longer opens anything, but
    its signed ticket proves it was let in: asking where its upload stands again and again (a
    flaky network) is not guessing codes, and never meets the guessers' 20 a minute."""
    school_class = school.classes[0]
    data = take_wav.read_bytes()
    code, tablet, location = _upload_begun(client, school_class, len(data))
    _open(client, "POST", f"/classes/{school_class.id}/studio/fermer")

    heads = [_open(client, "HEAD", location, headers=tablet).status_code for _ in range(30)]
    assert set(heads) == {200}, heads
    patch = {**tablet, "Content-Type": OCTETS, "Upload-Offset": "0"}
    assert _open(client, "PATCH", location, data=data, headers=patch).status_code == 204
    # A guesser without the ticket is still counted, and stopped.
    guesses = [_open(client, "HEAD", location, headers=TUS).status_code for _ in range(25)]
    assert guesses[0] == 404 and guesses[-1] == 429
