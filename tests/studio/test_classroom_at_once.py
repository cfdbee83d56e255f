"""24 pupils of a class send real takes at once from one school address, over real HTTP: no
refusal, no server error, and every take analysed with the duration that was recorded."""

from __future__ import annotations

import base64
import http.client
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from app_support import app_settings
from browser_support import live
from flask import Flask

from webradio import create_app, schools
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.extensions import db
from webradio.models import Take

CORPUS = Path("/work/shared/corpus/real")
SPEECH = [  # each at least 17 s long: four excerpts from each
    "fr_female_read_paragraph_44k.wav",
    "en_male_harvard_sentences_phone_8k.wav",
    "en_3speakers_with_pauses_16k.wav",
    "fr_male_read_paragraph_44k_aac-transcoded.m4a",
    "fr_female_read_continuous_48k.opus",
    "en_male_laptop_mic_quiet_16k.wav",
]
RATE = 16000
PUPILS = 24
SPLIT = 64 * 1024  # each take goes up in several PATCHes, interleaved with the others'


@dataclass(frozen=True)
class Excerpt:
    """One pupil's take: its bytes and how long it lasts."""

    data: bytes
    seconds: float


@pytest.fixture(scope="session")
def excerpts(tmp_path_factory: pytest.TempPathFactory) -> list[Excerpt]:
    """24 different 3–6 s excerpts of real recordings (16 kHz mono WAV): each source decoded
    once by ffmpeg, then cut four times."""
    sources = [CORPUS / name for name in SPEECH]
    if not all(source.exists() for source in sources):
        pytest.skip(f"the real recordings are not on this machine ({CORPUS})")
    folder = tmp_path_factory.mktemp("classroom")
    ffmpeg = str(getattr(find_ffmpeg(), "path", find_ffmpeg()))
    found: list[Excerpt] = []
    for index, source in enumerate(sources):
        decoded = folder / f"source-{index}.wav"
        subprocess.run(
            [ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(source)]
            + ["-ac", "1", "-ar", str(RATE), "-c:a", "pcm_s16le", str(decoded)],
            check=True,
        )
        with wave.open(str(decoded)) as whole:
            frames = whole.readframes(whole.getnframes())
        for cut in range(PUPILS // len(sources)):
            seconds = 3.0 + (index + cut * len(sources)) % 7 * 0.5
            first = int((0.5 + 4.0 * cut) * RATE) * 2
            target = folder / f"eleve-{len(found)}.wav"
            with wave.open(str(target), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(RATE)
                out.writeframes(frames[first : first + int(seconds * RATE) * 2])
            found.append(Excerpt(target.read_bytes(), seconds))
    assert len({e.data for e in found}) == PUPILS  # 24 different files, 24 takes
    return found


@pytest.fixture
def classroom(tmp_path: Path, migrated_db: Path) -> Iterator[tuple[Flask, str, str]]:
    """The app served over HTTP from threads, with one class whose studio is open."""
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated_db, database)
    app = create_app(app_settings(tmp_path, database))
    with app.app_context():
        school = schools.create_school("ecole-classe", "École de la Classe")
        school_class = schools.get_or_create_class(school, "CE2")
        db.session.commit()
        code = schools.open_studio(school_class)
    with live(app) as origin:
        yield app, origin, code


def _request(
    origin: str, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> http.client.HTTPResponse:
    """One HTTP request to the live app (a new connection, as a tablet's browser may)."""
    parts = urlsplit(origin)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    connection.request(method, path, body=body or None, headers=headers)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


def _send(origin: str, code: str, number: int, excerpt: Excerpt, statuses: list[int]) -> None:
    """What a pupil's tablet does: create the upload, ask where it stands, send the chunks."""
    tus = {"Tus-Resumable": "1.0.0"}
    label = base64.b64encode(f"Élève {number}".encode()).decode()
    created = _request(
        origin,
        "POST",
        f"/studio/{code}/envois/",
        {**tus, "Upload-Length": str(len(excerpt.data)), "Upload-Metadata": f"label {label}"},
    )
    statuses.append(created.status)
    location = urlsplit(created.headers.get("Location", "")).path
    offset = 0
    while offset < len(excerpt.data):
        head = _request(origin, "HEAD", location, tus)
        statuses.append(head.status)
        chunk = excerpt.data[offset : offset + SPLIT]
        patched = _request(
            origin,
            "PATCH",
            location,
            {
                **tus,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
            chunk,
        )
        statuses.append(patched.status)
        if patched.status != 204:
            return
        offset += len(chunk)


def test_24_pupils_record_and_upload_at_once_and_every_take_is_analysed(
    classroom: tuple[Flask, str, str], excerpts: list[Excerpt]
) -> None:
    app, origin, code = classroom
    statuses: list[list[int]] = [[] for _ in excerpts]
    tablets = [
        threading.Thread(target=_send, args=(origin, code, n, excerpt, statuses[n]))
        for n, excerpt in enumerate(excerpts)
    ]
    for tablet in tablets:
        tablet.start()
    for tablet in tablets:
        tablet.join(timeout=120)
    seen = [status for each in statuses for status in each]
    assert not [s for s in seen if s == 429 or s >= 500], seen
    for each in statuses:
        assert each[0] == 201 and set(each[1::2]) == {200} and set(each[2::2]) == {204}, each

    with app.app_context():
        received = Take.query.filter_by(origin="studio").all()
        assert len(received) == PUPILS
        by_label = {take.label: take for take in received}
        for number, excerpt in enumerate(excerpts):
            take = by_label[f"Élève {number}"]
            assert take.state == "ready", take.failure_reason
            assert take.analysis is not None
            assert take.analysis["duration_s"] == pytest.approx(excerpt.seconds, abs=0.1)
